"""Readable statistics in a real browser: every estimate of the analysis pages is said in words with its n and its
95% interval, and the charts drawn on the page keep their labels inside the picture and their legends off the
marks and off one another."""

import math

import pytest

from healthlinks.accounts.models import Role
from healthlinks.analytics import engine, health, mobility, stats
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "Medical and pathology laboratory technicians with an unusually long cadre name"


def _mobility_result():
    """An analysis as mobility.analyse returns it, with a model of 60 partnerships, groups said and groups too
    thin to say (n = 49 with 3 events), and a long group label."""
    groups = [("visit", 300, 700), ("short_stay", 3, 49), ("long_term", 12, 49), ("virtual only", 60, 200)]
    outcomes = {}
    for key, meta in mobility.OUTCOMES.items():
        binary = meta["kind"] == "binary"
        if binary:
            rows = [stats.proportion_row(g, e, n) for g, e, n in groups]
            cadres = [stats.proportion_row(LONG, 40, 120), stats.proportion_row("2221", 50, 100)]
            effects = [
                {"term": "Intercept", "estimate": math.log(0.3 / 0.7), "low": -1.0, "high": -0.7, "n_with": 3961},
                {"term": "repeat_visit", "estimate": 1.0, "low": 0.8, "high": 1.2, "n_with": 800},
                {"term": "long_term", "estimate": 0.1, "low": -0.2, "high": 0.4, "n_with": 120},
            ]
            for e in effects[1:]:
                e.update(odds_ratio=math.exp(e["estimate"]), or_low=math.exp(e["low"]), or_high=math.exp(e["high"]))
            method = "logistic model (GEE), intervals robust to clustering within partnerships"
        else:
            rows = [stats.mean_row(g, n, 0.4, 0.2) for g, _e, n in groups] + [stats.mean_row("settlement", 5, 0.4, 0.2)]
            cadres = [stats.mean_row(LONG, 120, 0.3, 0.2)]
            effects = [
                {"term": "Intercept", "estimate": 0.42, "low": 0.40, "high": 0.44, "n_with": 3961},
                {"term": "repeat_visit", "estimate": 0.05, "low": 0.02, "high": 0.08, "n_with": 800},
            ]
            method = "linear mixed model, partnership random intercepts (REML)"
        breakdowns = {d: rows for d in mobility.DIMENSIONS}
        breakdowns["trainee_cadre"] = breakdowns["volunteer_cadre"] = cadres
        outcomes[key] = {
            **meta,
            "n": 3961,
            "breakdowns": breakdowns,
            "model": {"n": 3961, "partnerships": 60, "method": method, "effects": effects, "note": ""},
        }
    return {"scope": "all partnerships you may see", "partnerships": 60, "outcomes": outcomes}


def _health_result():
    points = [
        {
            "partnership_id": i,
            "name": f"Partnership {i}",
            "score": 2 + (i % 7) * 0.4,
            "share": 0.2 + (i % 5) * 0.08,
            "n": 40 + i,
        }
        for i in range(30)
    ]
    return {
        "scope": "",
        "assessed": 32,
        "left_out": 2,
        "points": points,
        "association": health.association(points),
        "min_partnerships": health.MIN_PARTNERSHIPS,
    }


@pytest.fixture
def pages(live_server, page_factory, make_user, monkeypatch, world, settings, tmp_path):  # noqa: F811
    from healthlinks.web import analytics_views

    settings.VAR_DIR = tmp_path / "var"
    engine.clear()
    monkeypatch.setattr(analytics_views, "mobility_analysis", lambda user, scope: _mobility_result())
    monkeypatch.setattr(analytics_views, "partnership_health", lambda user, scope: _health_result())
    make_user("analyst", Role.HUB_ADMIN)
    page = page_factory()
    _login(page, live_server.url, "analyst")
    return page, live_server.url


def test_every_estimate_is_said_in_words_with_its_n_and_interval(pages):
    page, base = pages
    page.goto(f"{base}/analytics/mobility/")
    effects = page.locator("li.estimate").all_inner_texts()
    assert len(effects) == 3 + 3 + 3 + 2  # three binary outcomes (baseline and two effects) and the gain model
    for sentence in effects:
        assert "95% interval" in sentence and "3,961" in sentence and "60 partnerships" in sentence, sentence
    assert any("times as likely" in s for s in effects) and not any("log-odds" in s for s in effects)
    page.locator("details", has_text="Tables by group").first.locator("summary").click()
    said = page.locator("#l3 td.words").all_inner_texts()
    assert said, "the table of groups says each estimate in words"
    for sentence in said:
        assert ("95% interval" in sentence and " of " in sentence) or "too few to say" in sentence, sentence
    assert any("too few to say (3 of 49" in s for s in said) and any(s.startswith("24% ") for s in said)
    # each technical term is explained where it appears
    glossary = page.locator("details.glossary")
    glossary.locator("summary").click()
    for term in ("95% interval", "GEE", "REML", "Normalised gain", "Odds ratio"):
        assert term in glossary.inner_text(), term
    shot(page, "readable_mobility")

    page.goto(f"{base}/analytics/impact/")
    sentence = page.locator("#health p.estimate").inner_text()
    assert "95% interval" in sentence and "30 partnerships" in sentence and "association" in sentence


BOXES = """(el) => {
  const svg = el.querySelector("svg");
  if (!svg) return null;
  const box = (r) => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom, w: r.width, h: r.height});
  const outer = box(svg.getBoundingClientRect());
  const texts = [...svg.querySelectorAll("text")].filter(t => t.textContent.trim())
    .map(t => ({text: t.textContent, ...box(t.getBoundingClientRect())})).filter(b => b.w > 0);
  const legends = [...svg.querySelectorAll("g.role-legend")].map(g => box(g.getBoundingClientRect()));
  const marks = [...svg.querySelectorAll("g.role-mark")].filter(g => g.closest("g.role-legend") === null)
    .map(g => box(g.getBoundingClientRect())).filter(b => b.w > 0 && b.h > 0);
  return {outer, texts, legends, marks};
}"""


def _overlap(a, b):
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1 and (
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    )


def _check_charts(page, url):
    page.goto(url)
    charts = page.locator(".chart[data-spec]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart[data-spec]')].some(c => c.querySelector('svg'))"
    )
    page.wait_for_timeout(300)
    seen = 0
    for index in range(charts.count()):
        found = charts.nth(index).evaluate(BOXES)
        if not found:
            continue
        seen += 1
        outer = found["outer"]
        for t in found["texts"]:
            inside = (
                t["left"] >= outer["left"] - 1
                and t["right"] <= outer["right"] + 1
                and t["top"] >= outer["top"] - 1
                and t["bottom"] <= outer["bottom"] + 1
            )
            assert inside, (url, index, t, outer)
        for i, legend in enumerate(found["legends"]):
            for mark in found["marks"]:
                assert not _overlap(legend, mark), (url, index, "legend on the marks", legend, mark)
            for other in found["legends"][i + 1 :]:
                assert not _overlap(legend, other), (url, index, "legends overlap", legend, other)
    return seen


@pytest.mark.parametrize("width", [1280, 360])
def test_chart_labels_stay_inside_and_legends_clear_of_the_marks(pages, page_factory, live_server, width):
    page, base = pages
    page.set_viewport_size({"width": width, "height": 900})
    assert _check_charts(page, f"{base}/analytics/mobility/") >= 4
    assert _check_charts(page, f"{base}/analytics/impact/") >= 2
    shot(page, f"readable_impact_{width}")
