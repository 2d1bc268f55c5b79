"""Bulk actions on the people list: tick people (or take every person the search matches among those one may
change), set their cadre or sex, export them, or delete them (soft) and undo it. One transaction, one history
row per person; people one may only read are never touched."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.network.models import Person
from healthlinks.network.services import person_save, stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(network_world, client_for):
    w = network_world
    for person, month in ((w["alice"], 1), (w["bob"], 2)):  # a stay in the partnership: the coordinator may edit
        stay_create(
            by=None, person=person, partnership=w["p"], host_institution=w["ug"], mode="physical",
            start_date=date(2023, month, 1), end_date=date(2023, month, 10),
        )  # fmt: skip
    stranger = person_save(by=None, external_id="S1", given_name="Stan", family_name="Stranger")
    return {**w, "stranger": stranger, "client": client_for(w["coordinator"]), "url": reverse("people-bulk")}


def test_set_the_cadre_of_the_ticked_people_or_of_all_that_match(people):
    c, url, alice, bob = people["client"], people["url"], people["alice"], people["bob"]
    page = c.get(reverse("people-list")).content.decode()
    assert f'name="selected" value="{alice.pseudo_id}"' in page
    assert f'value="{people["stranger"].pseudo_id}"' not in page  # not a person of the coordinator's partnerships
    r = c.post(url, {"action": "cadre", "cadre": "2211", "selected": [bob.pseudo_id]})
    assert r.status_code == 302
    assert dict(Person.objects.values_list("pseudo_id", "cadre_id"))[bob.pseudo_id] == "2211"
    assert Person.history.filter(id=bob.pk, history_type="~").first().history_user == people["coordinator"]
    c.post(url, {"action": "sex", "sex": "male", "scope": "all", "q": "Bob"})
    assert Person.objects.get(pk=bob.pk).sex == "male" and Person.objects.get(pk=alice.pk).sex == "female"
    c.post(url, {"action": "sex", "sex": "other", "scope": "all"})  # all the coordinator may change: not Stan
    assert dict(Person.objects.values_list("pk", "sex")) == {
        alice.pk: "other",
        bob.pk: "other",
        people["stranger"].pk: "not_recorded",
    }


def test_export_delete_and_undo(people):
    c, url, alice, bob = people["client"], people["url"], people["alice"], people["bob"]
    lines = c.post(url, {"action": "export", "selected": [alice.pseudo_id]}).content.decode().splitlines()
    assert lines[0].startswith("pseudo_id,external_id,cadre_isco,cadre_isco_label") and len(lines) == 2
    assert "Nursing professionals" in lines[1] and "Secretname" not in lines[1]
    r = c.post(url, {"action": "delete", "selected": [alice.pseudo_id, bob.pseudo_id]}, follow=True)
    text = r.content.decode()
    assert "2 people deleted." in text and "Undo" in text and alice.pseudo_id not in text.split("<table")[1]
    assert Person.objects.filter(deleted_at__isnull=False).count() == 2  # kept, hidden
    r = c.post(url, {"action": "undo"}, follow=True)
    assert "2 people restored." in r.content.decode()
    assert not Person.objects.filter(deleted_at__isnull=False).exists()
    assert list(Person.history.filter(id=alice.pk).values_list("history_change_reason", flat=True)[:2]) == [
        "restored",
        "deleted",
    ]


def test_nothing_chosen_a_bad_value_or_someone_elses_person_changes_nothing(people, client_for, make_user):
    c, url, stranger = people["client"], people["url"], people["stranger"]
    r = c.post(url, {"action": "sex"}, follow=True)
    assert "Tick the people" in r.content.decode()
    r = c.post(url, {"action": "sex", "sex": "robot", "scope": "all"}, follow=True)
    assert "not a valid choice" in r.content.decode() and not Person.objects.filter(sex="robot").exists()
    c.post(url, {"action": "delete", "selected": [stranger.pseudo_id]})
    assert Person.objects.get(pk=stranger.pk).deleted_at is None
    member = client_for(make_user("reader", "member"))
    assert member.post(url, {"action": "delete", "scope": "all"}).status_code == 302
    assert not Person.objects.filter(deleted_at__isnull=False).exists()
    assert client_for(None).post(url, {"action": "delete", "scope": "all"}).status_code == 302  # to log in


def test_the_api_deletes_a_person_softly_as_the_page_does(people, client_for):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(people["coordinator"])
    alice = people["alice"]
    assert api.delete(f"/api/v1/people/{alice.pseudo_id}/").status_code == 204
    assert Person.objects.get(pk=alice.pk).deleted_at is not None  # kept, hidden
    assert api.get(f"/api/v1/people/{alice.pseudo_id}/").status_code == 404
    assert Person.history.filter(id=alice.pk).first().history_change_reason == "deleted"
    assert api.delete(f"/api/v1/people/{people['stranger'].pseudo_id}/").status_code in (403, 404)
