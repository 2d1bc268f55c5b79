"""The evidence the strategy planner simulates from, and the check of the planner against history (issue 26 §1).

`evidence` fits, on the analysed partnerships and years, what a plan of stays needs to be turned into expected
figures, keeping each estimate's sampling distribution:
  practice change   the mobility analysis' logistic model of L3 practice change (repeat visit, long-term
                    placement, virtual only), its coefficients and their cluster-robust covariance;
  conditions        the same model with the stays' enabling conditions (a named counterpart, protected time,
                    leave and backfill, prior contact, a shared language) and the effect modifier (a named
                    counterpart in a long-term placement), fitted on the complete cases as the mobility analysis
                    fits it (mobility.conditions_tables, conditions_complete), and how often past stays of each
                    kind had each combination of conditions; a condition observed too rarely either way is left
                    out (its effect taken as 0), and with too few complete cases there is no model (every effect 0);
  cascade           the logistic model of a trainee going on to train others (training of trainers added);
  reach             trainees per stay, by kind of stay (short physical, long-term, virtual), per partnership,
                    each activity's trainees shared equally among the stays it was delivered during; the
                    planner resamples partnerships (bootstrap) to carry its uncertainty.
`backtest` fits on the years before a cut-off and predicts, for each partnership, what it observed after it
from what it actually did (its stays, and the trainees followed up after its activities); it reports how often
the observed figure fell inside the predicted 90% interval.
Everything returned is plain lists and numbers (stored by analytics/store.py like every analysis)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from healthlinks.analytics import mobility
from healthlinks.analytics.engine import Snapshot
from healthlinks.network.models import continuum_bounds

TABLES = mobility.CONDITIONS_TABLES  # the mobility analysis' tables, the stays with their conditions
L3_TERMS = ["repeat_visit", "long_term", "virtual_only"]
CONDITIONS = list(mobility.CONDITIONS)  # network.models.STAY_CONDITIONS, in the same order
CONDITION_TERMS = [*L3_TERMS, *CONDITIONS, mobility.MODIFIER]
CASCADE_TERMS = [*L3_TERMS, "training_of_trainers"]
REACH_KINDS = ("short", "long_term", "virtual")
INTERVAL = (5.0, 95.0)  # the planner's intervals are 90%
DRAWS = 2000


def _logistic(grouped: pd.DataFrame, terms: list[str]) -> dict[str, Any]:
    """Coefficients and their covariance, robust to clustering within partnerships (CR1), from counts by
    partnership and predictors; terms observed too rarely either way are left out (their effect taken as 0)."""
    import statsmodels.api as sm

    n = int(grouped["n"].sum())
    events = float(grouped["s"].sum())
    if n < mobility.MIN_MODEL_N or min(events, n - events) < mobility.MIN_MODEL_EVENTS:
        return {"terms": [], "beta": [], "cov": [], "n": n, "partnerships": 0, "note": "too few"}
    keep = [  # the mobility model's rule: enough observations with and without the predictor
        t for t in terms if min(count := int(grouped.loc[grouped[t] == 1, "n"].sum()), n - count) >= mobility.MIN_GROUP
    ]
    collapsed = grouped.groupby(["partnership_id", *keep], as_index=False, sort=True)[["n", "s"]].sum()
    exog = collapsed[keep].astype(float)
    exog.insert(0, "Intercept", 1.0)
    s = collapsed["s"].to_numpy(dtype=float)
    endog = np.column_stack([s, collapsed["n"].to_numpy(dtype=float) - s])
    clusters = collapsed["partnership_id"].to_numpy()
    g = len(np.unique(clusters))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(endog, exog, family=sm.families.Binomial())
        if g >= 2:
            result = model.fit(cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": False})
            factor = g / (g - 1) * (n - 1) / (n - exog.shape[1])
        else:
            result = model.fit()
            factor = 1.0
    cov = np.asarray(result.cov_params()) * factor
    return {
        "terms": ["Intercept", *keep],
        "beta": [float(b) for b in np.asarray(result.params)],
        "cov": cov.tolist(),
        "n": n,
        "partnerships": g,
        "note": "",
    }


def _reach(snap: Snapshot, ids: list[int], year_from: int | None, year_to: int | None) -> dict[str, Any]:
    """Per partnership and kind of stay: stays begun in the years and the activities delivered during them (an
    activity delivered during several stays counted as a share of each); and, per kind, the trainees each of those
    activities took (an activity counted under the kind of its longest stay)."""
    long_term = continuum_bounds()[2]
    years, bound = mobility.year_filter("s.start_date", year_from, year_to)
    params: list[Any] = [ids, *bound]
    cursor = snap.cursor()
    try:
        cursor.execute(
            f"""CREATE TEMPORARY TABLE kinds AS
            SELECT s.id, s.partnership_id, s.duration_days,
                   CASE WHEN s.mode = 'virtual' THEN 'virtual'
                        WHEN s.duration_days >= {int(long_term)} THEN 'long_term' ELSE 'short' END AS kind
            FROM stays s WHERE list_contains(?, s.partnership_id) {years}""",  # noqa: S608 - a setting's integer
            params,
        )
        frame = cursor.execute(
            """WITH shares AS (
                SELECT l.stay_id, 1.0 / count(*) OVER (PARTITION BY l.activity_id) AS share FROM activity_stays l)
            SELECT k.partnership_id, k.kind, count(DISTINCT k.id) AS stays, coalesce(sum(sh.share), 0) AS activities
            FROM kinds k LEFT JOIN shares sh ON sh.stay_id = k.id
            GROUP BY ALL ORDER BY k.partnership_id, k.kind"""
        ).df()
        sizes = cursor.execute(
            """WITH longest AS (
                SELECT l.activity_id, arg_max(k.kind, coalesce(k.duration_days, 0)) AS kind
                FROM activity_stays l JOIN kinds k ON k.id = l.stay_id GROUP BY l.activity_id),
            taught AS (SELECT activity_id, count(*) AS trainees FROM trainees GROUP BY activity_id)
            SELECT g.kind, coalesce(t.trainees, 0) AS trainees FROM longest g
            LEFT JOIN taught t ON t.activity_id = g.activity_id ORDER BY g.kind, g.activity_id"""
        ).df()
    finally:
        cursor.close()
    table: dict[str, dict[str, list[float]]] = {kind: {"stays": [], "activities": []} for kind in REACH_KINDS}
    partnerships = sorted(int(p) for p in frame["partnership_id"].unique()) if len(frame) else []
    for kind in REACH_KINDS:
        rows = frame[frame["kind"] == kind].set_index("partnership_id")
        for pid in partnerships:
            table[kind]["stays"].append(float(rows["stays"].get(pid, 0)))
            table[kind]["activities"].append(float(rows["activities"].get(pid, 0.0)))
    return {
        "partnerships": partnerships,
        "kinds": table,
        "class_sizes": {kind: [int(v) for v in sizes.loc[sizes["kind"] == kind, "trainees"]] for kind in REACH_KINDS},
    }


def _trainees_by_partnership(snap: Snapshot, ids: list[int], cutoff: int) -> dict[int, int]:
    """The trainees of each partnership's activities delivered during stays begun from `cutoff` on."""
    frame = snap.query(
        """SELECT a.partnership_id, count(*) AS trainees FROM trainees t JOIN activities a ON a.id = t.activity_id
        WHERE list_contains(?, a.partnership_id) AND t.activity_id IN (
            SELECT l.activity_id FROM activity_stays l JOIN stays s ON s.id = l.stay_id
            GROUP BY l.activity_id HAVING year(min(s.start_date)) >= ?)
        GROUP BY a.partnership_id""",
        [ids, cutoff],
    )
    return {int(p): int(n) for p, n in zip(frame["partnership_id"], frame["trainees"], strict=True)}


