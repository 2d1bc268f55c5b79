"""The mobility x knowledge-transfer analysis on a world small enough to count by hand: linkage, breakdowns,
thin-data notes, scoping, caching, and the page, API and CLI."""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse

from healthlinks.accounts.models import Role
from healthlinks.activities.services import activity_save, outcome_create, trainee_add
from healthlinks.analytics import engine
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import mobility_analysis
from healthlinks.network.services import person_save, stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(network_world):
    """Alice: a 10-day visit then a 200-day placement (repeat 2); Bob: a virtual engagement. One activity during
    each stay; trainees followed up at 6 months: 1 of 3 changed after the visit, 2 of 2 after the placement,
    0 of 1 after the virtual mentoring."""
    w = network_world
    engine.clear()

    def stay(person, start, days, mode="physical"):
        return stay_create(
            by=None,
            person=person,
            partnership=w["p"],
            sending_institution=w["uk"],
            host_institution=w["ug"],
            mode=mode,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            virtual_hours=10 if mode == "virtual" else None,
        )

    visit = stay(w["alice"], date(2020, 1, 1), 10)
    placement = stay(w["alice"], date(2021, 1, 1), 200)
    virtual = stay(w["bob"], date(2021, 3, 1), 1, mode="virtual")
    counter = iter(range(100))
    for s, results in ((visit, [True, False, False]), (placement, [True, True]), (virtual, [False])):
        activity = activity_save(
            by=None,
            partnership=w["p"],
            title=f"Training {s.pk}",
            kind="training_course",
            mode="in_person",
            start_date=s.start_date,
            end_date=s.start_date,
            stays=[s],
        )
        for changed in results:
            trainee = person_save(by=None, external_id=f"T{next(counter)}", cadre_id="2221", sex="female")
            trainee_add(by=None, activity=activity, person=trainee)
            outcome_create(
                by=None,
                activity=activity,
                person=trainee,
                level=3,
                dimension="practice",
                practice_changed=changed,
                follow_up_months=6,
                recorded_on=s.start_date + timedelta(days=183),
            )
    return w


def _table(data, outcome, dimension):
    return {r["group"]: r for r in data["outcomes"][outcome]["breakdowns"][dimension]}


def test_outcomes_are_linked_to_the_stays_behind_them(small, admin_user):
    data = mobility_analysis(admin_user, Scope())
    l3 = data["outcomes"]["l3"]
    assert l3["n"] == 6
    by_class = _table(data, "l3", "continuum")
    assert {g: (r["n"], r["events"]) for g, r in by_class.items()} == {
        "visit": (3, 1),
        "long_term": (2, 2),
        "virtual only": (1, 0),
    }
    assert {g: r["n"] for g, r in _table(data, "l3", "repeat").items()} == {"1": 3, "2": 2, "none": 1}
    assert {g: r["n"] for g, r in _table(data, "l3", "mode").items()} == {"physical": 5, "virtual": 1}
    # cumulative volunteer days: 10 after the visit, 210 after the placement
    assert {g: r["n"] for g, r in _table(data, "l3", "volunteer_days").items()} == {"1-29": 3, "90-364": 2, "0": 1}


def test_thin_data_gives_a_plain_note_not_an_estimate(small, admin_user):
    data = mobility_analysis(admin_user, Scope())
    row = _table(data, "l3", "continuum")["visit"]
    assert row["estimate"] is None and "too few" in row["note"]
    model = data["outcomes"]["l3"]["model"]
    assert model["effects"] == [] and "Too few observations" in model["note"]


def test_filters_and_visibility_scope_the_analysis(small, make_user, make_partnership, admin_user):
    assert mobility_analysis(admin_user, Scope(country="UGA"))["outcomes"]["l3"]["n"] == 6
    assert mobility_analysis(admin_user, Scope(country="BRA"))["outcomes"]["l3"]["n"] == 0
    assert mobility_analysis(admin_user, Scope(year_from=2021))["outcomes"]["l3"]["n"] == 3
    small["p"].publication = "draft"
    small["p"].save()
    public = mobility_analysis(make_user("r", Role.RESEARCHER), Scope())
    assert public["partnerships"] == 0 and public["outcomes"]["l3"]["n"] == 0
    assert mobility_analysis(small["coordinator"], Scope())["outcomes"]["l3"]["n"] == 6


def test_a_write_invalidates_the_cached_analysis(small, admin_user):
    first = mobility_analysis(admin_user, Scope())
    assert mobility_analysis(admin_user, Scope()) is not None
    snap = engine.snapshot()
    assert snap.results, "the result is cached on the snapshot"
    from healthlinks.activities.models import Outcome

    outcome = Outcome.objects.filter(practice_changed=False).first()
    outcome.practice_changed = True
    outcome.save()
    after = mobility_analysis(admin_user, Scope())
    events = lambda d: sum(r["events"] for r in d["outcomes"]["l3"]["breakdowns"]["mode"])  # noqa: E731
    assert events(after) == events(first) + 1


