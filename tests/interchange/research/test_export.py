"""The research export: no personal field anywhere, consenting people only, tables that join, stable types read back
by pandas, small-cell warnings, scope by role, and the command line."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks.accounts.models import Role
from healthlinks.cli import main
from healthlinks.interchange.research.export import (
    PANDAS_DTYPES,
    ExportNotAllowed,
    build_export,
    export_research,
    research_scope,
)
from healthlinks.interchange.research.tables import ARROW_TYPES, TABLES
from healthlinks.network.models import Person, PersonalData, Stay
from tests.interchange.research.world import PERSONAL, SENTINELS, build

pytestmark = pytest.mark.django_db

# Columns that would carry personal data or free text; none may exist in any table.
FORBIDDEN_COLUMNS = {
    "external_id",
    "given_name",
    "family_name",
    "name_of_person",
    "email",
    "phone",
    "notes",
    "note",
    "description",
    "comment",
    "adaptation",
    "source",
    "summary",
    "contact_name",
    "contact_email",
    "internal_notes",
    "grant_reference",
    "valuation_method",
    "consent_date",
    "pk",
    "id",
}


@pytest.fixture
def world(make_partnership: Any) -> dict[str, Any]:
    return build(make_partnership)


def _read_dir(root: Path) -> dict[str, Any]:
    dictionary = pd.read_csv(root / "data_dictionary.csv", dtype=str, keep_default_na=False)
    out: dict[str, Any] = {"dictionary": dictionary, "csv": {}, "parquet": {}, "text": {}}
    for table in dictionary["table"].unique():
        cols = dictionary[dictionary["table"] == table]
        dtype = {r.column: PANDAS_DTYPES[r.type] for r in cols.itertuples() if r.type != "date"}
        dates = [r.column for r in cols.itertuples() if r.type == "date"]
        out["csv"][table] = pd.read_csv(
            root / "csv" / f"{table}.csv", dtype=dtype, parse_dates=dates, keep_default_na=False, na_values=[""]
        )
        out["parquet"][table] = pq.read_table(root / "parquet" / f"{table}.parquet")
    for name in ("README.txt", "warnings.txt", "data_dictionary.csv"):
        out["text"][name] = (root / name).read_text(encoding="utf-8")
    return out


def _cells(table: pa.Table) -> list[str]:
    return [str(v) for column in table.columns for v in column.to_pylist() if v is not None]


def test_no_personal_field_in_any_cell_of_any_table(world, admin_user, tmp_path):
    """The issue's test: every cell of every CSV and Parquet table, and every other file, scanned for the names,
    emails, phones, external ids and notes of the world; a non-consenting person's pseudonymous id appears nowhere."""
    # The sentinels really are in the database (the scan could otherwise pass vacuously).
    assert PersonalData.objects.filter(family_name="Quartermaine").exists()
    assert Stay.objects.filter(notes__startswith="XSECRET").count() == 2
    export_research(tmp_path / "out", user=admin_user)
    files = _read_dir(tmp_path / "out")
    consenting, refusing = world["consenting"].pseudo_id, world["refusing"].pseudo_id
    deleted, only_draft = world["deleted"].pseudo_id, world["only_draft"].pseudo_id
    scanned = 0
    for table in files["dictionary"]["table"].unique():
        parquet = files["parquet"][table]
        csv_frame = files["csv"][table]
        assert not FORBIDDEN_COLUMNS & set(parquet.column_names), table
        cells = _cells(parquet) + [str(v) for col in csv_frame.columns for v in csv_frame[col].dropna().tolist()]
        cells += list(parquet.column_names)
        scanned += len(cells)
        for cell in cells:
            for sentinel in SENTINELS:
                assert sentinel.lower() not in cell.lower(), f"{table}: {sentinel!r} in {cell!r}"
            assert "XSECRET" not in cell.upper(), f"{table}: {cell!r}"
            assert refusing not in cell and deleted not in cell, f"{table}: a non-consenting or deleted person"
    raw = b"".join(p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file())
    for secret in [*SENTINELS, refusing, deleted]:
        assert secret.encode() not in raw, secret
    assert scanned > 200
    # ... while the consenting person is there, and (hub admin) so is the draft partnership's consenting person.
    assert consenting in set(files["parquet"]["people"]["person_id"].to_pylist())
    assert only_draft in set(files["parquet"]["people"]["person_id"].to_pylist())