def _condition_mix(complete: pd.DataFrame) -> dict[str, Any]:
    """How many past observations (complete cases) had each combination of conditions, by mobility profile: rows
    of the predictors of L3_TERMS, then CONDITIONS (0 or 1), then n."""
    columns = [*L3_TERMS, *CONDITIONS]
    rows: list[list[int]] = []
    if len(complete):
        table = complete.groupby(columns, as_index=False, sort=True)["n"].sum()
        rows = [[int(v) for v in row] for row in table[[*columns, "n"]].itertuples(index=False)]
    return {"columns": [*columns, "n"], "rows": rows}


def conditions_evidence(
    snap: Snapshot, ids: list[int], year_from: int | None = None, year_to: int | None = None
) -> dict[str, Any]:
    """The practice-change model with the enabling conditions (complete cases), how many observations were left
    out for an unknown condition, and the past mix of conditions (see the module's docstring)."""
    return conditions_model(mobility.conditions_tables(snap, ids, year_from, year_to))


def conditions_model(grouped: pd.DataFrame) -> dict[str, Any]:
    """conditions_evidence from the observations summed by partnership, predictors and conditions (unknown as
    missing: mobility.conditions_tables)."""
    complete = mobility.conditions_complete(grouped)
    model = _logistic(complete, CONDITION_TERMS)
    total = int(grouped["n"].sum())
    return {
        **model,
        "n_all": total,
        "n_unknown": total - int(complete["n"].sum()),
        "mix": _condition_mix(complete),
    }


