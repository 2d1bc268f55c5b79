"""Bulk actions on the activity list: export the activities ticked, or delete them with everything recorded under
them (trainees, scores, outcomes), then undo: everything is back, its stays linked and its costs charged to it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.activities.models import Activity, AggregateTrainees, Outcome, Trainee
from healthlinks.activities.services import activity_save, aggregate_set, outcome_create, trainee_add
from healthlinks.network.services import stay_create
from healthlinks.results.models import CashCost
from healthlinks.results.services import cost_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(network_world, client_for):
    w = network_world
    stay = stay_create(
        by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2023, 1, 1), end_date=date(2023, 1, 10),
    )  # fmt: skip
    triage = activity_save(
        by=None, partnership=w["p"], title="Triage", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 3), end_date=date(2023, 1, 4), stays=[stay],
    )  # fmt: skip
    other = activity_save(
        by=None, partnership=w["p"], title="Sepsis", kind="workshop", mode="in_person",
        start_date=date(2023, 2, 3), end_date=date(2023, 2, 4),
    )  # fmt: skip
    trainee_add(by=None, activity=triage, person=w["bob"], completed=True)
    aggregate_set(by=None, activity=triage, cadre_id="2221", sex="female", facility_level="district", count=5)
    outcome_create(
        by=None, activity=triage, person=w["bob"], level=1, dimension="satisfaction", rating=4,
        recorded_on=date(2023, 1, 4),
    )  # fmt: skip
    cost = cost_save(
        by=None, partnership=w["p"], activity=triage, category="travel", amount=Decimal("120.00"), currency="GBP",
        spent_on=date(2023, 1, 2),
    )  # fmt: skip
    return {**w, "stay": stay, "triage": triage, "other": other, "cost": cost, "client": client_for(w["coordinator"])}


def test_export_then_delete_with_everything_under_it_and_undo(world):
    c, url, triage = world["client"], reverse("activities-bulk"), world["triage"]
    page = c.get(reverse("activity-list")).content.decode()
    assert f'name="selected" value="{triage.pk}"' in page
    lines = c.post(url, {"action": "export", "selected": [triage.pk]}).content.decode().splitlines()
    assert lines[0].startswith("id,external_id,partnership,title,type,type_label") and "Training course" in lines[1]
    r = c.post(url, {"action": "delete", "selected": [triage.pk]}, follow=True)
    assert "1 activity deleted, with what was recorded under it." in r.content.decode()
    assert list(Activity.objects.values_list("title", flat=True)) == ["Sepsis"]
    assert not Trainee.objects.exists() and not Outcome.objects.exists() and not AggregateTrainees.objects.exists()
    assert CashCost.objects.get(pk=world["cost"].pk).activity_id is None  # the cost stays, unlinked
    assert Activity.history.filter(id=triage.pk, history_type="-").first().history_user == world["coordinator"]
    r = c.post(url, {"action": "undo"}, follow=True)
    assert "1 activity restored." in r.content.decode()
    back = Activity.objects.get(pk=triage.pk)
    assert back.title == "Triage" and list(back.stays.all()) == [world["stay"]]
    assert Trainee.objects.get().person == world["bob"] and Outcome.objects.get().rating == 4
    assert AggregateTrainees.objects.get().count == 5
    assert CashCost.objects.get(pk=world["cost"].pk).activity_id == triage.pk
    assert c.post(url, {"action": "undo"}, follow=True).status_code == 200  # nothing left to undo: no error


def test_nothing_chosen_or_another_partnerships_activity_changes_nothing(
    world, client_for, make_user, make_partnership
):
    c, url, triage = world["client"], reverse("activities-bulk"), world["triage"]
    r = c.post(url, {"action": "delete"}, follow=True)
    assert "Tick the activities" in r.content.decode() and Activity.objects.count() == 2
    other_coordinator = make_user("othercoord", "coordinator")
    make_partnership(name="Other", coordinator=other_coordinator)
    client_for(other_coordinator).post(url, {"action": "delete", "selected": [triage.pk], "scope": "all"})
    assert Activity.objects.count() == 2
    member = client_for(make_user("reader", "member"))
    member.post(url, {"action": "delete", "scope": "all"})
    assert Activity.objects.count() == 2
    assert client_for(None).post(url, {"action": "delete", "scope": "all"}).status_code == 302


def test_the_activity_page_deletes_it_and_the_list_offers_undo(world):
    c, triage = world["client"], world["triage"]
    page = c.get(reverse("activity-detail", args=[triage.pk])).content.decode()
    assert 'action="/activities/bulk/"' in page and f'name="selected" value="{triage.pk}"' in page
    r = c.post(
        reverse("activities-bulk"), {"action": "delete", "selected": [triage.pk], "partnership": world["p"].slug}
    )
    assert r["Location"] == reverse("activity-list") + f"?partnership={world['p'].slug}"
    listed = c.get(r["Location"]).content.decode()
    assert "1 activity was deleted." in listed and "Undo" in listed and "Triage" not in listed.split("<table")[1]
