"""The enabling conditions on the mobility page (issue 26 §2): each condition's odds ratio with its interval and its
words, the effect modifier, the complete cases modelled and those left out, a forest chart; and a plain note
instead when there is nothing to model. The model's numbers come from a small frame made here (the model itself is
checked on the demo world in test_stay_conditions.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from healthlinks.analytics import mobility
from healthlinks.web import analytics_views

pytestmark = pytest.mark.django_db


def _grouped() -> pd.DataFrame:
    """Eight partnerships; a named counterpart goes with practice change (3 in 4 against 1 in 4), the other
    conditions go with nothing; one row in five has its conditions unknown."""
    rng = np.random.default_rng(0)
    rows = []
    for partnership in range(1, 9):
        for counterpart in (0, 1):
            for long_term in (0, 1):
                for other in (0, 1):
                    n = 20
                    rate = 0.75 if counterpart else 0.25
                    rows.append(
                        {
                            "partnership_id": partnership,
                            "repeat_visit": int(rng.integers(0, 2)),
                            "long_term": long_term,
                            "virtual_only": 0,
                            "named_counterpart": counterpart,
                            "protected_time": other,
                            "leave_backfill": int(rng.integers(0, 2)),
                            "prior_contact": int(rng.integers(0, 2)),
                            "shared_language": 1,
                            "n": n,
                            "s": float(rng.binomial(n, rate)),
                            "ss": 0.0,
                        }
                    )
        rows.append({**rows[-1], **dict.fromkeys(mobility.CONDITIONS, None), "n": 40, "s": 20.0})
    frame = pd.DataFrame(rows)
    frame["ss"] = frame["s"]
    return frame


def _analysis() -> dict[str, Any]:
    return {"scope": "all", "partnerships": 8, "outcome": "L3", "model": mobility.conditions_fit(_grouped())}


def test_each_condition_is_said_with_its_odds_ratio_interval_and_n() -> None:
    section = analytics_views.conditions_section(_analysis())
    model = section["model"]
    assert section["shown"] and model["n_unknown"] == 8 * 40 and model["n"] == model["n_all"] - 8 * 40
    assert section["n_unknown"] == "320" and section["n_all"] == f"{model['n_all']:,}"
    rows = {r["term"]: r for r in section["rows"]}
    counterpart = rows["named_counterpart"]
    assert counterpart["or_low"] > 1 and "Named counterpart at the host" in counterpart["words"]
    assert "95% interval" in counterpart["words"] and "cannot say which way" not in counterpart["words"]
    # shared language is always there: too few without it, so not estimated, and said
    assert "shared_language" not in rows and "Shared working language" in section["note"]
    assert mobility.MODIFIER in rows and rows[mobility.MODIFIER]["modifier"]
    assert "long-term placement" in rows[mobility.MODIFIER]["words"]
    # the chart shows the conditions' odds ratios (not the kind-of-stay terms it is adjusted for)
    values = section["spec"]["data"]["values"]
    assert [v["term"] for v in values] == [r["term"] for r in section["rows"]]
    assert all(v["rr"] == v["odds_ratio"] for v in values)
    assert "Long-term placement" in section["adjusted"]


def test_the_mobility_page_shows_the_conditions(admin_user: Any, client_for: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(analytics_views, "mobility_conditions_analysis", lambda user, scope: _analysis())
    page = client_for(admin_user).get("/analytics/mobility/")
    assert page.status_code == 200
    html = page.content.decode()
    section = html[html.index('id="conditions"') :]
    assert "Enabling conditions of the stays" in section and "Named counterpart at the host" in section
    assert re.search(r"Modelled: [\d,]+ of [\d,]+ trainees followed up", section)
    assert "320 left out because a condition was not recorded" in section
    spec = json.loads(re.search(r'id="forest-conditions" type="application/json">(.*?)</script>', section)[1])
    assert spec["layer"] and spec["autosize"]["type"] == "fit-x"  # made readable, fits a phone's width


def test_with_no_conditions_recorded_the_page_says_so(admin_user: Any, client_for: Any) -> None:
    page = client_for(admin_user).get("/analytics/mobility/")
    assert page.status_code == 200
    section = page.content.decode().split('id="conditions"', 1)[1]
    assert "Modelled: 0 of 0 trainees" in section and 'class="note"' in section
    assert "forest-conditions" not in section


def test_the_section_needs_enough_partnerships() -> None:
    data = _analysis()
    data["model"] = {**data["model"], "partnerships": 2}
    section = analytics_views.conditions_section(data)
    assert not section["shown"] and section["spec"] is None and "2 partnerships" in section["withheld"]