def evidence(
    snap: Snapshot, ids: list[int], year_from: int | None = None, year_to: int | None = None
) -> dict[str, Any]:
    data = mobility.tables(snap, ids, year_from, year_to)
    return {
        "l3": _logistic(data["l3"][1], L3_TERMS),
        "l3_conditions": conditions_evidence(snap, ids, year_from, year_to),
        "cascade": _logistic(data["cascade"][1], CASCADE_TERMS),
        "reach": _reach(snap, ids, year_from, year_to),
        "long_term_days": int(continuum_bounds()[2]),
        "year_from": year_from,
        "year_to": year_to,
    }


def coefficient_draws(model: dict[str, Any], terms: list[str], draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of the coefficients of `terms` (Intercept first) from their sampling distribution: a term the
    model could not estimate is 0 in every draw. Shape (draws, 1 + len(terms))."""
    out = np.zeros((draws, 1 + len(terms)))
    if not model["terms"]:
        return out
    sample = rng.multivariate_normal(np.asarray(model["beta"]), np.asarray(model["cov"]), size=draws)
    for j, term in enumerate(model["terms"]):
        out[:, 0 if term == "Intercept" else 1 + terms.index(term)] = sample[:, j]
    return out


def log_odds(coefficients: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Intercept + x · effects for each draw (rows) and each profile (x rows, without the intercept)."""
    return np.asarray(coefficients[:, :1] + coefficients[:, 1:] @ np.atleast_2d(x).T)


def probabilities(coefficients: np.ndarray, x: np.ndarray) -> np.ndarray:
    """expit(Intercept + x · effects) for each draw (rows) and each profile (x rows, without the intercept)."""
    return np.asarray(1.0 / (1.0 + np.exp(-log_odds(coefficients, x))))


def _past_conditions(mix: dict[str, Any], profile: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The combinations of conditions (rows, CONDITIONS order) that past observations of this mobility profile had,
    and how many had each; a profile never observed with every condition known takes those of all profiles."""
    width = len(L3_TERMS) + len(CONDITIONS) + 1
    rows = np.asarray(mix["rows"], dtype=float).reshape(-1, width)
    same = rows[np.all(rows[:, : len(L3_TERMS)] == np.asarray(profile, dtype=float), axis=1)]
    chosen = same if len(same) else rows
    return chosen[:, len(L3_TERMS) : -1], chosen[:, -1]


def _mean_log_odds(
    coefficients: np.ndarray, profile: np.ndarray, combos: np.ndarray, weights: np.ndarray, stated: dict[str, bool]
) -> np.ndarray:
    """For each draw, the log-odds of the mean chance of practice change after a stay of `profile` whose conditions
    are those of past stays (`combos`, in their proportions), the `stated` ones set as stated."""
    x = combos.copy()
    for j, name in enumerate(CONDITIONS):
        if stated.get(name) is not None:
            x[:, j] = 1.0 if stated[name] else 0.0
    modifier = x[:, CONDITIONS.index("named_counterpart")] * float(profile[L3_TERMS.index("long_term")])
    design = np.column_stack([np.tile(np.asarray(profile, dtype=float), (len(x), 1)), x, modifier])
    mean = probabilities(coefficients, design) @ (weights / weights.sum())
    mean = np.clip(mean, 1e-12, 1 - 1e-12)
    return np.asarray(np.log(mean / (1.0 - mean)))


def condition_shift(
    model: dict[str, Any] | None, coefficients: np.ndarray, profile: np.ndarray, stated: dict[str, bool]
) -> np.ndarray:
    """How much the conditions a plan states move the log-odds of practice change after a stay of `profile`, per
    draw of the conditions model's coefficients (`coefficients`, CONDITION_TERMS): the model's chance with the
    stated conditions against its chance with the conditions past stays of that profile had (a condition not stated
    is as in past stays). 0 when nothing is stated, without a conditions model, or for a condition it could not
    estimate."""
    if not stated or not model or not model["terms"] or not model["mix"]["rows"]:
        return np.zeros(len(coefficients))
    combos, weights = _past_conditions(model["mix"], profile)
    return _mean_log_odds(coefficients, profile, combos, weights, stated) - _mean_log_odds(
        coefficients, profile, combos, weights, {}
    )


def activity_rates(reach: dict[str, Any], draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Activities per stay of each kind, one value per draw: the ratio of sums over a bootstrap resample of the
    partnerships (which carries both the sampling error and how much partnerships differ)."""
    count = max(len(reach["partnerships"]), 1)
    picks = rng.integers(0, count, size=(draws, count))
    out = {}
    for kind in REACH_KINDS:
        stays = np.asarray(reach["kinds"][kind]["stays"] or [0.0])
        activities = np.asarray(reach["kinds"][kind]["activities"] or [0.0])
        total = stays[picks].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[kind] = np.nan_to_num(np.where(total > 0, activities[picks].sum(axis=1) / total, 0.0))
    return out


def mean_class_sizes(reach: dict[str, Any]) -> dict[str, float]:
    return {kind: float(np.mean(sizes)) if (sizes := reach["class_sizes"][kind]) else 0.0 for kind in REACH_KINDS}


def trainees_reached(
    reach: dict[str, Any], kind: str, stays: float, rates: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Trainees that `stays` stays of `kind` reach, one value per draw: a Poisson number of activities (at the
    draw's rate), each taking as many trainees as a past activity of that kind drawn at random."""
    sizes = np.asarray(reach["class_sizes"][kind] or [0])
    activities = rng.poisson(stays * rates)
    out = np.zeros(len(rates))
    for draw, n in enumerate(activities):
        if n:
            out[draw] = sizes[rng.integers(0, len(sizes), size=n)].sum()
    return out


def interval(values: np.ndarray) -> dict[str, float]:
    low, median, high = np.nanpercentile(values, [INTERVAL[0], 50.0, INTERVAL[1]])
    return {"median": float(median), "low": float(low), "high": float(high)}


def backtest(snap: Snapshot, ids: list[int], cutoff: int, draws: int = DRAWS, seed: int = 0) -> dict[str, Any]:
    """Fit on the years before `cutoff`, predict each partnership's years from `cutoff` on from what it actually
    did, and count how often what it observed fell inside the 90% interval:
      practice change  of the trainees followed up after its activities (by the mobility behind each), how many
                       changed practice;
      reach            from the stays it began, how many trainees its activities took."""
    rng = np.random.default_rng(seed)
    fitted = evidence(snap, ids, None, cutoff - 1)
    after = mobility.tables(snap, ids, cutoff, None)["l3"][1]
    coefficients = coefficient_draws(fitted["l3"], L3_TERMS, draws, rng)
    rows = []
    for pid, group in after.groupby("partnership_id", sort=True):
        n = group["n"].to_numpy(dtype=int)
        if n.sum() == 0:
            continue
        p = probabilities(coefficients, group[L3_TERMS].to_numpy(dtype=float))
        predicted = rng.binomial(np.broadcast_to(n, p.shape), p).sum(axis=1)
        observed = int(round(float(group["s"].sum())))
        band = interval(predicted)
        rows.append(
            {
                "partnership_id": int(pid),
                "n": int(n.sum()),
                "observed": observed,
                **band,
                "inside": band["low"] <= observed <= band["high"],
            }
        )
    reach_after = _reach(snap, ids, cutoff, None)
    observed_by = _trainees_by_partnership(snap, ids, cutoff)
    rates = activity_rates(fitted["reach"], draws, rng)
    reach_rows = []
    for index, pid in enumerate(reach_after["partnerships"]):
        predicted = np.zeros(draws)
        for kind in REACH_KINDS:
            stays = reach_after["kinds"][kind]["stays"][index]
            if stays:
                predicted += trainees_reached(fitted["reach"], kind, stays, rates[kind], rng)
        if predicted.max() == 0:
            continue
        band = interval(predicted)
        observed = observed_by.get(pid, 0)
        reach_rows.append(
            {"partnership_id": pid, "observed": observed, **band, "inside": band["low"] <= observed <= band["high"]}
        )

    def coverage(items: list[dict[str, Any]]) -> float | None:
        return sum(r["inside"] for r in items) / len(items) if items else None

    return {
        "cutoff": cutoff,
        "draws": draws,
        "seed": seed,
        "practice_change": {"rows": rows, "coverage": coverage(rows)},
        "reach": {"rows": reach_rows, "coverage": coverage(reach_rows)},
        "model": {k: fitted["l3"][k] for k in ("terms", "beta", "n", "partnerships")},
    }


def clean(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value
