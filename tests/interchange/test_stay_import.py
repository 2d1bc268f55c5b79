"""Import of people and stays: the documented columns, every error with its row, atomic, idempotent."""

import csv
import io
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from healthlinks.interchange.tabular.network import (
    PEOPLE_COLUMNS,
    STAY_COLUMNS,
    export_rows,
    import_people,
    import_stays,
    import_ties,
)
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.network.models import Person, PersonalData, Stay, Tie

pytestmark = pytest.mark.django_db


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def people_file(tmp_path, network_world):
    rows = [
        [f"P{i}", f"Given{i}", f"Family{i}", f"p{i}@example.org", "2221", "female", "", "Band 6", "yes"]
        for i in range(1, 4)
    ]
    return write_csv(tmp_path / "people.csv", PEOPLE_COLUMNS, rows)


def stay_row(w, ext, person, start, end, mode="physical"):
    return [
        ext,
        person,
        w["p"].slug,
        w["uk"].name,
        w["ug"].name,
        mode,
        start,
        end,
        "teaching;mentoring",
        "",
        "partnership",
    ]


def snapshot():
    return (
        Person.objects.count(),
        Stay.objects.count(),
        Tie.objects.count(),
        sorted(Stay.objects.values_list("external_id", "start_date", "end_date")),
    )


def test_people_then_stays_import_and_reimport_is_idempotent(tmp_path, network_world, people_file):
    w = network_world
    result = import_people(people_file)
    assert (result.created, result.updated) == (3, 0)
    assert PersonalData.objects.get(person__external_id="P1").family_name == "Family1"
    stays = write_csv(
        tmp_path / "stays.csv",
        STAY_COLUMNS,
        [
            stay_row(w, "S1", "P1", "2016-01-01", "2016-01-13"),
            stay_row(w, "S2", "P1", "2017-01-01", "2017-03-31"),
            stay_row(w, "S3", "P2", "2016-01-01", "2016-12-30", mode="virtual"),
        ],
    )
    first = import_stays(stays)
    again = import_stays(stays)
    assert (first.created, again.created, again.updated) == (3, 0, 3)
    assert Stay.objects.count() == 3
    s2 = Stay.objects.get(external_id="S2")
    assert (s2.duration_days, s2.continuum_class, s2.repeat_index) == (90, "medium_stay", 2)
    assert import_people(people_file).updated == 3 and Person.objects.filter(external_id__startswith="P").count() == 3


def test_headers_are_case_insensitive_and_extra_columns_are_refused(tmp_path, network_world):
    ok = write_csv(
        tmp_path / "people.csv", [c.upper() for c in PEOPLE_COLUMNS], [["X1", "", "", "", "", "", "", "", "no"]]
    )
    assert import_people(ok).created == 1
    bad = write_csv(tmp_path / "people2.csv", [*PEOPLE_COLUMNS, "notes"], [["X2", "", "", "", "", "", "", "", "", "x"]])
    with pytest.raises(ImportRejected) as err:
        import_people(bad)
    assert [(e.row, e.column) for e in err.value.errors] == [(1, "notes")]
    # optional columns may be left out; required ones may not
    header = [c for c in STAY_COLUMNS if c not in ("host_institution", "funding", "virtual_hours")]
    with pytest.raises(ImportRejected) as err:
        import_stays(write_csv(tmp_path / "stays.csv", header, []))
    assert [(e.row, e.column, e.reason) for e in err.value.errors] == [
        (1, "host_institution", "required column is missing")
    ]


