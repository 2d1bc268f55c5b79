"""Outcomes ticked on an activity's page: export them, or delete them and undo it (one history row each)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.activities.models import Outcome
from healthlinks.activities.services import activities_delete, activity_save, outcome_create
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(network_world, client_for):
    w = network_world
    stay_create(  # Bob's stay in the partnership: his outcomes are the coordinator's to see
        by=None, person=w["bob"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2023, 1, 1), end_date=date(2023, 1, 10),
    )  # fmt: skip
    activity = activity_save(
        by=None, partnership=w["p"], title="Triage", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 3), end_date=date(2023, 1, 4),
    )  # fmt: skip
    made = [
        outcome_create(
            by=None,
            activity=activity,
            person=w["bob"],
            level=1,
            dimension="satisfaction",
            rating=r,
            recorded_on=date(2023, 1, 4),
        )  # fmt: skip
        for r in (3, 5)
    ]
    url = reverse("outcomes-bulk", args=[activity.pk])
    return {**w, "activity": activity, "outcomes": made, "url": url, "client": client_for(w["coordinator"])}


def test_export_delete_and_undo(world):
    c, url, (low, high) = world["client"], world["url"], world["outcomes"]
    page = c.get(reverse("activity-detail", args=[world["activity"].pk])).content.decode()
    assert f'name="selected" value="{low.pk}"' in page and 'id="outcomes-bulk"' in page
    lines = c.post(url, {"action": "export", "selected": [low.pk]}).content.decode().splitlines()
    assert lines[0].startswith("id,activity,person,level,dimension,dimension_label") and len(lines) == 2
    r = c.post(url, {"action": "delete", "selected": [low.pk, high.pk]}, follow=True)
    text = r.content.decode()
    assert "2 outcomes deleted." in text and "2 outcomes were deleted." in text and not Outcome.objects.exists()
    assert Outcome.history.filter(id=low.pk, history_type="-").first().history_user == world["coordinator"]
    r = c.post(url, {"action": "undo"}, follow=True)
    assert "2 outcomes restored." in r.content.decode()
    assert sorted(Outcome.objects.values_list("rating", flat=True)) == [3, 5]


def test_nothing_ticked_other_roles_and_a_deleted_activity(world, client_for, make_user):
    c, url, (low, _high) = world["client"], world["url"], world["outcomes"]
    assert "Tick the outcomes" in c.post(url, {"action": "delete"}, follow=True).content.decode()
    member = client_for(make_user("reader", "member"))
    assert member.post(url, {"action": "delete", "selected": [low.pk]}).status_code in (403, 404)
    assert Outcome.objects.count() == 2
    c.post(url, {"action": "delete", "selected": [low.pk]})
    activities_delete(by=None, activities=[world["activity"]])
    r = c.post(url, {"action": "undo"})
    assert r.status_code == 404 and not Outcome.objects.exists()  # the activity is gone: nothing half-restored
