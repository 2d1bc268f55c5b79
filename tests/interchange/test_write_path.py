"""Every tabular importer writes through its app's services (issue: one write path): the service is called for
the file's rows, and what it writes carries the importer's user in its history. A second import of the same file
goes through the same services as updates."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest

from healthlinks.activities import services as activity_services
from healthlinks.activities.models import AggregateTrainees, CascadeReport, KnowledgeItem, Outcome, Trainee
from healthlinks.interchange.tabular import activities as activity_import
from healthlinks.interchange.tabular import network as network_import
from healthlinks.network import services as network_services
from healthlinks.network.models import Stay, Tie
from healthlinks.results import services as results_services
from healthlinks.results.models import CashCost
from tests.interchange.test_activity_import import write
from tests.interchange.test_stay_import import PEOPLE_COLUMNS, stay_row, write_csv

pytestmark = pytest.mark.django_db


def _spy(module, name):
    return mock.patch.object(module, name, wraps=getattr(module, name))


def test_the_network_importers_write_through_the_network_services(tmp_path, network_world, make_user):
    w = network_world
    user = make_user("importer", "hub_admin")
    people = write_csv(
        tmp_path / "people.csv",
        PEOPLE_COLUMNS,
        [[f"P{i}", f"G{i}", f"F{i}", f"p{i}@example.org", "2221", "female", "", "", "yes"] for i in (1, 2)],
    )
    stays = write_csv(
        tmp_path / "stays.csv",
        network_import.STAY_COLUMNS,
        [stay_row(w, "S1", "P1", "2023-01-01", "2023-01-20"), stay_row(w, "S2", "P2", "2023-02-01", "2023-02-09")],
    )
    ties = write_csv(tmp_path / "ties.csv", ["person_a", "person_b", "kind"], [["P1", "P2", "mentor_mentee"]])
    for _round in (1, 2):  # created, then updated
        with _spy(network_services, "people_save_many") as save:
            network_import.import_people(people, user=user)
        assert save.call_count == 1 and len(save.call_args.kwargs["people"]) == 2
        with _spy(network_services, "stays_save_many") as save:
            network_import.import_stays(stays, user=user)
        assert save.call_count == 1 and len(save.call_args.kwargs["stays"]) == 2
        with _spy(network_services, "ties_save_many") as save:
            network_import.import_ties(ties, user=user)
        assert save.call_count == 1
    assert {h.history_user for h in Stay.history.all()} == {user}
    assert {h.history_user for h in Tie.history.all()} == {user}
    assert Stay.history.filter(history_type="~").count() == 2 and Tie.objects.count() == 1


def test_a_stay_overlapping_a_recorded_one_is_refused_by_the_service_itself(network_world):
    w = network_world
    network_services.stay_create(
        by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2023, 1, 1), end_date=date(2023, 1, 31),
    )  # fmt: skip
    new = Stay(
        person=w["alice"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2023, 1, 20), end_date=date(2023, 2, 5),
    )  # fmt: skip
    fine = Stay(
        person=w["bob"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2023, 1, 20), end_date=date(2023, 2, 5),
    )  # fmt: skip
    with pytest.raises(network_services.RowInvalid) as err:
        network_services.stays_save_many(by=None, stays=[fine, new])
    assert err.value.index == 1 and "start_date" in err.value.message_dict
    assert Stay.objects.count() == 1


ACTIVITY_FILES = {
    "activities": lambda w: [
        ["A1", w["p"].slug, "Triage", "training_course", "in_person", "2023-02-01", "2023-02-03", "", "", "", "", ""]
    ],
    "trainees": lambda w: [
        ["A1", "A1", "", "", "district", "yes", ""],
        ["A1", "", "2222", "female", "primary", "", "6"],
    ],
    "assessments": lambda w: [["A1", "A1", "40", "70", "100"]],
    "outcomes": lambda w: [["A1", "A1", "3", "practice", "", "yes", "6", "", "", "", "observed", "2023-08-01"]],
    "costs": lambda w: [["C1", w["p"].slug, "A1", "travel", "1240.50", "gbp", "2023-01-20", "Flight"]],
    "cascades": lambda w: [["A1", "A1", "5", "2023-09-01"]],
    "knowledge": lambda w: [["A1", "Triage card", "protocol", "north_south", "transferred", "", "", "", "", ""]],
}
SERVICES = {
    "activities": [(activity_import, "activity_save")],
    "trainees": [(activity_services, "trainee_add"), (activity_services, "aggregate_set")],
    "assessments": [(activity_services, "assessment_save")],
    "outcomes": [(activity_services, "outcome_create"), (activity_services, "outcome_update")],
    "costs": [(results_services, "cost_save")],
    "cascades": [(activity_services, "cascade_save")],
    "knowledge": [(activity_services, "knowledge_item_save")],
}


def test_the_activity_importers_write_through_the_activities_and_results_services(tmp_path, network_world, make_user):
    w = network_world
    user = make_user("importer", "hub_admin")
    network_services.person_save(by=None, person=w["alice"])  # A1 is alice's external id
    for round_ in (1, 2):  # created, then updated
        for kind, rows in ACTIVITY_FILES.items():
            path = write(tmp_path, kind, rows(w))
            spies = [_spy(module, name) for module, name in SERVICES[kind]]
            mocks = [spy.start() for spy in spies]
            try:
                result = activity_import.IMPORTERS[kind](path, user=user)
            finally:
                for spy in spies:
                    spy.stop()
            calls = sum(m.call_count for m in mocks)
            assert calls == len(rows(w)), (kind, calls)
            assert (result.created, result.updated) == ((calls, 0) if round_ == 1 else (0, calls)), kind
    for model in (Trainee, AggregateTrainees, Outcome, CashCost, CascadeReport, KnowledgeItem):
        assert {h.history_user for h in model.history.all()} == {user}, model
