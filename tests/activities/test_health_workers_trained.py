"""The unique-trainee rule (TRN-01) on the overlaps that trip up hand counts."""

from datetime import date

import pytest

from healthlinks.activities.models import Activity
from healthlinks.activities.selectors import activities_in_period, health_workers_trained
from healthlinks.activities.services import activity_save, aggregate_set, trainee_add
from healthlinks.network.services import person_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(network_world):
    w = network_world
    p = w["p"]

    def activity(title, end):
        return activity_save(
            by=None,
            partnership=p,
            title=title,
            kind="training_course",
            mode="in_person",
            start_date=end.replace(day=1),
            end_date=end,
        )

    nurses = [person_save(by=None, external_id=f"N{i}", cadre_id="2221", sex="female") for i in range(3)]
    midwife = person_save(by=None, external_id="M1", cadre_id="2222", sex="female")
    doctor = person_save(by=None, external_id="D1", cadre_id="2211", sex="male")
    return {"activity": activity, "nurses": nurses, "midwife": midwife, "doctor": doctor, "p": p}


def test_a_person_in_several_activities_counts_once(setup):
    s = setup
    a, b = s["activity"]("A", date(2022, 3, 20)), s["activity"]("B", date(2022, 6, 20))
    for act in (a, b):
        for nurse in s["nurses"]:
            trainee_add(by=None, activity=act, person=nurse, facility_level="district")
    trainee_add(by=None, activity=b, person=s["doctor"], facility_level="regional")
    result = health_workers_trained(Activity.objects.all())
    assert (result["total"], result["named"], result["counted"]) == (4, 4, 0)
    assert result["by_cadre"] == {"2211": 1, "2221": 3} and result["by_sex"] == {"female": 3, "male": 1}


def test_counted_trainees_exclude_the_named_ones_of_the_same_cell(setup):
    s = setup
    a = s["activity"]("A", date(2022, 3, 20))
    for nurse in s["nurses"][:2]:
        trainee_add(by=None, activity=a, person=nurse, facility_level="district")
    # the activity reported 10 female district nurses in all, two of whom are also named
    aggregate_set(by=None, activity=a, cadre_id="2221", sex="female", facility_level="district", count=10)
    # and 4 male doctors from primary care, none named
    aggregate_set(by=None, activity=a, cadre_id="2211", sex="male", facility_level="primary", count=4)
    result = health_workers_trained(Activity.objects.all())
    assert (result["total"], result["named"], result["counted"]) == (14, 2, 12)
    assert result["by_cadre"] == {"2211": 4, "2221": 10}


def test_named_trainees_outside_the_counted_cell_are_added(setup):
    s = setup
    a = s["activity"]("A", date(2022, 3, 20))
    trainee_add(by=None, activity=a, person=s["nurses"][0], facility_level="regional")  # another facility level
    aggregate_set(by=None, activity=a, cadre_id="2221", sex="female", facility_level="district", count=5)
    assert health_workers_trained(Activity.objects.all())["total"] == 6


def test_more_named_than_counted_never_goes_negative(setup):
    s = setup
    a = s["activity"]("A", date(2022, 3, 20))
    for nurse in s["nurses"]:
        trainee_add(by=None, activity=a, person=nurse, facility_level="district")
    aggregate_set(by=None, activity=a, cadre_id="2221", sex="female", facility_level="district", count=1)
    assert health_workers_trained(Activity.objects.all())["total"] == 3


def test_the_period_and_completion_decide_who_counts(setup):
    s = setup
    early, late = s["activity"]("Early", date(2021, 12, 20)), s["activity"]("Late", date(2022, 2, 20))
    trainee_add(by=None, activity=early, person=s["midwife"])
    trainee_add(by=None, activity=late, person=s["doctor"])
    trainee_add(by=None, activity=late, person=s["nurses"][0], completed=False)
    period = activities_in_period(Activity.objects.all(), date(2022, 1, 1), date(2022, 12, 31))
    assert health_workers_trained(period)["total"] == 1
    assert health_workers_trained(Activity.objects.all())["total"] == 2


def test_the_activities_api_reports_trainees_by_the_rule_and_hides_drafts(setup, client, make_partnership):
    s = setup
    a = s["activity"]("A", date(2022, 3, 20))
    trainee_add(by=None, activity=a, person=s["nurses"][0], facility_level="district")
    aggregate_set(by=None, activity=a, cadre_id="2221", sex="female", facility_level="district", count=5)
    draft = make_partnership(name="Draft", publication="draft")
    activity_save(
        by=None,
        partnership=draft,
        title="Hidden",
        kind="workshop",
        mode="remote",
        start_date=date(2022, 1, 1),
        end_date=date(2022, 1, 2),
    )
    data = client.get("/api/v1/activities/").json()
    assert [r["title"] for r in data["results"]] == ["A"]
    assert data["results"][0]["health_workers_trained"] == 5


def test_the_activities_list_costs_the_same_queries_for_more_activities(setup, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    s = setup

    def add(n):
        for i in range(n):
            a = s["activity"](f"A{i}", date(2022, 3, 20))
            trainee_add(by=None, activity=a, person=s["doctor"])
            aggregate_set(by=None, activity=a, cadre_id="2221", sex="female", facility_level="district", count=3)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/activities/").status_code == 200
        return len(ctx.captured_queries)

    add(2)
    few = queries()
    add(6)
    assert queries() == few