def test_people_are_the_consenting_ones_and_every_person_reference_joins(world, admin_user, tmp_path):
    export_research(tmp_path / "out", user=admin_user)
    parquet = _read_dir(tmp_path / "out")["parquet"]
    people = set(parquet["people"]["person_id"].to_pylist())
    expected = {world[k].pseudo_id for k in ("consenting", "peer", "only_draft")}
    assert people == expected
    references = 0
    for table in TABLES:
        for column in table.columns:
            if column.name in {"person_id", "person_a_id", "person_b_id"}:
                values = {v for v in parquet[table.name][column.name].to_pylist() if v is not None}
                assert values <= people, (table.name, column.name, values - people)
                references += len(values)
    assert references > 10
    # Rows about the refusing person are dropped, not blanked: one trainee row fewer, and the outcome rows left are
    # the consenting person's two and the facility indicator's (no person).
    assert parquet["trainees"].num_rows == 2
    assert parquet["assessments"].num_rows == 2
    assert parquet["cascades"]["people_trained"].to_pylist() == [12]
    assert sorted(parquet["outcomes"]["person_id"].to_pylist(), key=str) == sorted(
        [world["consenting"].pseudo_id, world["consenting"].pseudo_id, None], key=str
    )
    assert parquet["activity_facilitators"]["person_id"].to_pylist() == [world["consenting"].pseudo_id]
    ties = parquet["ties"].to_pylist()
    assert ties == [
        {
            "person_a_id": world["consenting"].pseudo_id,
            "person_b_id": world["peer"].pseudo_id,
            "kind": "mentor_mentee",
            "directed": True,
            "start_date": None,
            "end_date": None,
        }
    ]
    stays = set(parquet["stays"]["stay_id"].to_pylist())
    assert world["refused_stay"].pk not in stays and world["stay"].pk in stays
    assert set(parquet["activity_stays"]["stay_id"].to_pylist()) == {world["stay"].pk}
    assert set(parquet["stay_sessions"]["stay_id"].to_pylist()) <= stays
    # Institutions and countries: every reference resolves.
    institutions = set(parquet["institutions"]["institution_id"].to_pylist())
    for table, column in [("stays", "host_institution_id"), ("people", "home_institution_id")]:
        assert {v for v in parquet[table][column].to_pylist() if v is not None} <= institutions
    assert set(parquet["countries"]["country"].to_pylist()) == {"GBR", "UGA", "KEN", "NAM"}
    assert set(parquet["partnership_members"]["partnership_id"].to_pylist()) <= set(
        parquet["partnerships"]["partnership_id"].to_pylist()
    )


