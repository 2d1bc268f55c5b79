"""Bulk actions on a partnership's stays: tick some, or take every stay the filters match, then set their funding,
link them to an activity, export them or delete them and undo it. One transaction, one history row per stay."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from healthlinks.activities.services import activity_save
from healthlinks.network.models import Stay
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def stays(network_world, client_for):
    w = network_world
    made = [
        stay_create(
            by=None,
            person=person,
            partnership=w["p"],
            host_institution=w["ug"],
            mode=mode,
            start_date=date(2023, month, 1),
            end_date=date(2023, month, 10),
        )  # fmt: skip
        for person, mode, month in ((w["alice"], "physical", 1), (w["alice"], "physical", 3), (w["bob"], "virtual", 2))
    ]
    return {
        **w,
        "stays": made,
        "client": client_for(w["coordinator"]),
        "url": reverse("stays-bulk", args=[w["p"].slug]),
    }


def test_set_the_funding_of_the_ticked_stays_or_of_all_that_match(stays):
    c, url, (a, b, v) = stays["client"], stays["url"], stays["stays"]
    page = c.get(reverse("partnership-mobility", args=[stays["p"].slug])).content.decode()
    assert f'name="selected" value="{a.pk}"' in page
    r = c.post(url, {"action": "funding", "funding": "self", "selected": [a.pk]})
    assert r.status_code == 302
    assert dict(Stay.objects.values_list("pk", "funding")) == {a.pk: "self", b.pk: "", v.pk: ""}
    assert Stay.history.filter(id=a.pk, history_type="~").first().history_user == stays["coordinator"]
    r = c.post(url + "?mode=physical", {"action": "funding", "funding": "partnership", "scope": "all"})
    assert dict(Stay.objects.values_list("pk", "funding")) == {a.pk: "partnership", b.pk: "partnership", v.pk: ""}


def test_link_export_delete_and_undo(stays):
    c, url, (a, b, v) = stays["client"], stays["url"], stays["stays"]
    activity = activity_save(
        by=None, partnership=stays["p"], title="Triage", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 3), end_date=date(2023, 1, 4),
    )  # fmt: skip
    c.post(url, {"action": "link", "activity": activity.pk, "selected": [a.pk, b.pk]})
    assert set(activity.stays.values_list("pk", flat=True)) == {a.pk, b.pk}
    r = c.post(url, {"action": "export", "selected": [a.pk, v.pk]})
    lines = r.content.decode().splitlines()
    assert lines[0].startswith("id,external_id,person") and len(lines) == 3
    r = c.post(url, {"action": "delete", "selected": [a.pk, b.pk]}, follow=True)
    assert "2 stays deleted." in r.content.decode() and "Undo" in r.content.decode()
    assert list(Stay.objects.values_list("pk", flat=True)) == [v.pk]
    r = c.post(url, {"action": "undo"}, follow=True)
    assert "2 stays restored." in r.content.decode()
    assert set(Stay.objects.values_list("pk", flat=True)) == {a.pk, b.pk, v.pk}
    assert Stay.objects.get(pk=b.pk).repeat_index == 2  # derived fields computed again


def test_nothing_chosen_or_another_partnerships_stay_changes_nothing(stays, make_partnership, make_user):
    c, url, (a, _b, _v) = stays["client"], stays["url"], stays["stays"]
    r = c.post(url, {"action": "funding", "funding": "self"}, follow=True)
    assert "Tick the stays" in r.content.decode() and not Stay.objects.exclude(funding="").exists()
    r = c.post(url, {"action": "funding", "funding": "grant", "scope": "all"}, follow=True)
    assert "is not a valid choice" in r.content.decode() and not Stay.objects.exclude(funding="").exists()
    other = make_partnership(name="Other", coordinator=make_user("othercoord", "coordinator"))
    r = c.post(reverse("stays-bulk", args=[other.slug]), {"action": "delete", "selected": [a.pk]})
    assert r.status_code == 403 and Stay.objects.filter(pk=a.pk).exists()