def test_a_broken_stays_file_reports_every_bad_row_and_writes_nothing(tmp_path, network_world, people_file):
    w = network_world
    import_people(people_file)
    import_stays(write_csv(tmp_path / "ok.csv", STAY_COLUMNS, [stay_row(w, "S1", "P1", "2016-01-01", "2016-01-31")]))
    before = snapshot()
    bad = write_csv(
        tmp_path / "bad.csv",
        STAY_COLUMNS,
        [
            stay_row(w, "N1", "P2", "2016-02-01", "2016-02-10"),  # row 2: fine
            stay_row(w, "N2", "P1", "2016-01-20", "2016-02-05"),  # row 3: overlaps recorded S1
            stay_row(w, "N3", "P2", "2016-13-40", "2016-12-01"),  # row 4: bad date
            stay_row(w, "N4", "NOBODY", "2016-01-01", "2016-01-02"),  # row 5: unknown person
            stay_row(w, "N1", "P3", "2018-01-01", "2018-01-02"),  # row 6: duplicate id
            stay_row(w, "N5", "P3", "2019-01-10", "2019-01-01"),  # row 7: end before start
            stay_row(w, "N6", "P2", "2016-02-05", "2016-02-20"),  # row 8: overlaps row 2
        ],
    )
    with pytest.raises(ImportRejected) as err:
        import_stays(bad)
    found = {(e.row, e.column) for e in err.value.errors}
    assert found == {
        (3, "start_date"),
        (4, "start_date"),
        (5, "person"),
        (6, "external_id"),
        (7, "end_date"),
        (8, "start_date"),
    }
    assert all(e.file == "bad.csv" for e in err.value.errors)
    assert "row 3, column start_date" in str(err.value)
    assert snapshot() == before


def test_xlsx_files_import_like_csv(tmp_path, network_world, people_file):
    w = network_world
    import_people(people_file)
    book = Workbook()
    sheet = book.active
    sheet.append(STAY_COLUMNS)
    sheet.append(
        [
            *stay_row(w, "X1", "P1", "", "", "physical")[:6],
            date(2020, 5, 1),
            date(2020, 5, 20),
            "teaching",
            None,
            "self-funded",
        ]
    )
    book.save(tmp_path / "stays.xlsx")
    result = import_stays(tmp_path / "stays.xlsx")
    assert result.created == 1
    stay = Stay.objects.get(external_id="X1")
    assert (stay.duration_days, stay.funding) == (20, "self")


def test_ties_import_never_duplicates(tmp_path, network_world, people_file):
    import_people(people_file)
    f = write_csv(
        tmp_path / "ties.csv",
        ["person_a", "person_b", "kind", "start_date", "end_date"],
        [["P1", "P2", "counterparts", "2016-01-01", ""], ["P3", "P1", "mentor_mentee", "", ""]],
    )
    import_ties(f)
    import_ties(f)
    assert Tie.objects.count() == 2
    dup = write_csv(
        tmp_path / "dup.csv",
        ["person_a", "person_b", "kind"],
        [["P1", "P2", "counterparts"], ["P2", "P1", "counterparts"]],
    )
    with pytest.raises(ImportRejected) as err:
        import_ties(dup)
    assert [(e.row, e.column) for e in err.value.errors] == [(3, "person_a")]


def test_coordinators_import_only_into_their_partnerships(tmp_path, network_world, people_file, make_partnership):
    w = network_world
    other = make_partnership(name="Someone else's")
    import_people(people_file, partnership=w["p"])
    rows = [stay_row(w, "C1", "P1", "2016-01-01", "2016-01-05"), stay_row(w, "C2", "P1", "2017-01-01", "2017-01-05")]
    rows[1][2] = other.slug
    with pytest.raises(ImportRejected) as err:
        import_stays(write_csv(tmp_path / "s.csv", STAY_COLUMNS, rows), user=w["coordinator"])
    assert [(e.row, e.column) for e in err.value.errors] == [(3, "partnership")]
    # people of other partnerships are invisible to this coordinator, so they cannot be referenced
    import_people(people_file)  # P1..P3 exist; "A1" (Alice) is not in the coordinator's partnership
    rows = [stay_row(w, "C3", "A1", "2016-01-01", "2016-01-05")]
    with pytest.raises(ImportRejected) as err:
        import_stays(write_csv(tmp_path / "s2.csv", STAY_COLUMNS, rows), user=w["coordinator"])
    assert [(e.row, e.column) for e in err.value.errors] == [(2, "person")]