def test_values_and_derived_columns(world, admin_user):
    tables = build_export(admin_user).tables
    stays = {row["stay_id"]: row for row in tables["stays"].to_pylist()}
    stay = stays[world["stay"].pk]
    assert stay["person_id"] == world["consenting"].pseudo_id
    assert stay["start_date"] == date(2017, 12, 20) and stay["duration_days"] == 72
    assert stay["continuum_class"] == "short_stay"
    assert stay["purpose_teaching"] is True and stay["purpose_clinical_service"] is True
    assert stay["purpose_research"] is False
    assert stay["outside_partnership_dates"] is True and stay["funding"] == "partnership"
    virtual = stays[world["virtual"].pk]
    assert virtual["virtual_hours"] == 2.5 and virtual["continuum_class"] == "visit"
    assert virtual["sending_institution_id"] == world["namibia"].pk and virtual["funding"] is None
    assert virtual["outside_partnership_dates"] is False
    scores = {row["person_id"]: row for row in tables["assessments"].to_pylist()}
    assert scores[world["consenting"].pseudo_id]["gain"] == 30.0
    assert scores[world["consenting"].pseudo_id]["normalised_gain"] == pytest.approx(0.5)
    assert scores[world["peer"].pseudo_id]["normalised_gain"] is None  # pre-test already the maximum
    person = next(p for p in tables["people"].to_pylist() if p["person_id"] == world["consenting"].pseudo_id)
    assert person == {
        "person_id": world["consenting"].pseudo_id,
        "cadre": "2221",
        "sex": "female",
        "home_institution_id": world["consenting"].home_institution_id,
        "grade": "Band 6",
        "is_synthetic": False,
    }
    periods = {row["indicator_id"]: row for row in tables["indicator_periods"].to_pylist()}
    computed = next(row for row in periods.values() if row["actual_computed"])
    typed = next(row for row in periods.values() if not row["actual_computed"])
    # TRN-01 over all records (3 named trainees, the refusing one included, + 7 counted): an aggregate.
    assert computed["actual"] == 10.0 and computed["target"] == 20.0
    assert typed["actual"] == 2.0
    female = [
        d
        for d in tables["indicator_disaggregations"].to_pylist()
        if d["period_id"] == computed["period_id"] and d["category"] == "female"
    ]
    assert female == [
        {"period_id": computed["period_id"], "dimension": "sex", "category": "female", "target": 10.0, "actual": 8.0}
    ]
    assert tables["costs"].to_pylist()[0]["amount"] == 1234.56
    assert tables["outcomes"].filter(pa.compute.equal(tables["outcomes"]["level"], 4))["value"].to_pylist() == [12.5]
    activity = tables["activities"].to_pylist()[0]
    assert activity["purpose_code"] == "12220" and activity["training_of_trainers"] is True
    assert activity["hours"] == 18.0 and activity["venue_institution_id"] == world["course"].venue_id


