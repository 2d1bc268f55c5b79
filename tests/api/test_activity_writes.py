"""Activities and outcomes are written through the API by the partnership's coordinators and hub admins,
with the same rules as the forms and the imports."""

from datetime import date

import pytest

from healthlinks.accounts.models import Role
from healthlinks.activities.models import Activity, Outcome
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db

ACTIVITY = {
    "title": "Emergency triage (ETAT)",
    "kind": "training_course",
    "mode": "in_person",
    "start_date": "2023-03-06",
    "end_date": "2023-03-08",
    "hours": "18",
    "training_of_trainers": True,
}


@pytest.fixture
def stay(network_world):
    w = network_world
    return stay_create(
        by=None,
        person=w["alice"],
        partnership=w["p"],
        sending_institution=w["uk"],
        host_institution=w["ug"],
        mode="physical",
        start_date=date(2023, 3, 1),
        end_date=date(2023, 3, 20),
    )


def _post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_a_coordinator_records_an_activity_with_its_stay_and_facilitator(client_for, network_world, stay):
    w = network_world
    c = client_for(w["coordinator"])
    body = {**ACTIVITY, "partnership": w["p"].slug, "stays": [stay.pk], "facilitators": [w["alice"].pseudo_id]}
    resp = _post(c, "/api/v1/activities/", body)
    assert resp.status_code == 201, resp.json()
    activity = Activity.objects.get()
    assert list(activity.stays.all()) == [stay] and list(activity.facilitators.all()) == [w["alice"]]
    assert activity.history.first().history_user == w["coordinator"]
    resp = c.patch(f"/api/v1/activities/{activity.pk}/", {"hours": "20"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["hours"] == "20.0"


def test_bad_activities_are_refused_with_the_field_named_and_nothing_written(client_for, network_world):
    w = network_world
    c = client_for(w["coordinator"])
    resp = _post(c, "/api/v1/activities/", {**ACTIVITY, "partnership": w["p"].slug, "end_date": "2023-03-01"})
    assert resp.status_code == 400 and "end_date" in resp.json()
    resp = _post(c, "/api/v1/activities/", {**ACTIVITY, "partnership": w["p"].slug, "kind": "party"})
    assert resp.status_code == 400 and "kind" in resp.json()
    assert not Activity.objects.exists()


def test_only_coordinators_of_the_partnership_write(client_for, make_user, make_partnership, network_world, stay):
    w = network_world
    other_coordinator = make_user("othercoord", Role.COORDINATOR)
    make_partnership(name="Other", coordinator=other_coordinator)
    body = {**ACTIVITY, "partnership": w["p"].slug}
    assert _post(client_for(other_coordinator), "/api/v1/activities/", body).status_code == 400
    assert _post(client_for(make_user("r", Role.RESEARCHER)), "/api/v1/activities/", body).status_code == 403
    assert _post(client_for(make_user("m", Role.MEMBER)), "/api/v1/activities/", body).status_code == 403
    assert _post(client_for(None), "/api/v1/activities/", body).status_code in (401, 403)
    assert not Activity.objects.exists()
    created = _post(client_for(w["coordinator"]), "/api/v1/activities/", body).json()
    url = f"/api/v1/activities/{created['id']}/"
    assert client_for(other_coordinator).delete(url).status_code == 403
    # a stay of another partnership cannot be linked
    assert Activity.objects.count() == 1


def test_outcomes_are_recorded_with_the_level_rules(client_for, network_world, stay):
    w = network_world
    c = client_for(w["coordinator"])
    activity = _post(c, "/api/v1/activities/", {**ACTIVITY, "partnership": w["p"].slug}).json()
    outcome = {
        "activity": activity["id"],
        "person": w["alice"].pseudo_id,
        "level": 3,
        "dimension": "practice",
        "practice_changed": True,
        "recorded_on": "2023-09-08",
    }
    resp = _post(c, "/api/v1/outcomes/", outcome)
    assert resp.status_code == 400 and "follow_up_months" in resp.json()
    assert not Outcome.objects.exists()
    resp = _post(c, "/api/v1/outcomes/", {**outcome, "follow_up_months": 6})
    assert resp.status_code == 201, resp.json()
    pk = resp.json()["id"]
    resp = c.patch(f"/api/v1/outcomes/{pk}/", {"practice_changed": False}, content_type="application/json")
    assert resp.status_code == 200 and Outcome.objects.get().practice_changed is False
    assert c.delete(f"/api/v1/outcomes/{pk}/").status_code == 204 and not Outcome.objects.exists()


def test_outcomes_cannot_be_written_into_another_partnership(client_for, make_user, make_partnership, network_world):
    w = network_world
    activity = _post(client_for(w["coordinator"]), "/api/v1/activities/", {**ACTIVITY, "partnership": w["p"].slug})
    other = make_user("othercoord", Role.COORDINATOR)
    make_partnership(name="Other", coordinator=other)
    body = {"activity": activity.json()["id"], "level": 1, "dimension": "satisfaction", "rating": 4}
    resp = _post(client_for(other), "/api/v1/outcomes/", {**body, "recorded_on": "2023-03-08"})
    assert resp.status_code == 400 and "activity" in resp.json()
    assert not Outcome.objects.exists()
