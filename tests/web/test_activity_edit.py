"""Correcting an activity on the web: through activities.services.activity_save, its stays and facilitators
included, the partnership's coordinators only, merged with a change made meanwhile."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.activities.models import Activity
from healthlinks.activities.services import activity_save
from healthlinks.network.models import PersonRole
from healthlinks.network.services import stay_create
from healthlinks.registry.models import AccessRole, PartnershipAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(network_world):
    w = network_world
    PersonRole.objects.create(person=w["alice"], partnership=w["p"], role="volunteer")
    stay = stay_create(
        by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], sending_institution=w["uk"],
        mode="physical", start_date=date(2023, 1, 1), end_date=date(2023, 1, 10),
    )  # fmt: skip
    activity = activity_save(
        by=None, partnership=w["p"], title="Triage course", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 3), end_date=date(2023, 1, 4),
    )  # fmt: skip
    return {**w, "stay": stay, "activity": activity, "url": reverse("activity-edit", args=[activity.pk])}


def _body(r, **changes):
    body = {"title": "Triage course", "kind": "training_course", "mode": "in_person", "start_date": "2023-01-03",
            "end_date": "2023-01-04"}  # fmt: skip
    body.update(changes)
    return body


def _version(client, url):
    return client.get(url).content.decode().split('name="version" value="')[1].split('"')[0]


def test_a_coordinator_corrects_an_activity_and_links_its_stay_and_facilitator(recorded, client_for):
    client = client_for(recorded["coordinator"])
    detail = client.get(reverse("activity-detail", args=[recorded["activity"].pk])).content.decode()
    assert recorded["url"] in detail
    resp = client.post(
        recorded["url"],
        _body(recorded, title="Emergency triage course", stays=[recorded["stay"].pk],
              facilitators=[recorded["alice"].pk], version=_version(client, recorded["url"])),
    )  # fmt: skip
    assert resp.status_code == 302, resp.content.decode()[:2000]
    activity = Activity.objects.get(pk=recorded["activity"].pk)
    assert activity.title == "Emergency triage course"
    assert list(activity.stays.all()) == [recorded["stay"]] and list(activity.facilitators.all()) == [recorded["alice"]]
    assert activity.history.latest("history_id").history_user == recorded["coordinator"]
    page = client.get(recorded["url"]).content.decode()  # the form again shows the linked stay chosen
    assert f'value="{recorded["stay"].pk}" checked' in page or f'value="{recorded["stay"].pk}" selected' in page


def test_bad_dates_are_named_and_nothing_changes(recorded, client_for):
    resp = client_for(recorded["coordinator"]).post(recorded["url"], _body(recorded, end_date="2022-01-01"))
    assert resp.status_code == 200 and "the end date is before the start date" in resp.content.decode()
    assert Activity.objects.get(pk=recorded["activity"].pk).end_date == date(2023, 1, 4)


def test_a_title_changed_meanwhile_is_kept_with_my_dates(recorded, client_for):
    client = client_for(recorded["coordinator"])
    version = _version(client, recorded["url"])
    activity_save(by=None, activity=recorded["activity"], title="Renamed by a colleague")
    resp = client.post(recorded["url"], _body(recorded, end_date="2023-01-05", version=version))
    assert resp.status_code == 302
    activity = Activity.objects.get(pk=recorded["activity"].pk)
    assert (activity.title, activity.end_date) == ("Renamed by a colleague", date(2023, 1, 5))


def test_members_cannot_edit(recorded, client_for, make_user):
    member = make_user("amember", "member")
    PartnershipAccess.objects.create(user=member, partnership=recorded["p"], role=AccessRole.MEMBER)
    assert client_for(member).get(recorded["url"]).status_code == 403
    assert client_for(member).post(recorded["url"], _body(recorded, title="x")).status_code == 403
    assert Activity.objects.get(pk=recorded["activity"].pk).title == "Triage course"
