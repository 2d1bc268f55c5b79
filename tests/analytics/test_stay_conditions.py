"""The enabling conditions of stays in the mobility analysis (issue 26): the demo world plants one effect (a named
counterpart goes with practice change, demo/network.py CONDITION_PLANT); the analysis finds it on the seeded world,
and does not find one on a world built without it."""

import pytest

from healthlinks.analytics import mobility
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import mobility_conditions_analysis
from healthlinks.demo import network as demo_network
from healthlinks.demo.world import world_build

pytestmark = pytest.mark.django_db


def _effects(admin_user):
    data = mobility_conditions_analysis(admin_user, Scope())
    return data["model"], {e["term"]: e for e in data["model"]["effects"]}


def test_the_planted_counterpart_effect_is_recovered_and_the_unplanted_conditions_are_not(admin_user):
    world_build(scale="S", seed=3)
    model, effects = _effects(admin_user)
    counterpart = effects["named_counterpart"]
    assert counterpart["estimate"] > 0 and counterpart["low"] > 0, counterpart  # right sign, interval excludes 0
    assert counterpart["or_low"] > 1
    for name in ("protected_time", "leave_backfill", "shared_language"):  # drawn without regard to the outcomes
        assert effects[name]["low"] <= 0 <= effects[name]["high"], effects[name]
    # the effect modifier is estimated, with its own label; unknown conditions are left out and counted
    assert mobility.MODIFIER in effects and effects[mobility.MODIFIER]["label"] != mobility.MODIFIER
    assert 0 < model["n_unknown"] < model["n_all"] and model["n"] == model["n_all"] - model["n_unknown"]


def test_a_world_without_the_planted_effect_shows_none(admin_user, monkeypatch):
    monkeypatch.setitem(demo_network.CONDITION_PLANT, "named_counterpart", 0.0)
    world_build(scale="S", seed=3)
    _model, effects = _effects(admin_user)
    counterpart = effects["named_counterpart"]
    assert counterpart["or_low"] <= 1 <= counterpart["or_high"], counterpart


def test_complete_cases_only_and_too_thin_terms_are_named():
    import pandas as pd

    rows = []
    for partnership in range(1, 4):
        for long_term in (0, 1):
            rows.append(
                {
                    "partnership_id": partnership,
                    "repeat_visit": 0,
                    "long_term": long_term,
                    "virtual_only": 0,
                    **dict.fromkeys(mobility.CONDITIONS, None if long_term else 1),
                    "n": 50,
                    "s": 20.0,
                    "ss": 20.0,
                }
            )
    result = mobility.conditions_fit(pd.DataFrame(rows))
    assert result["n_all"] == 300 and result["n_unknown"] == 150 and result["n"] == 150
