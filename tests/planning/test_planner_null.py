"""On a demo world generated with no mobility effect (the same generator, its repeat-visit, long-term and virtual
terms set to 0), the strategy planner finds no difference between kinds of stay in how many of those reached
change practice (issue 26 §1), nor (its planted condition effect set to 0 too) between a kind of stay with a named
counterpart and the same without one (issue 26 §2). A module of its own: it builds its own world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from healthlinks.analytics import planner
from healthlinks.planning.simulate import simulate
from tests.planning.test_planner import CONDITION_PLANS, PLANS, _world

pytestmark = pytest.mark.django_db

NO_MOBILITY_EFFECT = {"l3_repeat_visit": 0.0, "l3_long_term": 0.0, "l3_virtual_only": 0.0}
NO_CONDITION_EFFECT = {"named_counterpart": 0.0}  # nor a condition effect (demo/network.py CONDITION_PLANT)


@pytest.fixture(scope="module")
def null_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    yield from _world(2, NO_MOBILITY_EFFECT, django_db_blocker, plant=NO_CONDITION_EFFECT)


def test_on_a_world_without_a_mobility_effect_the_planner_shows_none(null_world: dict[str, Any]) -> None:
    result = simulate(planner.evidence(null_world["snap"], null_world["ids"]), PLANS, seed=7)
    for plan in result["plans"][1:]:
        assert not plan["clear_difference"], (plan["name"], plan["rate_difference"])


def test_on_a_world_without_the_planted_condition_a_named_counterpart_makes_no_clear_difference(
    null_world: dict[str, Any],
) -> None:
    result = simulate(planner.evidence(null_world["snap"], null_world["ids"]), CONDITION_PLANS, seed=7)
    _without, with_, _as_before = result["plans"]
    assert not with_["clear_difference"], with_["rate_difference"]
    assert not with_["condition_gain_clear"], with_["condition_gain"]
