"""My partnerships: a signed-in user's home lists their partnerships by role with what needs attention, and the
actions one click away (activities.selectors.attention)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthlinks.activities.selectors import attention
from healthlinks.activities.services import activity_save, outcome_create, trainee_add
from healthlinks.network.services import stay_create
from healthlinks.registry.models import AccessRole, PartnershipAccess, Publication

pytestmark = pytest.mark.django_db
TODAY = date(2024, 6, 15)


def _activity(p, title, end, **fields):
    return activity_save(
        by=None, partnership=p, title=title, kind="training_course", mode="in_person", start_date=end, end_date=end,
        **fields,
    )  # fmt: skip


@pytest.fixture
def busy(network_world):
    w = network_world
    p = w["p"]
    stay_create(
        by=None, person=w["alice"], partnership=p, host_institution=w["ug"], sending_institution=w["uk"],
        mode="physical", start_date=TODAY + timedelta(days=10), end_date=TODAY + timedelta(days=20),
    )  # fmt: skip
    stay_create(
        by=None, person=w["bob"], partnership=p, host_institution=w["ug"], sending_institution=w["uk"],
        mode="physical", start_date=TODAY + timedelta(days=60), end_date=TODAY + timedelta(days=70),
    )  # fmt: skip
    bare = _activity(p, "No one recorded", TODAY - timedelta(days=5))
    trained = _activity(p, "Trained, 3 months ago", TODAY - timedelta(days=95))
    trainee_add(by=None, activity=trained, person=w["alice"], facility_level="district")
    followed = _activity(p, "Followed up at 6 months", TODAY - timedelta(days=185))
    trainee_add(by=None, activity=followed, person=w["alice"], facility_level="district")
    outcome_create(
        by=None, activity=followed, person=w["alice"], level=3, dimension="practice", rating=4,
        recorded_on=TODAY, follow_up_months=6, practice_changed=True,
    )  # fmt: skip
    _activity(p, "Next month", TODAY + timedelta(days=30))  # not ended: nothing is due yet
    return {**w, "bare": bare}


def test_attention_counts_what_needs_doing(busy):
    needs = attention([busy["p"].pk], today=TODAY)[busy["p"].pk]
    assert needs.stays_starting_soon == 1  # in 10 days; the one in 60 days is not soon
    assert needs.activities_without_trainees == 1  # "No one recorded"
    assert needs.activities_without_outcomes == 2  # "No one recorded" and the 3-month one
    assert needs.follow_ups_due == 1  # the 3-month follow-up; the 6-month one was recorded
    assert needs.stays_flagged == 0


def test_attention_takes_the_same_queries_for_one_partnership_or_many(busy, make_partnership):
    others = [make_partnership(name=f"Other {i}").pk for i in range(5)]
    with CaptureQueriesContext(connection) as one:
        attention([busy["p"].pk], today=TODAY)
    with CaptureQueriesContext(connection) as six:
        attention([busy["p"].pk, *others], today=TODAY)
    assert len(one) == len(six)


def test_signing_in_lands_on_my_partnerships_with_roles_and_actions(busy, client, make_partnership, make_user):
    coordinator = busy["coordinator"]
    draft = make_partnership(name="Quiet draft", publication=Publication.DRAFT)
    PartnershipAccess.objects.create(user=coordinator, partnership=draft, role=AccessRole.MEMBER)
    coordinator.set_password("Correct-Horse-9")
    coordinator.save()
    resp = client.post(reverse("login"), {"username": coordinator.username, "password": "Correct-Horse-9"})
    assert resp.status_code == 302 and resp["Location"] == reverse("workspace")
    page = client.get(reverse("workspace")).content.decode()
    assert page.index("Leeds Gulu") < page.index("Quiet draft")  # coordinated first
    assert "Coordinator" in page and "Member" in page and "draft: not public yet" in page
    assert reverse("person-create", args=[busy["p"].slug]) in page  # actions for the one they coordinate
    assert reverse("person-create", args=[draft.slug]) not in page  # none for the one they only belong to
    assert "past activities have no trainees recorded" in page
    nobody = make_user("nobody", "member")
    client.force_login(nobody)
    assert "do not coordinate or belong to any partnership" in client.get(reverse("workspace")).content.decode()
