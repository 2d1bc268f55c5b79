"""A coordinator records one outcome of an activity from its page; the rules name the missing field."""

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.accounts.models import Role
from healthlinks.activities.models import Outcome
from healthlinks.activities.services import activity_save, trainee_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(network_world):
    w = network_world
    a = activity_save(
        by=None,
        partnership=w["p"],
        title="Neonatal resuscitation",
        kind="training_course",
        mode="in_person",
        start_date=date(2023, 5, 1),
        end_date=date(2023, 5, 2),
    )
    trainee_add(by=None, activity=a, person=w["alice"])
    return a


def test_a_coordinator_records_practice_change_at_follow_up(activity, network_world, client_for):
    w = network_world
    c = client_for(w["coordinator"])
    url = reverse("outcome-create", args=[activity.pk])
    form = c.get(url).content.decode()
    assert "Alice" in form  # the trainee is offered by name to someone who may see names
    data = {"level": "3", "dimension": "practice", "person": w["alice"].pk, "recorded_on": "2023-11-01"}
    resp = c.post(url, {**data, "practice_changed": "true"})
    assert "give the follow-up interval" in resp.content.decode() and not Outcome.objects.exists()
    resp = c.post(url, {**data, "practice_changed": "true", "follow_up_months": "6", "method": "observed"})
    assert resp.status_code == 302
    outcome = Outcome.objects.get()
    assert outcome.practice_changed and outcome.follow_up_months == 6 and outcome.person == w["alice"]
    page = c.get(reverse("activity-detail", args=[activity.pk])).content.decode()
    assert "changed" in page and "Record an outcome" in page


def test_a_facility_result_and_a_bad_dimension(activity, network_world, client_for):
    c = client_for(network_world["coordinator"])
    url = reverse("outcome-create", args=[activity.pk])
    resp = c.post(url, {"level": "4", "dimension": "satisfaction", "recorded_on": "2024-01-01"})
    assert "level 4 measures indicator" in resp.content.decode()
    resp = c.post(
        url,
        {
            "level": "4",
            "dimension": "indicator",
            "indicator": "Neonatal mortality per 1,000",
            "value": "21.5",
            "unit": "per 1,000",
            "recorded_on": "2024-01-01",
        },
    )
    assert resp.status_code == 302 and Outcome.objects.get().person is None


@pytest.mark.parametrize("role", [Role.MEMBER, Role.RESEARCHER, Role.COORDINATOR])
def test_others_cannot_record_outcomes(role, activity, make_user, client_for):
    c = client_for(make_user("someone", role))
    url = reverse("outcome-create", args=[activity.pk])
    assert c.get(url).status_code in (403, 404)
    c.post(url, {"level": "1", "dimension": "satisfaction", "rating": "5", "recorded_on": "2023-05-02"})
    assert not Outcome.objects.exists()
    assert "Record an outcome" not in c.get(reverse("activity-detail", args=[activity.pk])).content.decode()
