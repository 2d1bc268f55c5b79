"""Records kept under an activity, costs and ties are written through the API by the partnership's coordinators,
through the same services as the forms and the importers: validated, with the author in history, and a bad
request changes nothing."""

from datetime import date

import pytest

from healthlinks.activities.models import Activity, AggregateTrainees, Assessment, CascadeReport, KnowledgeItem
from healthlinks.activities.services import activity_save
from healthlinks.network.models import PersonRole, Tie
from healthlinks.network.services import person_save
from healthlinks.results.models import CashCost, InKindContribution

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(network_world, make_partnership, make_user):
    w = dict(network_world)
    for person in (w["alice"], w["bob"]):
        PersonRole.objects.create(person=person, partnership=w["p"], role="volunteer")
    w["activity"] = activity_save(
        by=None,
        partnership=w["p"],
        title="Neonatal resuscitation",
        kind="training_course",
        mode="in_person",
        start_date=date(2023, 3, 6),
        end_date=date(2023, 3, 8),
    )
    other_coordinator = make_user("othercoord", "coordinator")
    other = make_partnership(name="Bristol Mbarara", coordinator=other_coordinator, start_date=date(2015, 1, 1))
    w["other"], w["other_coordinator"] = other, other_coordinator
    w["other_activity"] = activity_save(
        by=None, partnership=other, title="Other", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 1), end_date=date(2023, 1, 2),
    )  # fmt: skip
    w["outsider"] = person_save(by=None, external_id="OUT-1")
    PersonRole.objects.create(person=w["outsider"], partnership=other, role="volunteer")
    return w


def _json(client, method, url, body=None):
    return getattr(client, method)(url, body or {}, content_type="application/json")


