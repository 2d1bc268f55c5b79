"""Exports of the activity tables: the import's columns, what each role may see, and they import back unchanged."""

import csv
import io
from datetime import date

import pytest

from healthlinks.accounts.models import Role
from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.interchange.tabular.activities import COLUMNS
from healthlinks.interchange.tabular.catalogue import IMPORTERS, export_rows
from healthlinks.interchange.tabular.writer import write_table
from healthlinks.network.services import stay_create
from healthlinks.results.models import CashCost

pytestmark = pytest.mark.django_db
KINDS = ["activities", "trainees", "assessments", "outcomes", "costs", "cascades", "knowledge"]


def write(tmp_path, kind, rows):
    path = tmp_path / f"in-{kind}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS[kind])
        w.writerows(rows)
    return path


def as_text(columns, rows):
    """The rows as a CSV reader gives them back."""
    return list(csv.reader(io.StringIO(write_table(columns, rows, "csv").decode())))[1:]


@pytest.fixture
def loaded(tmp_path, network_world):
    w = network_world
    stay_create(
        by=None,
        external_id="S1",
        person=w["alice"],
        partnership=w["p"],
        host_institution=w["ug"],
        mode="physical",
        start_date=date(2023, 1, 30),
        end_date=date(2023, 2, 20),
    )
    p = w["p"].slug
    files = {
        "activities": [
            [
                "A1",
                p,
                "Triage",
                "training_course",
                "in_person",
                "2023-02-01",
                "2023-02-03",
                w["ug"].name,
                "12281",
                "yes",
                "16",
                "S1",
            ],
        ],
        "trainees": [
            ["A1", "A1", "", "", "district", "yes", ""],
            ["A1", "B1", "", "", "district", "no", ""],
            ["A1", "", "2222", "female", "primary", "", "6"],
        ],
        "assessments": [["A1", "A1", "40", "70", "100"], ["A1", "B1", "50", "90", "100"]],
        "outcomes": [
            ["A1", "A1", "3", "practice", "", "yes", "6", "", "", "", "observed", "2023-08-01"],
            ["A1", "", "4", "indicator", "", "", "", "Triage within 15 min", "72.5", "%", "records", "2023-12-01"],
        ],
        "costs": [["C1", p, "A1", "travel", "1240.5", "GBP", "2023-01-20", "Flight"]],
        "cascades": [["A1", "A1", "18", "2023-11-30"]],
        "knowledge": [
            [
                "A1",
                "PPH protocol",
                "protocol",
                "north_south",
                "translated",
                "Misoprostol",
                "",
                "2023-02-12",
                "2023-05-01",
                "",
            ],
        ],
    }
    for kind in KINDS:
        IMPORTERS[kind](write(tmp_path, kind, files[kind]))
    return files, w


def snapshot():
    return {
        model.__name__: sorted(
            tuple(str(v) for v in row)
            for row in model.objects.values_list(
                *[f.attname for f in model._meta.fields if f.name not in ("created_at", "updated_at")]
            )
        )
        for model in (Activity, Trainee, AggregateTrainees, Assessment, Outcome, CashCost, CascadeReport, KnowledgeItem)
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_activity_table_exports_its_import_columns_and_imports_back_unchanged(tmp_path, loaded, fmt):
    files, _w = loaded
    before = snapshot()
    for kind in KINDS:
        columns, rows = export_rows(kind, None)
        codes = [i for i, c in enumerate(columns) if not c.endswith("_label")]
        assert [columns[i] for i in codes] == COLUMNS[kind]
        assert sorted(as_text(COLUMNS[kind], [[r[i] for i in codes] for r in rows])) == sorted(files[kind]), kind
        path = tmp_path / f"{kind}.{fmt}"  # written with its label columns: the import reads past them
        path.write_bytes(write_table(columns, rows, fmt))
        IMPORTERS[kind](path)
    assert snapshot() == before  # nothing duplicated, nothing changed


def test_coded_columns_are_followed_by_their_labels(loaded):
    columns, rows = export_rows("activities", None)
    row = dict(zip(columns, rows[0], strict=True))
    assert (row["type"], row["type_label"]) == ("training_course", "Training course")
    assert (row["purpose_code"], row["purpose_code_label"]) == ("12281", "Health personnel development")
    columns, rows = export_rows("outcomes", None)
    assert {(r[columns.index("level")], r[columns.index("level_label")]) for r in rows} == {
        (3, "L3 Behaviour"),
        (4, "L4 Results"),
    }


def test_exports_show_each_role_only_what_it_may_see(loaded, researcher, make_user, make_partnership):
    _files, w = loaded
    alice, bob = w["alice"], w["bob"]
    # Hub admin tables: external ids. The coordinator sees their partnership's people by external id too.
    coordinator_rows = export_rows("trainees", w["coordinator"])[1]
    assert sorted(r[1] for r in coordinator_rows) == ["", "A1", "B1"]
    # A researcher: only people who consented (Alice), by pseudonymous id; costs of non-draft partnerships.
    trainees = export_rows("trainees", researcher)[1]
    assert sorted(r[1] for r in trainees) == ["", alice.pseudo_id]
    assessments = export_rows("assessments", researcher)[1]
    assert [r[1] for r in assessments] == [alice.pseudo_id] and bob.pseudo_id not in str(assessments)
    outcomes = export_rows("outcomes", researcher)[1]
    assert sorted(r[1] for r in outcomes) == ["", alice.pseudo_id]
    assert len(export_rows("costs", researcher)[1]) == 1
    # A member of another partnership sees its activities (published) but none of these people, and no costs.
    outsider = make_user("outsider", Role.MEMBER)
    make_partnership(name="Elsewhere", member=outsider)
    assert len(export_rows("activities", outsider)[1]) == 1
    assert [r[1] for r in export_rows("trainees", outsider)[1]] == [""]  # only the counted cell
    assert export_rows("assessments", outsider)[1] == [] and export_rows("costs", outsider)[1] == []
    # A draft partnership's activities are not shown to those outside it.
    w["p"].publication = "draft"
    w["p"].save()
    assert export_rows("activities", researcher)[1] == [] and export_rows("knowledge", outsider)[1] == []


def test_export_of_one_partnership(loaded, make_partnership):
    other = make_partnership(name="Other partnership")
    assert len(export_rows("activities", None, loaded[1]["p"])[1]) == 1
    assert all(export_rows(kind, None, other)[1] == [] for kind in KINDS)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown table 'nonsense'"):
        export_rows("nonsense", None)
