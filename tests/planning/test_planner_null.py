"""On a demo world generated with no mobility effect (the same generator, its repeat-visit, long-term and virtual
terms set to 0), the strategy planner finds no difference between kinds of stay in how many of those reached
change practice (issue 26 §1). A module of its own: it builds its own world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from healthlinks.analytics import planner
from healthlinks.planning.simulate import simulate
from tests.planning.test_planner import PLANS, _world

pytestmark = pytest.mark.django_db

NO_MOBILITY_EFFECT = {"l3_repeat_visit": 0.0, "l3_long_term": 0.0, "l3_virtual_only": 0.0}


@pytest.fixture(scope="module")
def null_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    yield from _world(2, NO_MOBILITY_EFFECT, django_db_blocker)


def test_on_a_world_without_a_mobility_effect_the_planner_shows_none(null_world: dict[str, Any]) -> None:
    result = simulate(planner.evidence(null_world["snap"], null_world["ids"]), PLANS, seed=7)
    for plan in result["plans"][1:]:
        assert not plan["clear_difference"], (plan["name"], plan["rate_difference"])