def test_a_coordinator_records_trainees_scores_knowledge_and_cascades(client_for, world):
    c = client_for(world["coordinator"])
    activity, alice = world["activity"], world["alice"]
    r = _json(c, "post", "/api/v1/trainees/", {"activity": activity.pk, "person": alice.pseudo_id})
    assert r.status_code == 201, r.json()
    assert activity.trainees.get().history.first().history_user == world["coordinator"]
    r = _json(
        c, "post", "/api/v1/aggregate-trainees/",
        {"activity": activity.pk, "cadre": "2221", "sex": "female", "facility_level": "district", "count": 5},
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    assert AggregateTrainees.objects.get().count == 5
    r = _json(c, "patch", f"/api/v1/aggregate-trainees/{r.json()['id']}/", {"count": 6})
    assert r.status_code == 200 and AggregateTrainees.objects.get().count == 6
    r = _json(
        c, "post", "/api/v1/assessments/",
        {"activity": activity.pk, "person": alice.pseudo_id, "pre_score": "40", "post_score": "80"},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["normalised_gain"] == pytest.approx(2 / 3)
    r = _json(
        c, "post", "/api/v1/knowledge-items/",
        {"activity": activity.pk, "title": "Bag-mask checklist", "kind": "protocol", "direction": "north_south"},
    )  # fmt: skip
    assert r.status_code == 201
    item = r.json()["id"]
    r = _json(c, "patch", f"/api/v1/knowledge-items/{item}/", {"stage": 2, "adaptation": "in Acholi"})
    assert r.status_code == 200 and KnowledgeItem.objects.get().stage == 2
    r = _json(
        c, "post", "/api/v1/cascades/",
        {"activity": activity.pk, "person": alice.pseudo_id, "people_trained": 8, "reported_on": "2023-09-01"},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["activity"] == activity.pk
    assert CascadeReport.objects.get().history.first().history_user == world["coordinator"]
    r = _json(c, "delete", f"/api/v1/knowledge-items/{item}/")
    assert r.status_code == 204 and not KnowledgeItem.objects.exists()
    assert KnowledgeItem.history.filter(history_type="-").get().history_user == world["coordinator"]


def test_bad_records_are_refused_naming_the_field_and_nothing_is_written(client_for, world):
    c = client_for(world["coordinator"])
    activity, alice = world["activity"], world["alice"]
    r = _json(
        c, "post", "/api/v1/assessments/",
        {"activity": activity.pk, "person": alice.pseudo_id, "pre_score": "40", "post_score": "140"},
    )  # fmt: skip
    assert r.status_code == 400 and "post_score" in r.json()
    r = _json(
        c, "post", "/api/v1/knowledge-items/",
        {"activity": activity.pk, "title": "X", "kind": "protocol", "direction": "north_south", "stage": 3},
    )  # fmt: skip
    assert r.status_code == 400 and "adaptation" in r.json()
    # someone else's activity, someone else's person
    r = _json(c, "post", "/api/v1/trainees/", {"activity": world["other_activity"].pk, "person": alice.pseudo_id})
    assert r.status_code == 400 and "activity" in r.json()
    r = _json(c, "post", "/api/v1/trainees/", {"activity": activity.pk, "person": world["outsider"].pseudo_id})
    assert r.status_code == 400 and r.json()["person"] == ["no such person"]
    assert not (Assessment.objects.exists() or KnowledgeItem.objects.exists() or activity.trainees.exists())
    # the person of a recorded trainee is fixed
    r = _json(c, "post", "/api/v1/trainees/", {"activity": activity.pk, "person": alice.pseudo_id})
    r = _json(c, "patch", f"/api/v1/trainees/{r.json()['id']}/", {"person": world["bob"].pseudo_id})
    assert r.status_code == 400 and "cannot be changed" in r.json()["person"][0]


def test_costs_and_gifts_through_the_api(client_for, world):
    c = client_for(world["coordinator"])
    p = world["p"]
    body = {"partnership": p.slug, "category": "travel", "amount": "812.40", "currency": "gbp",
            "spent_on": "2023-03-01", "activity": world["activity"].pk}  # fmt: skip
    r = _json(c, "post", "/api/v1/costs/", body)
    assert r.status_code == 201, r.json()
    assert r.json()["partnership"] == p.slug and CashCost.objects.get().currency == "GBP"
    r = _json(c, "post", "/api/v1/costs/", {**body, "activity": world["other_activity"].pk})
    assert r.status_code == 400 and "activity" in r.json()
    r = _json(c, "post", "/api/v1/costs/", {**body, "amount": "-3"})
    assert r.status_code == 400 and "amount" in r.json()
    r = _json(
        c, "post", "/api/v1/in-kind/",
        {"partnership": p.slug, "kind": "donated_equipment", "value": "1200", "currency": "GBP",
         "received_on": "2023-03-02", "valuation_method": "replacement cost"},
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    gift = InKindContribution.objects.get()
    assert gift.history.first().history_user == world["coordinator"]
    other = client_for(world["other_coordinator"])
    assert _json(other, "patch", f"/api/v1/in-kind/{gift.pk}/", {"value": "1"}).status_code == 404
    r = _json(other, "post", "/api/v1/costs/", body)
    assert r.status_code == 400 and "partnership" in r.json()
    assert CashCost.objects.count() == 1


def test_ties_through_the_api(client_for, world):
    c = client_for(world["coordinator"])
    alice, bob = world["alice"], world["bob"]
    body = {"person_a": alice.pseudo_id, "person_b": bob.pseudo_id, "kind": "mentor_mentee"}
    r = _json(c, "post", "/api/v1/ties/", body)
    assert r.status_code == 201, r.json()
    tie = Tie.objects.get()
    assert (tie.person_a, tie.person_b) == (alice, bob)
    r = _json(c, "patch", f"/api/v1/ties/{tie.pk}/", {"start_date": "2023-01-01", "source": "logbook"})
    assert r.status_code == 200 and r.json()["source"] == "logbook"
    r = _json(c, "patch", f"/api/v1/ties/{tie.pk}/", {"kind": "co_authors"})
    assert r.status_code == 400 and "kind" in r.json()
    r = _json(c, "post", "/api/v1/ties/", {**body, "person_b": world["outsider"].pseudo_id})
    assert r.status_code == 400
    r = _json(c, "post", "/api/v1/ties/", {**body, "person_b": alice.pseudo_id})
    assert r.status_code == 400 and "person_b" in r.json()
    assert _json(c, "delete", f"/api/v1/ties/{tie.pk}/").status_code == 204
    assert not Tie.objects.exists()


def test_a_person_created_through_the_api_is_usable_at_once(client_for, world):
    c = client_for(world["coordinator"])
    p = world["p"]
    r = _json(c, "post", "/api/v1/people/", {"partnership": p.slug, "role": "volunteer", "given_name": "Ngozi"})
    assert r.status_code == 201, r.json()
    pseudo = r.json()["pseudo_id"]
    r = _json(
        c, "post", "/api/v1/stays/",
        {"person": pseudo, "partnership": p.slug, "host_institution": world["ug"].pk, "mode": "physical",
         "start_date": "2023-03-01", "end_date": "2023-03-20"},
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    stay = r.json()["id"]
    r = _json(c, "patch", f"/api/v1/activities/{world['activity'].pk}/", {"stays": [stay], "facilitators": [pseudo]})
    assert r.status_code == 200, r.json()
    assert list(Activity.objects.get(pk=world["activity"].pk).stays.values_list("pk", flat=True)) == [stay]
    for url, body in (
        ("/api/v1/trainees/", {"activity": world["activity"].pk, "person": pseudo}),
        ("/api/v1/ties/", {"person_a": pseudo, "person_b": world["alice"].pseudo_id, "kind": "counterparts"}),
    ):
        r = _json(c, "post", url, body)
        assert r.status_code == 201, (url, r.json())
