"""The records a partnership keeps beside stays and activities, entered on the web: cash costs and in-kind gifts,
knowledge items, cascade reports, ties, and the class's test scores as one grid. Each form writes through its
app's service (validation and history as the importers and the API), shows a refusal under its field, and
changes nothing when refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.activities.models import Assessment, CascadeReport, KnowledgeItem
from healthlinks.activities.services import activity_save, trainee_add
from healthlinks.network.models import PersonRole, Tie
from healthlinks.results.models import CashCost, InKindContribution

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(network_world, client_for):
    w = dict(network_world)
    for person in (w["alice"], w["bob"]):
        PersonRole.objects.create(person=person, partnership=w["p"], role="volunteer")
    activity = activity_save(
        by=None, partnership=w["p"], title="Triage course", kind="training_course", mode="in_person",
        start_date=date(2023, 1, 3), end_date=date(2023, 1, 4),
    )  # fmt: skip
    for person in (w["alice"], w["bob"]):
        trainee_add(by=None, activity=activity, person=person)
    return {**w, "activity": activity, "client": client_for(w["coordinator"])}


def test_a_cash_cost_is_added_listed_corrected_and_deleted(kept):
    c, p = kept["client"], kept["p"]
    r = c.post(
        reverse("cost-create", args=[p.slug]),
        {"category": "travel", "amount": "812.40", "currency": "gbp", "spent_on": "2023-01-02",
         "activity": kept["activity"].pk, "description": "Flights"},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:2000]
    cost = CashCost.objects.get()
    assert (cost.currency, cost.amount, cost.activity) == ("GBP", Decimal("812.40"), kept["activity"])
    assert cost.history.get().history_user == kept["coordinator"]
    page = c.get(reverse("partnership-costs", args=[p.slug])).content.decode()
    assert "Flights" in page and reverse("cost-edit", args=[cost.pk]) in page
    r = c.post(
        reverse("cost-edit", args=[cost.pk]),
        {"category": "travel", "amount": "800", "currency": "GBP", "spent_on": "2023-01-02"},
    )
    assert r.status_code == 302 and CashCost.objects.get().amount == 800
    assert c.post(reverse("cost-edit", args=[cost.pk]), {"delete": "1"}).status_code == 302
    assert not CashCost.objects.exists()
    assert CashCost.history.filter(history_type="-").get().history_user == kept["coordinator"]


def test_a_bad_cost_is_refused_under_its_field_and_nothing_is_saved(kept):
    c, p = kept["client"], kept["p"]
    url = reverse("cost-create", args=[p.slug])
    body = {"category": "travel", "amount": "-5", "currency": "GBP", "spent_on": "2023-01-02"}
    r = c.post(url, body)
    assert r.status_code == 200 and r.context["form"].errors["amount"]
    r = c.post(url, {**body, "amount": "5", "currency": "pounds"})
    assert r.status_code == 200 and r.context["form"].errors["currency"]
    assert not CashCost.objects.exists()


def test_an_in_kind_gift(kept):
    c, p = kept["client"], kept["p"]
    r = c.post(
        reverse("in-kind-create", args=[p.slug]),
        {"kind": "donated_equipment", "value": "1200", "currency": "GBP", "received_on": "2023-02-01",
         "valuation_method": "replacement cost", "description": "Pulse oximeters"},
    )  # fmt: skip
    assert r.status_code == 302
    gift = InKindContribution.objects.get()
    assert gift.partnership == p and gift.history.get().history_user == kept["coordinator"]
    assert "Pulse oximeters" in c.get(reverse("partnership-costs", args=[p.slug])).content.decode()


def test_a_knowledge_item_needs_its_adaptation_once_translated(kept):
    c, activity = kept["client"], kept["activity"]
    url = reverse("knowledge-create", args=[activity.pk])
    body = {"title": "Triage card", "kind": "protocol", "direction": "north_south", "stage": "2",
            "sustained_at_follow_up": "unknown"}  # fmt: skip
    r = c.post(url, body)
    assert r.status_code == 200 and r.context["form"].errors["adaptation"]
    assert not KnowledgeItem.objects.exists()
    assert c.post(url, {**body, "adaptation": "Printed in Luganda"}).status_code == 302
    item = KnowledgeItem.objects.get()
    assert item.stage == 2 and item.activity == activity
    page = c.get(reverse("activity-detail", args=[activity.pk])).content.decode()
    assert "Triage card" in page and reverse("knowledge-edit", args=[item.pk]) in page


def test_the_scores_grid_saves_the_class_at_once_or_nothing(kept):
    c, activity, alice, bob = kept["client"], kept["activity"], kept["alice"], kept["bob"]
    url = reverse("activity-scores", args=[activity.pk])
    page = c.get(url).content.decode()
    assert f'name="pre_score-{alice.pk}"' in page and f'name="post_score-{bob.pk}"' in page
    bad = {f"pre_score-{alice.pk}": "40", f"post_score-{alice.pk}": "70",
           f"pre_score-{bob.pk}": "50", f"post_score-{bob.pk}": "120"}  # fmt: skip
    r = c.post(url, bad)
    assert r.status_code == 200 and r.context["has_errors"]
    assert [bool(row["errors"]) for row in r.context["rows"]] == [False, True]
    assert not Assessment.objects.exists()
    r = c.post(url, {**bad, f"post_score-{bob.pk}": "90,5"})
    assert r.status_code == 302
    assert {a.person_id: a.post_score for a in Assessment.objects.all()} == {alice.pk: 70, bob.pk: Decimal("90.5")}
    # the grid shows what is stored; an emptied row removes that trainee's scores
    assert 'value="90.5"' in c.get(url).content.decode()
    r = c.post(url, {f"pre_score-{alice.pk}": "40", f"post_score-{alice.pk}": "70"})
    assert r.status_code == 302 and list(Assessment.objects.values_list("person_id", flat=True)) == [alice.pk]
    assert Assessment.history.filter(history_type="-").get().history_user == kept["coordinator"]


def test_a_cascade_report_and_a_tie(kept):
    c, activity, alice, bob = kept["client"], kept["activity"], kept["alice"], kept["bob"]
    r = c.post(
        reverse("cascade-create", args=[activity.pk]),
        {"person": alice.pk, "people_trained": "6", "reported_on": "2023-07-01"},
    )
    assert r.status_code == 302 and CascadeReport.objects.get().people_trained == 6
    # bob mentors alice, entered from alice's page
    r = c.post(
        reverse("tie-create", args=[alice.pseudo_id]),
        {"kind": "mentor_mentee", "other": bob.pk, "direction": "in", "start_date": "2023-01-01"},
    )
    assert r.status_code == 302
    tie = Tie.objects.get()
    assert (tie.person_a, tie.person_b, tie.start_date) == (bob, alice, date(2023, 1, 1))
    r = c.post(reverse("tie-create", args=[alice.pseudo_id]), {"kind": "counterparts", "other": alice.pk})
    assert r.status_code == 200 and r.context["form"].errors["other"]  # not offered: oneself
