"""Mobility x knowledge transfer: outcomes broken down by the mobility behind them, and models with honest
uncertainty (issue 6 §1).

Each outcome reaches the stays behind it through its activity (Activity.stays). An activity's mobility:
  mode          physical, virtual, blended (both), or none (no stay linked)
  continuum     the continuum class of its longest physical stay (bounds HEALTHLINKS_CONTINUUM_BOUNDS);
                "virtual only" when it had only virtual engagements
  repeat        the highest repeat index among its physical stays (1, 2, 3+)
  volunteer_days the volunteer's cumulative physical days in the partnership up to the end of that stay
  cadres        of the volunteer (longest stay) and of the trainee
Outcomes: L3 practice changed at follow-up (binary), L2 normalised gain (continuous), cascade (the trainee
went on to train others: binary), knowledge effective (item reached stage 3: binary).
The breakdowns and the sums the models need (by partnership and predictors) are computed in DuckDB, so no frame
of one row per observation is built, whatever their number.
Models account for partnerships: L2 gain by a linear mixed model with partnership random intercepts (REML, fitted
from sums per partnership by mixed.py: statsmodels' MixedLM gives the same estimates, 100 times slower); binary
outcomes by a logistic model fitted with GEE, its 95% intervals robust to clustering within partnerships (bias-
reduced sandwich estimator; from MANY_PARTNERSHIPS partnerships, where that correction changes the intervals by
under 1%, the ordinary cluster-robust sandwich of the same logistic fit). Intervals use Student's t with
(partnerships - 1) degrees of freedom, as few clusters call for. statsmodels' Bayesian logistic mixed model did not
converge when the between-partnership variance is near zero (as in the demo world), so GEE is used: its
coefficients are population-averaged, which equal the conditional ones when that variance is small.
Predictors: repeat_visit (repeat index >= 2), long_term (longest physical stay at or above the long-term
bound), virtual_only; the cascade model adds training_of_trainers."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from healthlinks.analytics import stats
from healthlinks.analytics.engine import Snapshot
from healthlinks.analytics.mixed import fit_random_intercept_sums
from healthlinks.network.models import continuum_bounds

# the engine's tables this analysis reads (engine.EXTRACT), and of the large ones only the columns read
TABLES: tuple[str | tuple[str, tuple[str, ...]], ...] = (
    ("activities", ("id", "partnership_id", "end_date", "training_of_trainers")),
    "activity_stays",
    "assessments",
    ("cascades", ("person_id", "source_activity_id")),
    ("knowledge", ("activity_id", "stage")),
    ("outcomes", ("activity_id", "person_id", "level", "practice_changed")),
    ("people", ("id", "cadre_id")),
    ("stays", ("id", "person_id", "partnership_id", "mode", "start_date", "duration_days", "repeat_index")),
    ("trainees", ("activity_id", "person_id", "completed")),
)

MIN_MODEL_N = 100
MIN_MODEL_EVENTS = 20
MAX_MODEL_ROWS = 20_000
# from this many partnerships a binary outcome's intervals use the cluster-robust sandwich (CR1) instead of GEE's
# bias-reduced one (Mancl-DeRouen), which corrects for few clusters and loops over them in Python: at M (2,000
# partnerships) the two differ by under 1% and GEE takes 0.3 s a model against 0.02 s
MANY_PARTNERSHIPS = 100
MIN_GROUP = 10  # each predictor needs at least this many observations with and without it
PREDICTORS = ["repeat_visit", "long_term", "virtual_only"]
LABELS = {
    "repeat_visit": "Repeat visit (2nd or later physical stay)",
    "long_term": "Long-term placement",
    "virtual_only": "Virtual only",
    "training_of_trainers": "Training of trainers",
    "Intercept": "Baseline (single first physical stay)",
}
DIMENSIONS = ["continuum", "repeat", "mode", "volunteer_days", "volunteer_cadre", "trainee_cadre"]
ORDER = {  # groups in their natural order; others (cadres) alphabetically after these
    "continuum": ["visit", "short_stay", "medium_stay", "long_term", "settlement", "virtual only", "no stay"],
    "repeat": ["1", "2", "3+", "none"],
    "mode": ["physical", "blended", "virtual", "none"],
    "volunteer_days": ["0", "1-29", "30-89", "90-364", "365+"],
}


def year_filter(column: str, year_from: int | None, year_to: int | None) -> tuple[str, list[Any]]:
    """SQL clauses (each starting with AND) keeping the rows whose `column` (a date, named by our code, never by a
    user) falls in the years, and their bound values."""
    clauses, params = "", []
    if year_from is not None:
        clauses += f" AND year({column}) >= ?"
        params.append(year_from)
    if year_to is not None:
        clauses += f" AND year({column}) <= ?"
        params.append(year_to)
    return clauses, params


def _activity_mobility_sql(ids: list[int], year_from: int | None, year_to: int | None) -> tuple[str, list[Any]]:
    short, medium, long_term, settlement = continuum_bounds()
    years, bound = year_filter("a.end_date", year_from, year_to)
    params: list[Any] = [ids, *bound]
    # the year clauses are fixed text; their values are bound parameters
    sql = f"""
    WITH cum AS (
        SELECT s.*, sum(CASE WHEN s.mode = 'physical' THEN s.duration_days ELSE 0 END) OVER (
            PARTITION BY s.person_id, s.partnership_id ORDER BY s.start_date, s.id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_days
        FROM stays s
    ),
    linked AS (
        SELECT a.id AS activity_id, a.partnership_id, a.training_of_trainers, s.mode, s.duration_days,
               s.repeat_index, s.cum_days, p.cadre_id AS volunteer_cadre
        FROM activities a
        LEFT JOIN activity_stays l ON l.activity_id = a.id
        LEFT JOIN cum s ON s.id = l.stay_id
        LEFT JOIN people p ON p.id = s.person_id
        WHERE list_contains(?, a.partnership_id) {years}
    )
    SELECT activity_id, any_value(partnership_id) AS partnership_id,
           any_value(training_of_trainers) AS training_of_trainers,
           max(CASE WHEN mode = 'physical' THEN duration_days END) AS longest,
           coalesce(max(CASE WHEN mode = 'physical' THEN repeat_index END), 0) AS max_repeat,
           bool_or(mode = 'physical') AS has_physical, bool_or(mode = 'virtual') AS has_virtual,
           max(cum_days) AS volunteer_days,
           arg_max(volunteer_cadre, coalesce(duration_days, 0)) AS volunteer_cadre
    FROM linked GROUP BY activity_id
    """  # noqa: S608
    classify = f"""
    SELECT *,
      CASE WHEN has_physical AND has_virtual THEN 'blended' WHEN has_physical THEN 'physical'
           WHEN has_virtual THEN 'virtual' ELSE 'none' END AS mode,
      CASE WHEN longest IS NULL THEN CASE WHEN has_virtual THEN 'virtual only' ELSE 'no stay' END
           WHEN longest < {short} THEN 'visit' WHEN longest < {medium} THEN 'short_stay'
           WHEN longest < {long_term} THEN 'medium_stay' WHEN longest < {settlement} THEN 'long_term'
           ELSE 'settlement' END AS continuum,
      CASE WHEN max_repeat = 0 THEN 'none' WHEN max_repeat = 1 THEN '1' WHEN max_repeat = 2 THEN '2'
           ELSE '3+' END AS repeat,
      CASE WHEN volunteer_days IS NULL OR volunteer_days = 0 THEN '0'
           WHEN volunteer_days < 30 THEN '1-29' WHEN volunteer_days < 90 THEN '30-89'
           WHEN volunteer_days < 365 THEN '90-364' ELSE '365+' END AS volunteer_days_band,
      CAST(max_repeat >= 2 AS INTEGER) AS repeat_visit,
      CAST(coalesce(longest, 0) >= {long_term} AS INTEGER) AS long_term,
      CAST(has_virtual AND NOT coalesce(has_physical, false) AS INTEGER) AS virtual_only
    FROM ({sql})
    """  # noqa: S608 (only integers from settings are interpolated)
    return classify, params


GROUPED = ["partnership_id", "repeat_visit", "long_term", "virtual_only", "training_of_trainers"]


def tables(
    snap: Snapshot, ids: list[int], year_from: int | None, year_to: int | None
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """For each outcome, two small tables computed where the observations are (DuckDB), whatever their number:
    the breakdowns (n, events or sum, mean and sd of each group of each dimension, one GROUPING SETS scan) and
    the observations summed by partnership and predictors (n, sum of y, sum of y squared: what the models need),
    both in one pass. Each activity's mobility is worked out once, into a temporary table of this cursor, and
    joined to the four outcomes. The grouped table comes in a fixed order (so that a sample drawn from it is the
    same for the same data)."""
    mob, params = _activity_mobility_sql(ids, year_from, year_to)
    cursor = snap.cursor()
    cursor.execute(f"CREATE TEMPORARY TABLE mob AS {mob}", params)  # noqa: S608 - our SQL, bound values
    # each observation: its activity, the trainee's cadre and y; the semi join keeps the activities in scope
    queries = {
        "l3": """SELECT o.activity_id, p.cadre_id AS trainee_cadre, CAST(o.practice_changed AS INTEGER) AS y
            FROM outcomes o SEMI JOIN mob m ON m.activity_id = o.activity_id LEFT JOIN people p ON p.id = o.person_id
            WHERE o.level = 3 AND o.practice_changed IS NOT NULL""",
        "l2": """SELECT a.activity_id, p.cadre_id AS trainee_cadre,
                CAST((a.post_score - a.pre_score) / (a.max_score - a.pre_score) AS DOUBLE) AS y
            FROM assessments a SEMI JOIN mob m ON m.activity_id = a.activity_id
            LEFT JOIN people p ON p.id = a.person_id
            WHERE a.max_score > a.pre_score AND a.post_score IS NOT NULL""",
        "cascade": """SELECT t.activity_id, p.cadre_id AS trainee_cadre,
                CAST(c.person_id IS NOT NULL AS INTEGER) AS y
            FROM trainees t SEMI JOIN mob m ON m.activity_id = t.activity_id LEFT JOIN people p ON p.id = t.person_id
            LEFT JOIN (SELECT DISTINCT person_id, source_activity_id FROM cascades) c
                ON c.person_id = t.person_id AND c.source_activity_id = t.activity_id
            WHERE t.completed = 1""",
        "knowledge": """SELECT k.activity_id, NULL AS trainee_cadre, CAST(k.stage >= 3 AS INTEGER) AS y
            FROM knowledge k SEMI JOIN mob m ON m.activity_id = k.activity_id""",
    }
    sets = ", ".join([*(f"({d})" for d in DIMENSIONS), f"({', '.join(GROUPED)})"])
    which = ", ".join(f"grouping({d})" for d in [*DIMENSIONS, "partnership_id"])
    out = {}
    try:
        for key, sql in queries.items():
            # the observations added up by activity and trainee cadre (the dimensions and predictors are the
            # activity's), then every group of each dimension and of each partnership and combination of
            # predictors from those sums, in one pass
            both = cursor.sql(
                f"""WITH obs AS ({sql}),
                cells AS (SELECT activity_id, coalesce(trainee_cadre, 'not recorded') AS trainee_cadre,
                          count(*) AS n, sum(y) AS s, sum(y * y) AS ss FROM obs GROUP BY ALL),
                j AS (SELECT m.partnership_id, m.mode, m.continuum, m.repeat, m.volunteer_days_band AS volunteer_days,
                             coalesce(m.volunteer_cadre, 'not recorded') AS volunteer_cadre, c.trainee_cadre,
                             m.repeat_visit, m.long_term, m.virtual_only, m.training_of_trainers, c.n, c.s, c.ss
                      FROM cells c JOIN mob m ON m.activity_id = c.activity_id)
                SELECT [{which}] AS flags, {", ".join(f"CAST({d} AS VARCHAR) AS {d}" for d in DIMENSIONS)},
                    {", ".join(GROUPED)}, CAST(sum(n) AS BIGINT) AS n, CAST(sum(s) AS DOUBLE) AS total,
                    CAST(sum(ss) AS DOUBLE) AS ss
                FROM j GROUP BY GROUPING SETS ({sets})"""  # noqa: S608 - our SQL
            ).df()
            by_predictors = _grouped_by(both, -1)
            groups, grouped = both[~by_predictors], both[by_predictors]
            grouped = grouped[[*GROUPED, "n", "total", "ss"]].rename(columns={"total": "s"})
            out[key] = (_spread(groups), grouped.sort_values(GROUPED, ignore_index=True))
        return out
    finally:
        cursor.close()


def _grouped_by(table: pd.DataFrame, index: int) -> Any:
    """Which rows of a GROUPING SETS result group by the column at `index` of its `flags` (0: grouped by it)."""
    import numpy as np

    return np.array([flags[index] == 0 for flags in table["flags"]], dtype=bool)


def _spread(groups: pd.DataFrame) -> pd.DataFrame:
    """Each group's mean and sample standard deviation from its n, sum and sum of squares."""
    import numpy as np

    n = groups["n"].to_numpy(dtype=float)
    total, squares = groups["total"].to_numpy(dtype=float), groups["ss"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / n
        variance = np.maximum(squares - total * mean, 0.0) / (n - 1)
    return groups.assign(mean=mean, sd=np.where(n > 1, np.sqrt(variance), np.nan))


OUTCOMES: dict[str, dict[str, Any]] = {
    "l3": {"title": _("L3 practice changed at follow-up"), "kind": "binary"},
    "l2": {"title": _("L2 normalised gain"), "kind": "mean"},
    "cascade": {"title": _("Trainees who went on to train others"), "kind": "binary"},
    "knowledge": {"title": _("Knowledge items that became effective in practice"), "kind": "binary"},
}


def breakdown(groups: pd.DataFrame, kind: str, dimension: str) -> list[dict[str, Any]]:
    """The rows of one dimension from the GROUPING SETS table (the other dimensions' columns are empty there)."""
    index = DIMENSIONS.index(dimension)
    summary = groups[_grouped_by(groups, index)]
    order = ORDER.get(dimension, [])
    rows = []
    for label, n, total, mean, sd in sorted(
        zip(summary[dimension], summary["n"], summary["total"], summary["mean"], summary["sd"], strict=True),
        key=lambda r: (order.index(r[0]) if r[0] in order else len(order), str(r[0])),
    ):
        if kind == "binary":
            rows.append(stats.proportion_row(str(label), int(total), int(n)))
        else:
            spread = None if n < 2 or sd is None or pd.isna(sd) else float(sd)
            rows.append(stats.mean_row(str(label), int(n), float(mean), spread))
    return rows


def _thin(n: int, events: int, kind: str) -> Any:
    if n < MIN_MODEL_N:
        return format_lazy(_("Too few observations to model (n={n}; at least {least} needed)."), n=n, least=MIN_MODEL_N)
    if kind == "binary" and min(events, n - events) < MIN_MODEL_EVENTS:
        return format_lazy(
            _("Too few events to model ({events} of {n}; at least {least} each way needed)."),
            events=events,
            n=n,
            least=MIN_MODEL_EVENTS,
        )
    return ""


def _usable(grouped: pd.DataFrame, n: int, predictors: list[str]) -> tuple[list[str], list[str]]:
    keep, dropped = [], []
    for name in predictors:
        count = int(grouped.loc[grouped[name] == 1, "n"].sum())
        if count >= MIN_GROUP and n - count >= MIN_GROUP:
            keep.append(name)
        else:
            dropped.append(name)
    return keep, dropped


def rows_of(grouped: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per binary observation again (y = 1 for s of a group's n, 0 for the rest), in the grouped order."""
    import numpy as np

    n, s = grouped["n"].to_numpy(dtype=int), grouped["s"].to_numpy(dtype=float).round().astype(int)
    counts = np.column_stack([s, n - s]).ravel()
    index = np.repeat(np.repeat(np.arange(len(grouped)), 2), counts)
    frame = grouped[columns].iloc[index].reset_index(drop=True)
    frame["y"] = np.repeat(np.tile([1, 0], len(grouped)), counts)
    return frame


def _cluster_logistic(grouped: pd.DataFrame, keep: list[str], n: int) -> tuple[Any, Any]:
    """The logistic model of every observation, fitted on their counts by partnership and predictors: the same
    estimates and, with the small-sample factor of the ungrouped fit, the same cluster-robust (CR1) errors."""
    import numpy as np
    import statsmodels.api as sm

    exog = grouped[keep].astype(float)
    exog.insert(0, "Intercept", 1.0)
    successes = grouped["s"].to_numpy(dtype=float)
    endog = np.column_stack([successes, grouped["n"].to_numpy(dtype=float) - successes])
    clusters = grouped["partnership_id"].to_numpy()
    result = sm.GLM(endog, exog, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": False}
    )
    g = len(np.unique(clusters))
    factor = g / (g - 1) * (n - 1) / (n - exog.shape[1])  # as statsmodels' correction for n observations
    names = list(exog.columns)
    return result.params[names].to_numpy(), result.bse[names].to_numpy() * math.sqrt(factor)


def _ols_from_sums(x: Any, n: Any, s: Any, ss: Any) -> tuple[Any, Any]:
    """Ordinary least squares from sums over groups of identical predictors (the same as on every row)."""
    import numpy as np

    xtx = (x * n[:, None]).T @ x
    xty = x.T @ s
    beta = np.linalg.solve(xtx, xty)
    dof = float(n.sum()) - x.shape[1]
    sigma2 = max(float(ss.sum()) - float(beta @ xty), 0.0) / dof
    return beta, np.sqrt(np.diag(sigma2 * np.linalg.inv(xtx)))


def fit(grouped: pd.DataFrame, kind: str, predictors: list[str]) -> dict[str, Any]:
    """Effects with 95% intervals from the observations summed by partnership and predictors (columns
    partnership_id, the predictors, n, s = sum of y, ss = sum of y squared); a plain note instead when the data
    are too thin. With MANY_PARTNERSHIPS or more, a binary outcome's model uses every observation (from counts);
    with fewer, GEE needs one row per observation, and above MAX_MODEL_ROWS of them it is fitted on a random
    sample of that size (said in the note), the same sample for the same data. The linear mixed model always uses
    every observation (mixed.py fits it from sums)."""
    import numpy as np

    n = int(grouped["n"].sum())
    events = int(round(float(grouped["s"].sum()))) if kind == "binary" else 0
    note = _thin(n, events, kind)
    if note:
        return {"n": n, "effects": [], "note": note}
    keep, dropped = _usable(grouped, n, predictors)
    collapsed = grouped.groupby(["partnership_id", *keep], as_index=False, sort=True)[["n", "s", "ss"]].sum()
    groups = int(collapsed["partnership_id"].nunique())
    names = ["Intercept", *keep]
    with_predictor = {name: int(grouped.loc[grouped[name] == 1, "n"].sum()) for name in keep}
    sampled = ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "binary" and groups >= MANY_PARTNERSHIPS:
            # the same estimates as GEE with independence; the cluster-robust sandwich with its small-sample
            # factor is within 1% of the bias-reduced one with this many clusters, and far faster
            means, sds = _cluster_logistic(collapsed, keep, n)
            method = "logistic model, intervals robust to clustering within partnerships (cluster sandwich)"
        elif kind == "binary":
            import statsmodels.api as sm

            frame = rows_of(collapsed, ["partnership_id", *keep])
            if len(frame) > MAX_MODEL_ROWS:
                sampled = f"Model fitted on a random sample of {MAX_MODEL_ROWS:,} of {len(frame):,} observations. "
                frame = frame.sample(n=MAX_MODEL_ROWS, random_state=0)
            exog = frame[keep].astype(float)
            exog.insert(0, "Intercept", 1.0)
            endog = frame["y"].astype(float)
            if groups >= 2:
                result = sm.GEE(
                    endog,
                    exog,
                    groups=frame["partnership_id"].to_numpy(),
                    family=sm.families.Binomial(),
                    cov_struct=sm.cov_struct.Independence(),
                ).fit(cov_type="bias_reduced")
                method = "logistic model (GEE), intervals robust to clustering within partnerships"
            else:
                result = sm.Logit(endog, exog).fit(disp=False)
                method = "logistic regression (one partnership)"
            means, sds = result.params[names].to_numpy(), result.bse[names].to_numpy()
        else:
            x = np.column_stack([np.ones(len(collapsed)), collapsed[keep].to_numpy(dtype=float)])
            counts, sums, squares = (collapsed[c].to_numpy(dtype=float) for c in ("n", "s", "ss"))
            if groups >= 2:
                mixed = fit_random_intercept_sums(x, counts, sums, squares, collapsed["partnership_id"].to_numpy())
                means, sds = mixed.params, mixed.bse
                method = "linear mixed model, partnership random intercepts (REML)"
            else:
                means, sds = _ols_from_sums(x, counts, sums, squares)
                method = "linear regression (one partnership)"
    scale = "log-odds" if kind == "binary" else "difference in normalised gain"
    # with few partnerships the normal quantile is too optimistic: use t with (partnerships - 1) df
    from scipy.stats import t as student_t

    quantile = float(student_t.ppf(0.975, groups - 1)) if groups >= 2 else stats.Z95
    effects = []
    for name, mean, sd in zip(names, means, sds, strict=True):
        low, high = mean - quantile * sd, mean + quantile * sd
        effect = {
            "term": name,
            "label": LABELS.get(name, name),
            "estimate": float(mean),
            "low": float(low),
            "high": float(high),
            "n_with": with_predictor.get(name, n),
        }
        if kind == "binary" and name != "Intercept":
            effect.update(odds_ratio=math.exp(mean), or_low=math.exp(low), or_high=math.exp(high))
        effects.append(effect)
    notes = [f"{LABELS.get(d, d)}: too few observations with and without it to estimate." for d in dropped]
    return {
        "n": n,
        "partnerships": groups,
        "method": method,
        "scale": scale,
        "effects": effects,
        "note": sampled + " ".join(notes),
    }


def analyse(snap: Snapshot, ids: list[int], year_from: int | None = None, year_to: int | None = None) -> dict[str, Any]:
    data = tables(snap, ids, year_from, year_to)
    out: dict[str, Any] = {"partnerships": len(ids), "outcomes": {}}
    for key, meta in OUTCOMES.items():
        groups, grouped = data[key]
        predictors = PREDICTORS + (["training_of_trainers"] if key == "cascade" else [])
        out["outcomes"][key] = {
            **meta,
            "n": int(grouped["n"].sum()),
            "breakdowns": {d: breakdown(groups, meta["kind"], d) for d in DIMENSIONS},
            "model": fit(grouped, meta["kind"], predictors),
        }
    # the enabling conditions' model, on the same extract (the page shows both: one analysis, one refresh)
    out["conditions"] = conditions_analyse(snap, ids, year_from, year_to)
    return out


# --- enabling conditions (issue 26) ---------------------------------------------------------------------------------
# Whether the conditions the literature names for a stay (network.models.STAY_CONDITIONS: a named counterpart,
# protected time and supervision at the host, leave and backfill at home, prior contact, a shared working language)
# go with practice change (L3), adjusted for the mobility predictors above, with one effect modifier: whether a
# named counterpart matters more in a long-term placement. An activity has a condition when any of its stays had it
# (no when every stay with it recorded had not; unknown when none recorded it); only observations whose activity
# has every condition known are modelled (complete cases), and how many were left out is said.

CONDITIONS = ["named_counterpart", "protected_time", "leave_backfill", "prior_contact", "shared_language"]
MODIFIER = "counterpart_x_long_term"
CONDITION_LABELS = {
    "named_counterpart": _("Named counterpart at the host"),
    "protected_time": _("Protected time and supervision at the host"),
    "leave_backfill": _("Leave and backfill at home"),
    "prior_contact": _("Prior contact with the host"),
    "shared_language": _("Shared working language"),
    MODIFIER: _("Named counterpart, in a long-term placement (added effect)"),
}
CONDITIONS_TABLES: tuple[str | tuple[str, tuple[str, ...]], ...] = tuple(
    ("stays", (*columns, *CONDITIONS)) if isinstance(entry, tuple) and entry[0] == "stays" else entry
    for entry in TABLES
    for columns in [entry[1] if isinstance(entry, tuple) else ()]
)
# the analysis fits the conditions' model too (analyse): its extract is the stays with their conditions
TABLES = CONDITIONS_TABLES
CONDITIONS_GROUPED = ["partnership_id", "repeat_visit", "long_term", "virtual_only", *CONDITIONS]


def conditions_tables(snap: Snapshot, ids: list[int], year_from: int | None, year_to: int | None) -> pd.DataFrame:
    """The L3 observations summed by partnership, mobility predictors and conditions (unknown conditions as NULL),
    computed in DuckDB whatever their number."""
    mob, params = _activity_mobility_sql(ids, year_from, year_to)
    known = ", ".join(f"max(s.{c}) AS {c}" for c in CONDITIONS)
    cursor = snap.cursor()
    try:
        cursor.execute(f"CREATE TEMPORARY TABLE mob AS {mob}", params)  # noqa: S608 - our SQL, bound values
        grouped = cursor.sql(
            f"""WITH cond AS (SELECT l.activity_id, {known}
                    FROM activity_stays l JOIN stays s ON s.id = l.stay_id
                    WHERE l.activity_id IN (SELECT activity_id FROM mob) GROUP BY l.activity_id),
                obs AS (SELECT o.activity_id, CAST(o.practice_changed AS INTEGER) AS y FROM outcomes o
                    SEMI JOIN mob m ON m.activity_id = o.activity_id
                    WHERE o.level = 3 AND o.practice_changed IS NOT NULL)
            SELECT m.partnership_id, m.repeat_visit, m.long_term, m.virtual_only,
                {", ".join(f"c.{c}" for c in CONDITIONS)},
                CAST(count(*) AS BIGINT) AS n, CAST(sum(o.y) AS DOUBLE) AS s, CAST(sum(o.y * o.y) AS DOUBLE) AS ss
            FROM obs o JOIN mob m ON m.activity_id = o.activity_id LEFT JOIN cond c ON c.activity_id = o.activity_id
            GROUP BY ALL"""  # noqa: S608 - our SQL
        ).df()
    finally:
        cursor.close()
    return grouped.sort_values(CONDITIONS_GROUPED, ignore_index=True, na_position="last")


def conditions_complete(grouped: pd.DataFrame) -> pd.DataFrame:
    """The complete cases of `grouped` (conditions_tables): the rows with every condition known, conditions as 0 or
    1, and the effect modifier's column (a named counterpart in a long-term placement)."""
    complete = grouped.dropna(subset=CONDITIONS).copy()
    for name in CONDITIONS:
        complete[name] = complete[name].astype(int)
    complete[MODIFIER] = complete["named_counterpart"] * complete["long_term"]
    return complete


def conditions_fit(grouped: pd.DataFrame) -> dict[str, Any]:
    """The logistic model of practice change on the mobility predictors, the conditions and the effect modifier,
    over the complete cases of `grouped` (conditions_tables); the terms with too few observations either way are
    left out and said."""
    total = int(grouped["n"].sum())
    complete = conditions_complete(grouped)
    n = int(complete["n"].sum())
    keep, dropped = _usable(complete, n, [*PREDICTORS, *CONDITIONS, MODIFIER]) if n else ([], [])
    model: dict[str, Any] = fit(complete, "binary", keep) if n else {"n": 0, "effects": [], "note": ""}
    for effect in model.get("effects", []):
        if effect["term"] in CONDITION_LABELS:
            effect["label"] = CONDITION_LABELS[effect["term"]]
    notes = [model.get("note", "")]
    notes += [
        str(format_lazy(_("{name}: too few observations with and without it to estimate."), name=label))
        for label in (CONDITION_LABELS.get(d, LABELS.get(d, d)) for d in dropped)
    ]
    return {
        **model,
        "n_all": total,
        "n_unknown": total - n,
        "note": " ".join(str(note) for note in notes if note),
    }


def conditions_analyse(
    snap: Snapshot, ids: list[int], year_from: int | None = None, year_to: int | None = None
) -> dict[str, Any]:
    """Practice change (L3) by the enabling conditions of the stays behind it: see the comment above CONDITIONS."""
    grouped = conditions_tables(snap, ids, year_from, year_to)
    return {"partnerships": len(ids), "outcome": OUTCOMES["l3"]["title"], "model": conditions_fit(grouped)}
