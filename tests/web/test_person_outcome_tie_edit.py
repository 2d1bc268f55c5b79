"""Correcting what was entered: a person's details and consent, an outcome (or deleting it), removing a tie."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.activities.models import Outcome
from healthlinks.activities.services import activity_save, outcome_create, trainee_add
from healthlinks.network.models import Person, PersonRole, Tie
from healthlinks.network.services import tie_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(network_world, client_for):
    w = dict(network_world)
    for person in (w["alice"], w["bob"]):
        PersonRole.objects.create(person=person, partnership=w["p"], role="volunteer")
    return {**w, "client": client_for(w["coordinator"])}


def test_a_persons_details_and_consent_are_corrected(kept):
    c, alice = kept["client"], kept["alice"]
    url = reverse("person-edit", args=[alice.pseudo_id])
    page = c.get(url).content.decode()
    assert 'value="Secretname"' in page and 'name="role"' not in page
    r = c.post(url, {"given_name": "Alicia", "family_name": "Secretname", "sex": "female", "external_id": "A1"})
    assert r.status_code == 302
    alice = Person.objects.select_related("personal").get(pk=alice.pk)
    assert alice.personal.given_name == "Alicia" and not alice.research_consent  # consent withdrawn: unticked
    r = c.post(url, {"given_name": "Alicia", "sex": "female", "external_id": "B1"})  # Bob's external id
    assert r.status_code == 200 and r.context["form"].errors["external_id"]


def test_an_outcome_is_corrected_then_deleted_and_a_tie_removed(kept):
    c, alice, bob = kept["client"], kept["alice"], kept["bob"]
    activity = activity_save(
        by=None, partnership=kept["p"], title="Triage", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 3), end_date=date(2023, 1, 4),
    )  # fmt: skip
    trainee_add(by=None, activity=activity, person=alice)
    outcome = outcome_create(
        by=None, activity=activity, person=alice, level=3, dimension="practice", practice_changed=False,
        follow_up_months=3, recorded_on=date(2023, 4, 4),
    )  # fmt: skip
    url = reverse("outcome-edit", args=[outcome.pk])
    assert url in c.get(reverse("activity-detail", args=[activity.pk])).content.decode()
    body = {"level": "3", "dimension": "practice", "person": alice.pseudo_id, "practice_changed": "true",
            "follow_up_months": "6", "recorded_on": "2023-07-04"}  # fmt: skip
    assert c.post(url, body).status_code == 302
    outcome.refresh_from_db()
    assert (outcome.practice_changed, outcome.follow_up_months) == (True, 6)
    assert c.post(url, {"delete": "1"}).status_code == 302 and not Outcome.objects.exists()
    tie = tie_save(by=None, person_a=alice, person_b=bob, kind="counterparts")
    assert (
        reverse("tie-delete", args=[tie.pk]) in c.get(reverse("person-detail", args=[alice.pseudo_id])).content.decode()
    )
    r = c.post(reverse("tie-delete", args=[tie.pk]), {"from": alice.pseudo_id})
    assert r.status_code == 302 and r["Location"].endswith(f"/people/{alice.pseudo_id}/") and not Tie.objects.exists()
