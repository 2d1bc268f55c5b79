"""Activities, trainees, assessments, outcomes and costs from spreadsheets: all or nothing, idempotent."""

import csv
from datetime import date

import pytest

from healthlinks.activities.models import Activity, AggregateTrainees, Assessment, Outcome, Trainee
from healthlinks.activities.selectors import health_workers_trained
from healthlinks.interchange.tabular.activities import COLUMNS, IMPORTERS
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.network.services import stay_create
from healthlinks.results.models import CashCost

pytestmark = pytest.mark.django_db


def write(tmp_path, kind, rows, header=None):
    path = tmp_path / f"{kind}.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header or COLUMNS[kind])
        w.writerows(rows)
    return path


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
            ]
        ],
        "trainees": [
            ["A1", "A1", "", "", "district", "yes", ""],
            ["A1", "B1", "", "", "district", "", ""],
            ["A1", "", "2222", "female", "primary", "", "6"],
        ],
        "assessments": [["A1", "A1", "40", "70", "100"], ["A1", "B1", "50", "90", ""]],
        "outcomes": [
            ["A1", "A1", "3", "practice", "", "yes", "6", "", "", "", "observed", "2023-08-01"],
            ["A1", "", "4", "indicator", "", "", "", "Triage within 15 min", "72.5", "%", "records", "2023-12-01"],
        ],
        "costs": [["C1", p, "A1", "travel", "1240.50", "gbp", "2023-01-20", "Flight"]],
    }
    for kind, rows in files.items():
        IMPORTERS[kind](write(tmp_path, kind, rows))
    return files, w


def test_every_table_imports_and_reimports_without_duplicates(tmp_path, loaded):
    files, w = loaded
    activity = Activity.objects.get(external_id="A1")
    assert activity.training_of_trainers and list(activity.stays.values_list("external_id", flat=True)) == ["S1"]
    assert health_workers_trained(Activity.objects.all())["total"] == 8  # 2 named + 6 counted
    assert Assessment.objects.get(person=w["bob"]).normalised_gain == 0.8
    assert CashCost.objects.get().currency == "GBP"
    before = (
        Trainee.objects.count(),
        AggregateTrainees.objects.count(),
        Assessment.objects.count(),
        Outcome.objects.count(),
        CashCost.objects.count(),
        Activity.objects.count(),
    )
    for kind, rows in files.items():
        result = IMPORTERS[kind](write(tmp_path, kind, rows))
        assert result.created == 0 and result.updated == len(rows), kind
    after = (
        Trainee.objects.count(),
        AggregateTrainees.objects.count(),
        Assessment.objects.count(),
        Outcome.objects.count(),
        CashCost.objects.count(),
        Activity.objects.count(),
    )
    assert before == after


@pytest.mark.parametrize(
    ("kind", "rows", "expected"),
    [
        (
            "activities",
            [
                ["A9", "nowhere", "X", "training_course", "in_person", "2023-01-01", "2023-01-02", "", "", "", "", ""],
                [
                    "A10",
                    "leeds-gulu",
                    "X",
                    "dance",
                    "in_person",
                    "2023-01-05",
                    "2023-01-01",
                    "",
                    "99999",
                    "maybe",
                    "",
                    "NOSTAY",
                ],
            ],
            {
                (2, "partnership"),
                (3, "type"),
                (3, "end_date"),
                (3, "purpose_code"),
                (3, "training_of_trainers"),
                (3, "stays"),
            },
        ),
        (
            "trainees",
            [
                ["A1", "NOBODY", "", "", "district", "", ""],
                ["A1", "", "9999", "female", "primary", "", ""],
                ["NOACT", "A1", "", "", "mars", "", ""],
            ],
            {(2, "person"), (3, "cadre_isco"), (3, "count"), (4, "activity"), (4, "facility_level")},
        ),
        (
            "assessments",
            [["A1", "A1", "40", "170", "100"], ["A1", "A1", "x", "70", ""]],
            {(2, "post_score"), (3, "pre_score")},
        ),
        (
            "outcomes",
            [
                ["A1", "A1", "3", "practice", "", "yes", "", "", "", "", "", "2023-08-01"],
                ["A1", "A1", "5", "practice", "", "", "9", "", "", "", "", "soon"],
            ],
            {(2, "follow_up_months"), (3, "level"), (3, "follow_up_months"), (3, "recorded_on")},
        ),
        (
            "costs",
            [["C9", "leeds-gulu", "", "bribes", "-5", "pounds", "2023-01-01", ""]],
            {(2, "category"), (2, "amount"), (2, "currency")},
        ),
    ],
)
def test_broken_files_name_every_bad_cell_and_change_nothing(tmp_path, loaded, kind, rows, expected):
    before = (
        Activity.objects.count(),
        Trainee.objects.count(),
        AggregateTrainees.objects.count(),
        Assessment.objects.count(),
        Outcome.objects.count(),
        CashCost.objects.count(),
    )
    rows = [[c.replace("leeds-gulu", loaded[1]["p"].slug) for c in r] for r in rows]
    with pytest.raises(ImportRejected) as err:
        IMPORTERS[kind](write(tmp_path, kind, rows))
    assert {(e.row, e.column) for e in err.value.errors} == expected
    after = (
        Activity.objects.count(),
        Trainee.objects.count(),
        AggregateTrainees.objects.count(),
        Assessment.objects.count(),
        Outcome.objects.count(),
        CashCost.objects.count(),
    )
    assert before == after


def test_cascades_and_knowledge_items_import(tmp_path, loaded):
    from healthlinks.activities.models import CascadeReport, KnowledgeItem

    IMPORTERS["cascades"](write(tmp_path, "cascades", [["A1", "A1", "18", "2023-11-30"]]))
    IMPORTERS["cascades"](write(tmp_path, "cascades", [["A1", "A1", "20", "2023-12-30"]]))
    assert CascadeReport.objects.get().people_trained == 20
    rows = [
        [
            "A1",
            "PPH protocol",
            "protocol",
            "north_south",
            "translated",
            "Misoprostol where no cold chain",
            "",
            "2023-02-03",
            "2023-05-01",
            "",
        ]
    ]
    IMPORTERS["knowledge"](write(tmp_path, "knowledge", rows))
    assert KnowledgeItem.objects.get().stage == 2
    bad = [["A1", "Checklist", "protocol", "east_west", "effective", "", "maybe", "2023-06-01", "2023-05-01", ""]]
    with pytest.raises(ImportRejected) as err:
        IMPORTERS["knowledge"](write(tmp_path, "knowledge", bad))
    assert {(e.row, e.column) for e in err.value.errors} == {(2, "direction"), (2, "sustained_at_follow_up")}
    assert KnowledgeItem.objects.count() == 1
