"""Correcting a stay on the web: through network.services.stay_update (derived fields recomputed, overlaps
refused), the partnership's coordinators only, and merged with a change made meanwhile."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.network.models import Stay
from healthlinks.network.services import stay_create, stay_update
from healthlinks.registry.models import AccessRole, PartnershipAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def stay(network_world):
    w = network_world
    return stay_create(
        by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], sending_institution=w["uk"],
        mode="physical", start_date=date(2023, 1, 1), end_date=date(2023, 1, 10), notes="first note",
    )  # fmt: skip


def _post(network_world, stay, **changes):
    body = {
        "mode": "physical", "host_institution": network_world["ug"].pk, "sending_institution": network_world["uk"].pk,
        "start_date": "2023-01-01", "end_date": "2023-01-10", "notes": "first note", "purposes": ["teaching"],
    }  # fmt: skip
    body.update(changes)
    return body


def test_a_coordinator_corrects_the_dates_and_the_derived_fields_follow(network_world, stay, client_for):
    client = client_for(network_world["coordinator"])
    url = reverse("stay-edit", args=[stay.pk])
    page = client.get(url).content.decode()
    assert 'name="version"' in page and "first note" in page
    resp = client.post(
        url,
        _post(
            network_world, stay, end_date="2023-03-31", version=page.split('name="version" value="')[1].split('"')[0]
        ),
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    stay.refresh_from_db()
    assert (stay.duration_days, stay.continuum_class, stay.purposes) == (90, "medium_stay", ["teaching"])
    assert stay.history.latest("history_id").history_user == network_world["coordinator"]
    assert (
        reverse("stay-edit", args=[stay.pk])
        in client.get(reverse("person-detail", args=[stay.person.pseudo_id])).content.decode()
    )


def test_bad_dates_are_named_and_nothing_changes(network_world, stay, client_for):
    resp = client_for(network_world["coordinator"]).post(
        reverse("stay-edit", args=[stay.pk]), _post(network_world, stay, end_date="2022-12-01")
    )
    assert resp.status_code == 200 and "the end date is before the start date" in resp.content.decode()
    stay.refresh_from_db()
    assert stay.end_date == date(2023, 1, 10)


def test_a_change_made_meanwhile_is_kept(network_world, stay, client_for):
    client = client_for(network_world["coordinator"])
    url = reverse("stay-edit", args=[stay.pk])
    version = client.get(url).content.decode().split('name="version" value="')[1].split('"')[0]
    stay_update(by=None, stay=stay, notes="added by a colleague")  # saved while the form was open
    resp = client.post(url, _post(network_world, stay, end_date="2023-01-20", version=version))
    assert resp.status_code == 302
    stay.refresh_from_db()
    assert (stay.end_date, stay.notes) == (date(2023, 1, 20), "added by a colleague")


def test_members_cannot_edit_and_others_do_not_see_it(network_world, stay, client_for, make_user):
    member = make_user("smember", "member")
    PartnershipAccess.objects.create(user=member, partnership=network_world["p"], role=AccessRole.MEMBER)
    url = reverse("stay-edit", args=[stay.pk])
    assert client_for(member).get(url).status_code == 403
    assert client_for(member).post(url, _post(network_world, stay, notes="x")).status_code == 403
    assert client_for(make_user("stranger", "coordinator")).get(url).status_code == 404
    assert Stay.objects.get(pk=stay.pk).notes == "first note"