def test_page_api_and_cli(small, client_for, admin_user, tmp_path):
    from healthlinks.cli import main

    page = client_for(None).get(reverse("analytics-mobility"), {"country": "UGA"})
    assert page.status_code == 200 and "L3 practice changed" in page.content.decode()
    csv_text = client_for(None).get(reverse("analytics-mobility"), {"format": "csv"}).content.decode()
    assert csv_text.startswith("outcome,outcome_label,dimension,dimension_label,group,group_label,n")
    api = client_for(None).get("/api/v1/analytics/mobility/", {"year_from": "2021"}).json()
    assert api["outcomes"]["l3"]["n"] == 3
    assert client_for(None).get("/api/v1/analytics/mobility/", {"year_from": "soon"}).status_code == 400
    out = tmp_path / "mobility.json"
    assert main(["analyze", "mobility", "--country", "UGA", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["outcomes"]["l3"]["n"] == 6


def _binary_frame(partnerships: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = partnerships * 30
    frame = pd.DataFrame(
        {
            "partnership_id": np.repeat(np.arange(partnerships), 30),
            "repeat_visit": rng.integers(0, 2, n),
            "long_term": rng.integers(0, 2, n),
            "virtual_only": rng.integers(0, 2, n),
        }
    )
    shift = rng.normal(0, 0.3, partnerships)[frame["partnership_id"]]
    logit = -0.5 + 0.8 * frame["repeat_visit"] + 0.4 * frame["long_term"] - 0.3 * frame["virtual_only"] + shift
    frame["y"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def _grouped(frame):
    """The observations summed by partnership and predictors, as the analysis reads them from DuckDB."""
    keys = ["partnership_id", *[c for c in frame.columns if c not in ("partnership_id", "y")]]
    frame = frame.assign(yy=frame["y"] ** 2)
    return frame.groupby(keys, as_index=False).agg(n=("y", "size"), s=("y", "sum"), ss=("yy", "sum"))


@pytest.mark.django_db(False)
def test_many_partnerships_use_the_cluster_sandwich_which_agrees_with_gee(monkeypatch):
    from healthlinks.analytics import mobility

    frame = _grouped(_binary_frame(150))
    fast = mobility.fit(frame, "binary", mobility.PREDICTORS)
    monkeypatch.setattr(mobility, "MANY_PARTNERSHIPS", 10**9)
    gee = mobility.fit(frame, "binary", mobility.PREDICTORS)
    assert "cluster sandwich" in fast["method"] and "GEE" in gee["method"]
    for a, b in zip(fast["effects"], gee["effects"], strict=True):
        assert a["estimate"] == pytest.approx(b["estimate"], abs=1e-8)
        assert a["high"] - a["low"] == pytest.approx(b["high"] - b["low"], rel=0.02)


@pytest.mark.django_db(False)
def test_few_partnerships_keep_the_bias_reduced_gee():
    from healthlinks.analytics import mobility

    assert "GEE" in mobility.fit(_grouped(_binary_frame(12)), "binary", mobility.PREDICTORS)["method"]


@pytest.mark.django_db(False)
def test_models_fitted_from_counts_equal_the_same_models_on_every_row():
    """The analysis reads observations summed by partnership and predictors: the logistic model with its
    cluster-robust errors, the linear mixed model and the one-partnership regression must equal the same models
    fitted on one row per observation."""
    import numpy as np
    import statsmodels.api as sm

    from healthlinks.analytics import mobility
    from healthlinks.analytics.mixed import fit_random_intercept

    rows = _binary_frame(150, seed=4)
    grouped = _grouped(rows)
    assert len(grouped) < len(rows) / 3
    exog = sm.add_constant(rows[mobility.PREDICTORS].astype(float))
    glm = sm.GLM(rows["y"], exog, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": rows["partnership_id"].to_numpy()}
    )
    fast = mobility.fit(grouped, "binary", mobility.PREDICTORS)
    assert [e["estimate"] for e in fast["effects"]] == pytest.approx(list(glm.params), rel=1e-7)
    quantile = (fast["effects"][0]["high"] - fast["effects"][0]["estimate"]) / glm.bse.iloc[0]
    assert [(e["high"] - e["low"]) / 2 / quantile for e in fast["effects"]] == pytest.approx(list(glm.bse), rel=1e-6)
    assert fast["n"] == len(rows) and fast["effects"][1]["n_with"] == int(rows["repeat_visit"].sum())

    rng = np.random.default_rng(1)
    rows["y"] = 0.3 + 0.1 * rows["repeat_visit"] + rng.normal(0, 0.2, len(rows))
    row_fit = fit_random_intercept(rows["y"], exog.to_numpy(), rows["partnership_id"].to_numpy())
    mixed = mobility.fit(_grouped(rows), "mean", mobility.PREDICTORS)
    assert [e["estimate"] for e in mixed["effects"]] == pytest.approx(list(row_fit.params), rel=1e-7)
    one = rows.assign(partnership_id=0)
    ols = sm.OLS(one["y"], exog.loc[one.index]).fit()
    single = mobility.fit(_grouped(one), "mean", mobility.PREDICTORS)
    assert [e["estimate"] for e in single["effects"]] == pytest.approx(list(ols.params), rel=1e-7)
    assert "one partnership" in single["method"]


@pytest.mark.django_db(False)
def test_counts_turn_back_into_the_same_rows():
    from healthlinks.analytics import mobility

    rows = _binary_frame(5, seed=2)
    again = mobility.rows_of(_grouped(rows), ["partnership_id", *mobility.PREDICTORS])
    key = ["partnership_id", *mobility.PREDICTORS, "y"]
    assert again.sort_values(key).reset_index(drop=True).equals(rows[key].sort_values(key).reset_index(drop=True))