def test_types_are_those_of_the_dictionary_in_parquet_and_csv(world, admin_user, tmp_path):
    export_research(tmp_path / "out", user=admin_user)
    files = _read_dir(tmp_path / "out")
    dictionary = files["dictionary"]
    assert set(dictionary["type"]) <= set(ARROW_TYPES)
    assert (dictionary["meaning"] != "").all() and not dictionary.duplicated(["table", "column"]).any()
    for table in TABLES:
        cols = dictionary[dictionary["table"] == table.name]
        parquet = files["parquet"][table.name]
        # Parquet: exactly the dictionary's columns and types (date32, int64, bool, string, double).
        assert parquet.column_names == list(cols["column"])
        for r in cols.itertuples():
            assert parquet.schema.field(r.column).type == ARROW_TYPES[r.type], (table.name, r.column)
        # CSV: header = the columns (no index column), read with the dictionary's types, the same values.
        header = (tmp_path / "out" / "csv" / f"{table.name}.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.replace('"', "").split(",") == list(cols["column"])
        frame = files["csv"][table.name]
        assert list(frame.columns) == list(cols["column"])
        expected = parquet.to_pandas(types_mapper=pd.ArrowDtype)
        for r in cols.itertuples():
            got = frame[r.column]
            if r.type == "date":
                assert str(got.dtype).startswith("datetime64"), (table.name, r.column, got.dtype)
                got_values = [None if pd.isna(v) else v.date() for v in got]
            else:
                assert str(got.dtype) == PANDAS_DTYPES[r.type], (table.name, r.column, got.dtype)
                got_values = [None if pd.isna(v) else v for v in got]
            want = [None if pd.isna(v) else v for v in expected[r.column]]
            assert got_values == want, (table.name, r.column)
    # pandas reads the Parquet files with nullable types as they are.
    stays = pd.read_parquet(tmp_path / "out" / "parquet" / "stays.parquet", dtype_backend="numpy_nullable")
    assert str(stays["sending_institution_id"].dtype) == "Int64" and str(stays["circular"].dtype) == "boolean"
    assert isinstance(stays["start_date"].iloc[0], date)
    # CSV cells: ISO dates, true/false, an empty cell for a missing value, UTF-8 text.
    text = (tmp_path / "out" / "csv" / "stays.csv").read_text(encoding="utf-8")
    assert ",2017-12-20,2018-03-01,72," in text and ",true," in text and ",," in text


def test_codes_are_listed_in_the_dictionary(world, admin_user, tmp_path):
    export_research(tmp_path / "out.zip", user=admin_user)
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        dictionary = pd.read_csv(io.BytesIO(z.read("data_dictionary.csv")), dtype=str, keep_default_na=False)
        names = set(z.namelist())
    row = dictionary[(dictionary["table"] == "people") & (dictionary["column"] == "sex")].iloc[0]
    assert row["code_list"] == "female=Female; male=Male; other=Other; not_recorded=Not recorded"
    row = dictionary[(dictionary["table"] == "stays") & (dictionary["column"] == "duration_days")].iloc[0]
    assert row["unit"] == "days" and row["type"] == "int64" and row["nullable"] == "false"
    org = dictionary[(dictionary["table"] == "institutions") & (dictionary["column"] == "iati_org_type")].iloc[0]
    assert "10=Government" in org["code_list"]
    assert {"README.txt", "warnings.txt", "data_dictionary.csv", "csv/stays.csv", "parquet/stays.parquet"} <= names
    assert (
        len([n for n in names if n.startswith("csv/")])
        == len(TABLES)
        == len([n for n in names if n.startswith("parquet/")])
    )


def test_small_cells_are_warned_and_the_export_proceeds(world, admin_user, tmp_path):
    export = export_research(tmp_path / "out", user=admin_user)
    cells = {(c.country, c.cadre, c.sex): c.count for c in export.small_cells}
    # consenting (UGA, 2221, female), peer (GBR, 2211, male), only_draft (KEN, 3221, female): one each.
    assert cells == {("UGA", "2221", "female"): 1, ("GBR", "2211", "male"): 1, ("KEN", "3221", "female"): 1}
    warnings = (tmp_path / "out" / "warnings.txt").read_text(encoding="utf-8")
    assert "UGA,2221,female,1" in warnings and "WARNING: 3 cells" in warnings
    # Five more consenting Ugandan female nurses: that cell is no longer small; the others still are.
    for _ in range(5):
        p = Person.objects.create(
            research_consent=True, cadre_id="2221", sex="female", home_institution=world["consenting"].home_institution
        )
        p.roles.create(partnership=world["a"], role="trainee")
    cells = {(c.country, c.cadre, c.sex): c.count for c in build_export(admin_user).small_cells}
    assert ("UGA", "2221", "female") not in cells and len(cells) == 2


def test_scope_follows_the_role(world, researcher, make_user, tmp_path):
    tables = build_export(researcher).tables
    assert tables["partnerships"]["slug"].to_pylist() == [world["a"].slug]  # not the draft
    assert world["only_draft"].pseudo_id not in tables["people"]["person_id"].to_pylist()
    assert world["draft_stay"].pk not in tables["stays"]["stay_id"].to_pylist()
    for role in (Role.MEMBER, Role.COORDINATOR):
        with pytest.raises(ExportNotAllowed):
            research_scope(make_user(f"not-{role}", role))
    with pytest.raises(LookupError):
        research_scope(researcher, world["draft"].slug)
    one = build_export(researcher, world["a"].slug).tables
    assert one["partnerships"].num_rows == 1 and one["people"].num_rows == 2


def test_output_is_refused_when_it_would_overwrite_and_nothing_is_left_half_written(world, admin_user, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "mine.txt").write_text("keep")
    with pytest.raises(ValueError, match="not an empty directory"):
        export_research(target, user=admin_user)
    assert [p.name for p in target.iterdir()] == ["mine.txt"]
    with pytest.raises(ValueError, match="does not exist"):
        export_research(tmp_path / "missing" / "out.zip", user=admin_user)
    export_research(tmp_path / "empty.zip", user=admin_user)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy", "empty.zip"]  # no temporary file left over


def test_queries_do_not_grow_with_the_rows(world, admin_user):
    """Bulk queries only: ten times the stays and people cost no extra query."""

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            build_export(admin_user)
        return len(queries)

    before = count()
    stays_before = build_export(admin_user).tables["stays"].num_rows
    host, home = world["stay"].host_institution, world["stay"].sending_institution
    people = Person.objects.bulk_create(
        [Person(research_consent=True, pseudo_id=f"HL-BULK{i:06d}", sex="male") for i in range(20)]
    )
    Stay.objects.bulk_create(
        [
            Stay(
                person=p,
                partnership=world["a"],
                sending_institution=home,
                host_institution=host,
                mode="physical",
                start_date=date(2020, 1, 1 + k),
                end_date=date(2020, 1, 1 + k),
                duration_days=1,
                purposes=["research"],
            )
            for p in people
            for k in range(5)
        ]
    )
    assert count() == before
    stays = build_export(admin_user).tables["stays"]
    assert stays.num_rows == stays_before + 100
    assert sum(stays["purpose_research"].to_pylist()) == 100


def test_command_line(world, admin_user, researcher, make_user, tmp_path, capsys):
    make_user("plain-member", Role.MEMBER)
    out = tmp_path / "research.zip"
    assert main(["export", "research", "--output", str(out), "--user", researcher.username]) == 0
    captured = capsys.readouterr()
    assert "research export written to" in captured.out and "2 consenting people" in captured.out
    assert "fewer than 5 people" in captured.err
    with zipfile.ZipFile(out) as z:
        people = pq.read_table(io.BytesIO(z.read("parquet/people.parquet")))
    assert set(people["person_id"].to_pylist()) == {world["consenting"].pseudo_id, world["peer"].pseudo_id}
    assert main(["export", "research", "-o", str(tmp_path / "x.zip"), "--user", "plain-member"]) == 2
    assert "only hub administrators and researchers" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
    argv = ["export", "research", "-o", str(tmp_path / "y"), "--user", researcher.username]
    assert main([*argv, "--partnership", world["draft"].slug]) == 2
    assert "no partnership" in capsys.readouterr().err
    assert main(["export", "research", "-o", str(tmp_path / "all"), "--partnership", world["draft"].slug]) == 0
    assert (tmp_path / "all" / "csv" / "people.csv").read_text().count("HL-") == 1  # the draft's one person
    assert PERSONAL["consenting"]["family_name"] not in (tmp_path / "all" / "README.txt").read_text()


def test_the_direct_arrow_reader_gives_the_same_tables(world, admin_user, tmp_path, monkeypatch):
    """Outside a transaction the export reads through ADBC (as the analytics engine does). Here (a test runs inside
    one) the database is copied to a file and the ADBC reader pointed at it: both paths give identical tables."""
    import sqlite3

    import adbc_driver_sqlite.dbapi

    from healthlinks.interchange.research import tables as research_tables

    if connection.vendor != "sqlite":
        pytest.skip("the copy is an SQLite dump")
    connection.ensure_connection()
    copy = tmp_path / "copy.sqlite3"
    target = sqlite3.connect(copy)
    target.executescript("\n".join(connection.connection.iterdump()))  # the backup API waits on the open transaction
    target.close()
    opened: list[Any] = []

    def reader() -> Any:
        opened.append(adbc_driver_sqlite.dbapi.connect(f"file:{copy}?mode=ro"))
        return opened[-1]

    monkeypatch.setattr(research_tables, "_open_reader", reader)
    fallbacks: list[str] = []
    monkeypatch.setattr(research_tables.logger, "info", lambda msg, *args: fallbacks.append(msg % args))
    direct = research_tables.build_all(research_scope(admin_user), direct=True)
    assert len(opened) == 1 and not fallbacks, fallbacks
    plain = research_tables.build_all(research_scope(admin_user), direct=False)
    assert len(opened) == 1
    for name, table in plain.items():
        assert direct[name].equals(table), name
    assert direct["stays"].num_rows == 3 and direct["people"].num_rows == 3
