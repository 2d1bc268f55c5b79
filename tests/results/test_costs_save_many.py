"""results.services.costs_save_many: many cash costs written as cost_save writes one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from healthlinks.activities.services import activity_save
from healthlinks.records import RowInvalid
from healthlinks.results.models import CashCost
from healthlinks.results.services import cost_save, costs_save_many

pytestmark = pytest.mark.django_db


def _cost(p, **fields):
    values = {
        "partnership": p, "category": "travel", "amount": Decimal("1240.50"), "currency": " gbp ",
        "spent_on": date(2023, 1, 20),
    }  # fmt: skip
    return CashCost(**{**values, **fields})


@pytest.fixture
def activity(network_world):
    return activity_save(
        by=None, partnership=network_world["p"], title="Triage", kind="workshop", mode="in_person",
        start_date=date(2023, 2, 1), end_date=date(2023, 2, 3),
    )  # fmt: skip


def test_costs_are_normalised_and_written_with_history(network_world, activity, admin_user):
    p = network_world["p"]
    created, updated = costs_save_many(
        by=admin_user, costs=[_cost(p, activity=activity, external_id=""), _cost(p, external_id="C1")]
    )
    assert updated == [] and [c.currency for c in created] == ["GBP", "GBP"]
    assert created[0].external_id is None  # unique when given; many costs have none
    assert {c.history.get().history_user for c in created} == {admin_user}
    created[1].amount = Decimal(99)
    _created, (changed,) = costs_save_many(by=None, costs=[created[1]])
    assert CashCost.objects.get(pk=changed.pk).amount == 99 and changed.history.latest("history_id").history_type == "~"


def test_a_refused_cost_is_named_and_nothing_is_written(network_world, activity, make_partnership):
    p, other = network_world["p"], make_partnership(name="Other")
    cost_save(by=None, cost=_cost(p, external_id="C1"))
    for costs, field in (
        ([_cost(p), _cost(other, activity=activity)], "activity"),  # another partnership's activity
        ([_cost(p), _cost(p, external_id="C1")], "external_id"),  # taken
        ([_cost(p, external_id="C2"), _cost(p, external_id="C2")], "external_id"),  # twice
        ([_cost(p), _cost(p, amount=Decimal(-1))], "amount"),
        ([_cost(p), _cost(p, currency="pounds")], "currency"),
    ):
        with pytest.raises(RowInvalid) as refused:
            costs_save_many(by=None, costs=costs)
        assert refused.value.index == 1 and field in refused.value.message_dict, (field, refused.value.message_dict)
    assert CashCost.objects.count() == 1 and CashCost.history.count() == 1