def test_export_leaves_out_personal_columns_for_researchers(network_world, people_file, researcher):
    # researchers see consenting people of partnerships open to research (not drafts, not nobody's)
    import_people(people_file, partnership=network_world["p"])
    columns, rows = export_rows("people", researcher)
    text = repr(rows)
    assert "Given1" not in text and "p1@example.org" not in text
    assert "Alice" not in text and "Secretname" not in text
    # pseudonymous ids are random and may contain any letters, so check the identifying columns themselves
    for name in ("external_id", "given_name", "family_name", "email"):
        assert {row[columns.index(name)] for row in rows} == {""}, name
    assert rows and all(row[columns.index("pseudo_id")].startswith("HL-") for row in rows)
    columns, rows = export_rows("people", None)
    assert "Given1" in repr(rows)


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spans=st.lists(st.tuples(dates, st.integers(min_value=-5, max_value=400)), min_size=1, max_size=6),
    junk=st.text(max_size=12),
)
def test_generated_stay_rows_are_all_or_nothing(tmp_path, network_world, spans, junk):
    """Whatever the rows, either all of them are written with correct durations, or nothing is."""
    w = network_world
    rows = [
        stay_row(w, f"H{i}", "A1", s.isoformat(), (s + timedelta(days=d)).isoformat()) for i, (s, d) in enumerate(spans)
    ]
    if junk:
        rows[0][9] = junk  # virtual_hours: anything a user might type
    before = Stay.objects.count()
    path = tmp_path / "gen.csv"
    write_csv(path, STAY_COLUMNS, rows)
    try:
        import_stays(path)
    except ImportRejected as err:
        assert err.errors and all(e.row >= 2 for e in err.errors)
        assert Stay.objects.count() == before
    else:
        for i, (_s, d) in enumerate(spans):
            assert Stay.objects.get(external_id=f"H{i}").duration_days == d + 1
    Stay.objects.filter(external_id__startswith="H").delete()


def test_a_file_that_is_not_a_table_is_refused_cleanly(tmp_path, network_world):
    path = tmp_path / "stays.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(ImportRejected) as err:
        import_stays(path)
    assert "not a readable XLSX" in str(err.value)
    with pytest.raises(ImportRejected) as err:
        import_stays(io.BytesIO(b""), name="empty.csv")
    assert "header row is missing" in str(err.value)


def test_every_import_changes_the_data_version_and_a_refused_one_does_not(tmp_path, network_world, people_file):
    """Bulk writes send no model signals: without the version change the analyses, the dashboard and the API's
    ETags went on answering the figures from before the import (found under `make load`)."""
    from healthlinks.analytics.signals import current
    from healthlinks.interchange.tabular.network import TIE_COLUMNS

    w = network_world
    versions = [current()]
    import_people(people_file)
    versions.append(current())
    import_stays(write_csv(tmp_path / "s.csv", STAY_COLUMNS, [stay_row(w, "S1", "P1", "2016-01-01", "2016-01-13")]))
    versions.append(current())
    import_ties(write_csv(tmp_path / "t.csv", TIE_COLUMNS, [["P1", "P2", "counterparts", "2016-01-01", ""]]))
    versions.append(current())
    assert len(set(versions)) == 4, versions
    with pytest.raises(ImportRejected):
        import_ties(write_csv(tmp_path / "bad.csv", TIE_COLUMNS, [["P1", "P404", "counterparts", "2016-01-01", ""]]))
    assert current() == versions[-1]


def test_a_people_import_that_changes_an_email_leaves_a_history_row_by_the_importer(
    tmp_path, network_world, people_file, admin_user
):
    """The importer writes through network.services.people_save_many: the same history as a form's edit."""
    import_people(people_file, user=admin_user)
    p1 = PersonalData.objects.get(person__external_id="P1")
    assert p1.history.count() == 1  # created
    rows = [["P1", "Given1", "Family1", "new@example.org", "2221", "female", "", "Band 6", "yes"]]
    assert import_people(write_csv(tmp_path / "again.csv", PEOPLE_COLUMNS, rows), user=admin_user).updated == 1
    latest = p1.history.order_by("-history_id").first()
    assert (latest.email, latest.history_user, latest.history_type) == ("new@example.org", admin_user, "~")
    assert PersonalData.objects.get(person__external_id="P2").history.count() == 1  # not in the file: untouched

