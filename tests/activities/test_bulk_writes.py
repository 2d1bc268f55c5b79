"""The activities' bulk services (the demo world's path; an importer's): each writes a batch as its single-record
service writes one record: the same rules, a history row with the author, a record already kept replaced; a
refused record named by its index and field, nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from healthlinks.activities import services
from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.network.models import PersonRole
from healthlinks.network.services import stay_create
from healthlinks.records import RowInvalid

pytestmark = pytest.mark.django_db


def _activity(p, **fields):
    values = {
        "partnership": p, "title": "Triage", "kind": "workshop", "mode": "in_person",
        "start_date": date(2023, 2, 1), "end_date": date(2023, 2, 3),
    }  # fmt: skip
    return Activity(**{**values, **fields})


@pytest.fixture
def stay(network_world):
    w = network_world
    return stay_create(
        by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2023, 1, 20), end_date=date(2023, 2, 10),
    )  # fmt: skip


@pytest.fixture
def activity(network_world, stay):
    (made,), _updated = services.activities_save_many(
        by=None, activities=[_activity(network_world["p"])], stays=[[stay]]
    )
    return made


def test_activities_are_created_linked_to_their_stays_with_one_history_row_showing_the_links(
    network_world, stay, admin_user
):
    p = network_world["p"]
    created, updated = services.activities_save_many(
        by=admin_user, activities=[_activity(p), _activity(p, title="Sepsis")], stays=[[stay], []]
    )
    assert updated == [] and [a.title for a in created] == ["Triage", "Sepsis"]
    assert list(created[0].stays.all()) == [stay] and not created[1].stays.exists()
    row = created[0].history.get()
    assert (row.history_type, row.history_user) == ("+", admin_user)
    assert [link.stay_id for link in row.stays.all()] == [stay.pk]  # as simple-history keeps a save's links
    created[1].title = "Sepsis bundle"
    _created, changed = services.activities_save_many(by=None, activities=[created[1]], stays=[[stay]])
    assert changed == [created[1]] and Activity.objects.get(pk=created[1].pk).title == "Sepsis bundle"
    assert [link.stay_id for link in created[1].history.latest("history_id").stays.all()] == [stay.pk]


def test_a_refused_activity_is_named_and_nothing_is_written(network_world, stay, make_partnership):
    p, other = network_world["p"], make_partnership(name="Other")
    bad_dates = _activity(p, end_date=date(2023, 1, 1))
    with pytest.raises(RowInvalid) as refused:
        services.activities_save_many(by=None, activities=[_activity(p), bad_dates], stays=[[stay], [stay]])
    assert refused.value.index == 1 and "end_date" in refused.value.message_dict
    with pytest.raises(RowInvalid) as refused:
        services.activities_save_many(by=None, activities=[_activity(p), _activity(other)], stays=[[stay], [stay]])
    assert refused.value.index == 1 and "stays" in refused.value.message_dict
    with pytest.raises(RowInvalid) as refused:
        services.activities_save_many(
            by=None, activities=[_activity(p, external_id="A1"), _activity(p, external_id="A1")]
        )
    assert refused.value.index == 1 and "external_id" in refused.value.message_dict
    assert not Activity.objects.exists() and not Activity.history.exists()


def test_trainees_are_recorded_once_each_with_their_trainee_role(network_world, activity, admin_user):
    w = network_world
    created, _ = services.trainees_save_many(
        by=admin_user, trainees=[Trainee(activity=activity, person=w["bob"], facility_level="district")]
    )
    assert created[0].history.get().history_user == admin_user
    assert PersonRole.objects.filter(person=w["bob"], partnership=w["p"], role="trainee").exists()
    again, replaced = services.trainees_save_many(
        by=None, trainees=[Trainee(activity=activity, person=w["bob"], facility_level="primary")]
    )
    assert again == [] and replaced[0].pk == created[0].pk
    assert Trainee.objects.get().facility_level == "primary" and Trainee.history.count() == 2


def test_a_refused_trainee_is_named_and_nothing_is_written(network_world, activity):
    w = network_world
    bob_twice = [Trainee(activity=activity, person=w["bob"]), Trainee(activity=activity, person=w["bob"])]
    bad_level = [Trainee(activity=activity, person=w["alice"]), Trainee(activity=activity, person=w["bob"])]
    bad_level[1].facility_level = "the moon"
    for trainees, field in ((bob_twice, "person"), (bad_level, "facility_level")):
        with pytest.raises(RowInvalid) as refused:
            services.trainees_save_many(by=None, trainees=trainees)
        assert refused.value.index == 1 and field in refused.value.message_dict
    assert not Trainee.objects.exists() and not PersonRole.objects.filter(role="trainee").exists()


def test_counted_trainees_replace_the_count_of_their_cell(network_world, activity, admin_user):
    cell = {"activity": activity, "cadre_id": "3253", "sex": "female", "facility_level": "primary"}
    (row,), _ = services.aggregates_save_many(by=admin_user, aggregates=[AggregateTrainees(count=5, **cell)])
    _, (same,) = services.aggregates_save_many(by=None, aggregates=[AggregateTrainees(count=9, **cell)])
    assert same.pk == row.pk and AggregateTrainees.objects.get().count == 9
    assert row.history.earliest("history_id").history_user == admin_user
    with pytest.raises(RowInvalid) as refused:
        services.aggregates_save_many(
            by=None,
            aggregates=[AggregateTrainees(count=1, **{**cell, "sex": "male"}), AggregateTrainees(count=-1, **cell)],
        )
    assert refused.value.index == 1 and "count" in refused.value.message_dict
    assert AggregateTrainees.objects.count() == 1


def test_scores_are_replaced_per_trainee_and_scores_off_the_scale_are_refused(network_world, activity, admin_user):
    w = network_world
    (first,), _ = services.scores_save_many(
        by=admin_user,
        assessments=[Assessment(activity=activity, person=w["alice"], pre_score=Decimal(40), post_score=Decimal(70))],
    )
    assert first.history.get().history_user == admin_user
    with pytest.raises(RowInvalid) as refused:
        services.scores_save_many(
            by=None,
            assessments=[
                Assessment(activity=activity, person=w["alice"], pre_score=Decimal(50), post_score=Decimal(80)),
                Assessment(activity=activity, person=w["bob"], pre_score=Decimal(50), post_score=Decimal(120)),
            ],
        )
    assert refused.value.index == 1 and "post_score" in refused.value.message_dict
    assert Assessment.objects.get().post_score == 70 and Assessment.history.count() == 1  # nothing written
    _, (replaced,) = services.scores_save_many(
        by=None,
        assessments=[Assessment(activity=activity, person=w["alice"], pre_score=Decimal(50), post_score=Decimal(80))],
    )
    assert replaced.pk == first.pk and Assessment.objects.get().post_score == 80


def test_outcomes_follow_the_rules_of_their_level(network_world, activity, admin_user):
    w = network_world
    good = Outcome(activity=activity, person=w["alice"], level=1, dimension="satisfaction", rating=4,
                   recorded_on=date(2023, 2, 3))  # fmt: skip
    no_follow_up = Outcome(activity=activity, person=w["bob"], level=3, dimension="practice", practice_changed=True,
                           recorded_on=date(2023, 8, 3))  # fmt: skip
    with pytest.raises(RowInvalid) as refused:
        services.outcomes_save_many(by=None, outcomes=[good, no_follow_up])
    assert refused.value.index == 1 and "follow_up_months" in refused.value.message_dict
    assert not Outcome.objects.exists()
    no_follow_up.follow_up_months = 6
    created, _ = services.outcomes_save_many(by=admin_user, outcomes=[good, no_follow_up])
    assert {o.history.get().history_user for o in created} == {admin_user}
    good.rating = 5
    _, (changed,) = services.outcomes_save_many(by=None, outcomes=[good])
    assert Outcome.objects.get(pk=changed.pk).rating == 5 and changed.history.latest("history_id").history_type == "~"


def test_knowledge_items_say_how_they_were_adapted_from_translation_on(network_world, activity, admin_user):
    item = KnowledgeItem(activity=activity, title="Triage card", kind="protocol", direction="north_south", stage=1)
    adapted = KnowledgeItem(activity=activity, title="Partograph", kind="guideline", direction="south_south", stage=2)
    with pytest.raises(RowInvalid) as refused:
        services.knowledge_items_save_many(by=None, items=[item, adapted])
    assert refused.value.index == 1 and "adaptation" in refused.value.message_dict
    assert not KnowledgeItem.objects.exists()
    adapted.adaptation = "Local drugs"
    created, _ = services.knowledge_items_save_many(by=admin_user, items=[item, adapted])
    assert [k.history.get().history_user for k in created] == [admin_user, admin_user]


def test_cascade_reports_are_one_per_trainee_and_activity(network_world, activity, admin_user):
    w = network_world
    report = {"source_activity": activity, "person": w["alice"], "reported_on": date(2023, 9, 1)}
    (first,), _ = services.cascades_save_many(by=admin_user, reports=[CascadeReport(people_trained=5, **report)])
    _, (same,) = services.cascades_save_many(by=None, reports=[CascadeReport(people_trained=8, **report)])
    assert same.pk == first.pk and CascadeReport.objects.get().people_trained == 8
    assert first.history.earliest("history_id").history_user == admin_user
    with pytest.raises(RowInvalid) as refused:
        services.cascades_save_many(
            by=None,
            reports=[
                CascadeReport(people_trained=1, **{**report, "person": w["bob"]}),
                CascadeReport(people_trained=-3, **report),
            ],
        )
    assert refused.value.index == 1 and "people_trained" in refused.value.message_dict
    assert CascadeReport.objects.count() == 1
