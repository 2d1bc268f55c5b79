"""Estimates in words, and the one small-numbers rule: the page, the PDF report's context, the page's CSV, the
API's JSON and the API's CSV say the same thing for the same n."""

import csv
import io
import math
from datetime import date, timedelta

import pytest
from django.urls import reverse

from healthlinks.activities.services import activity_save, outcome_create, trainee_add
from healthlinks.analytics import engine, stats, words
from healthlinks.analytics.scope import Scope
from healthlinks.network.services import person_save, stay_create

pytestmark = pytest.mark.django_db


def test_the_small_numbers_rule():
    assert stats.enough(20) and not stats.enough(19)
    assert stats.enough(49, 12) and stats.enough(49, 44)
    assert not stats.enough(49, 3) and not stats.enough(49, 46)  # fewer than 5 either way
    row = stats.proportion_row("g", 3, 49)
    assert row["estimate"] is None and "3 of 49" in str(row["note"])
    assert "n=19" in str(stats.proportion_row("g", 10, 19)["note"])
    assert stats.proportion_row("g", 12, 49)["estimate"] == pytest.approx(12 / 49)


def test_odds_ratios_are_said_as_risk_ratios_at_the_baseline_rate():
    assert words.risk_ratio(1.0, 0.3) == 1.0
    assert words.risk_ratio(3.0, 0.0) == 3.0  # a rare outcome: the odds ratio is the risk ratio
    # baseline 30%, odds ratio 3: 0.3 odds 0.4286 -> 1.2857 -> risk 0.5625, 1.875 times as likely
    assert words.risk_ratio(3.0, 0.3) == pytest.approx(0.5625 / 0.3)
    model = {
        "n": 3961,
        "partnerships": 60,
        "effects": [
            {"term": "Intercept", "estimate": math.log(0.3 / 0.7), "low": -1.0, "high": -0.7, "n_with": 3961},
            {
                "term": "repeat_visit",
                "estimate": math.log(3.0),
                "low": math.log(2.0),
                "high": math.log(4.0),
                "n_with": 800,
            },
        ],
    }
    said = words.effects(model, "l3", "binary")
    assert said[0]["words"].startswith("After a single first physical stay, 30% of trainees changed practice")
    sentence = said[1]["words"]
    assert "1.9 times as likely to have changed practice" in sentence
    assert "95% interval 1.5 to 2.1 times" in sentence and "3,961 trainees in 60 partnerships" in sentence
    assert "800" in sentence and "includes no difference" not in sentence
    assert said[1]["rr"] == pytest.approx(1.875)
    # an interval across 1 says so
    model["effects"][1].update(low=math.log(0.8))
    assert "includes no difference" in words.effects(model, "l3", "binary")[1]["words"]


def test_a_gain_is_said_as_a_difference_with_its_meaning():
    model = {
        "n": 500,
        "partnerships": 12,
        "effects": [
            {"term": "Intercept", "estimate": 0.42, "low": 0.40, "high": 0.44, "n_with": 500},
            {"term": "long_term", "estimate": -0.05, "low": -0.08, "high": -0.02, "n_with": 60},
        ],
    }
    said = [e["words"] for e in words.effects(model, "l2", "mean")]
    assert "gained 42% of what they had left to learn" in said[0] and "0.40 to 0.44" in said[0]
    assert "0.05 lower" in said[1] and "-0.08 to -0.02" in said[1] and "500 trainees in 12 partnerships" in said[1]


def test_a_model_of_few_partnerships_is_not_shown_and_says_why():
    model = {"n": 300, "partnerships": 1, "effects": [{"term": "Intercept", "estimate": 0, "low": -1, "high": 1}]}
    assert "1 partnership" in words.model_withheld(model) and "at least 5" in words.model_withheld(model)
    assert words.model_withheld({**model, "partnerships": 5}) == ""
    assert "Too few" in words.model_withheld({"effects": [], "note": "Too few observations to model"})


@pytest.fixture
def n49(network_world):
    """Two groups of 49 trainees: after a visit 3 changed practice (too few either way: not said), after a
    long-term placement 12 did (24%, said)."""
    w = network_world
    engine.clear()
    counter = iter(range(1000))
    for start, days, changed in ((date(2020, 1, 1), 10, 3), (date(2021, 1, 1), 200, 12)):
        stay = stay_create(
            by=None,
            person=w["alice"],
            partnership=w["p"],
            sending_institution=w["uk"],
            host_institution=w["ug"],
            mode="physical",
            start_date=start,
            end_date=start + timedelta(days=days - 1),
        )
        activity = activity_save(
            by=None,
            partnership=w["p"],
            title=f"Training {stay.pk}",
            kind="training_course",
            mode="in_person",
            start_date=start,
            end_date=start,
            stays=[stay],
        )
        for i in range(49):
            trainee = person_save(by=None, external_id=f"T{next(counter)}", cadre_id="2221", sex="female")
            trainee_add(by=None, activity=activity, person=trainee)
            outcome_create(
                by=None,
                activity=activity,
                person=trainee,
                level=3,
                dimension="practice",
                practice_changed=i < changed,
                follow_up_months=6,
                recorded_on=start + timedelta(days=183),
            )
    return w


def _csv(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_page_pdf_csv_and_api_apply_the_same_rule_to_the_same_n(n49, client_for, admin_user):
    from healthlinks.web.reports import report_context

    client = client_for(admin_user)
    # the page
    page = client.get(reverse("analytics-mobility")).content.decode()
    assert "3 of 49: at least 5 each way needed" in page
    assert "24% changed practice at follow-up (95% interval" in page and "12 of 49)" in page
    # the PDF report's context
    context = report_context(admin_user, Scope(partnership=n49["p"].slug))
    continuum = {r["group"]: r for r in context["mobility"]["outcomes"]["l3"]["breakdowns"]["continuum"]}
    assert continuum["visit"]["estimate"] is None and "3 of 49" in continuum["visit"]["note"]
    assert continuum["long_term"]["estimate"] == pytest.approx(12 / 49)
    assert continuum["long_term"]["words"].startswith("24% changed practice")
    # one partnership: no model in the report, and why
    assert not context["mobility"]["outcomes"]["l3"]["model"]["shown"]
    assert context["mobility"]["outcomes"]["l3"]["model"]["withheld"]  # why: here too few observations
    # the page's CSV and the API's CSV: the same table
    page_csv = _csv(client.get(reverse("analytics-mobility"), {"format": "csv"}).content.decode())
    api = client.get("/api/v1/analytics/mobility/", {"format": "csv"})
    assert api["Content-Type"].startswith("text/csv")
    api_csv = _csv(api.content.decode())
    for rows in (page_csv, api_csv):
        by = {(r["outcome"], r["dimension"], r["group"]): r for r in rows}
        visit, placement = by[("l3", "continuum", "visit")], by[("l3", "continuum", "long_term")]
        assert visit["n"] == "49" and visit["estimate"] == "" and "3 of 49" in visit["note"]
        assert visit["group_label"] == "Visit" and placement["group_label"] == "Long-term placement"
        assert placement["n"] == "49" and float(placement["estimate"]) == pytest.approx(12 / 49)
    assert page_csv == api_csv
    # the API's JSON
    data = client.get("/api/v1/analytics/mobility/").json()
    rows = {r["group"]: r for r in data["outcomes"]["l3"]["breakdowns"]["continuum"]}
    assert rows["visit"]["estimate"] is None and "3 of 49" in rows["visit"]["note"]
    assert rows["long_term"]["estimate"] == pytest.approx(12 / 49) and "24%" in rows["long_term"]["words"]
    assert data["small_numbers"].startswith("Too few to say")
