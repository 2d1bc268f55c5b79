"""The collective-impact dashboard's core figures computed three other ways, for `make bench` and for the test
that the engine gives the same numbers (tests/analytics/test_planted_effects.py).

Core figures, per partnership over all years: health workers trained (TRN-01: named trainees once, plus counted
trainees less the named ones of the same activity and cell), physical volunteer days, activities, training
hours, trainees whose practice changed (L3); and across all partnerships the unique number trained.

- pandas: what a good analyst writes today: `pandas.read_sql` of the tables, then vectorised merges/groupbys.
- ORM: what a typical Django platform does: aggregate queries through the ORM.
- floor: the bare DuckDB query on tables already in memory (no extraction, no Python around it).
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

FIGURES = ("trained", "volunteer_days", "activities", "training_hours", "practice_changed")
Core = dict[str, Any]  # {"partnerships": {id: {figure: value}}, "trained_total": int}


def engine_core(collective: dict[str, Any]) -> Core:
    """The same figures read off the engine's collective-impact result."""
    return {
        "partnerships": {
            int(r["partnership_id"]): {k: round(float(r[k]), 6) for k in FIGURES} for r in collective["partnerships"]
        },
        "trained_total": int(collective["totals"]["trained"]),
    }


def _read(sql: str, con: Any) -> pd.DataFrame:
    with warnings.catch_warnings():  # pandas prefers SQLAlchemy; a DBAPI connection is what analysts often have
        warnings.simplefilter("ignore", UserWarning)
        return pd.read_sql(sql, con)


def pandas_core(con: Any) -> Core:
    """pandas.read_sql of each table (a DBAPI connection), then vectorised pandas."""
    partnerships = _read("SELECT id FROM registry_partnership", con)
    acts = _read("SELECT id AS activity_id, partnership_id, hours FROM activities_activity", con)
    trainees = _read("SELECT activity_id, person_id, facility_level, completed FROM activities_trainee", con)
    people = _read("SELECT id AS person_id, cadre_id, sex FROM network_person", con)
    aggregates = _read(
        "SELECT activity_id, cadre_id, sex, facility_level, count FROM activities_aggregatetrainees", con
    )
    stays = _read("SELECT partnership_id, mode, duration_days FROM network_stay", con)
    outcomes = _read("SELECT activity_id, person_id, level, practice_changed FROM activities_outcome", con)

    named = trainees[trainees["completed"].astype(bool)].merge(acts, on="activity_id").merge(people, on="person_id")
    cells = named.groupby(["activity_id", "cadre_id", "sex", "facility_level"], dropna=False).size().rename("n")
    counted = aggregates.merge(acts, on="activity_id").merge(
        cells.reset_index(), on=["activity_id", "cadre_id", "sex", "facility_level"], how="left"
    )
    counted["extra"] = (counted["count"] - counted["n"].fillna(0)).clip(lower=0)
    trained = (
        named.groupby("partnership_id")["person_id"]
        .nunique()
        .add(counted.groupby("partnership_id")["extra"].sum(), fill_value=0)
    )
    physical = stays[stays["mode"] == "physical"]
    l3 = outcomes[(outcomes["level"] == 3) & (outcomes["practice_changed"].fillna(False).astype(bool))]
    l3 = l3.merge(acts, on="activity_id")
    table = pd.DataFrame(
        {
            "trained": trained,
            "volunteer_days": physical.groupby("partnership_id")["duration_days"].sum(),
            "activities": acts.groupby("partnership_id").size(),
            "training_hours": acts["hours"].astype(float).fillna(0).groupby(acts["partnership_id"]).sum(),
            "practice_changed": l3.groupby("partnership_id")["person_id"].nunique(),
        }
    )
    table = table.reindex(partnerships["id"]).fillna(0)
    return {
        "partnerships": {int(pid): {k: round(float(row[k]), 6) for k in FIGURES} for pid, row in table.iterrows()},
        "trained_total": int(named["person_id"].nunique() + counted["extra"].sum()),
    }


def orm_core() -> Core:
    """Django ORM aggregate queries, one per figure, as a typical Django platform computes a dashboard."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce, Greatest

    from healthlinks.activities.models import Activity, AggregateTrainees, Outcome, Trainee
    from healthlinks.network.models import Stay
    from healthlinks.registry.models import Partnership

    table: dict[int, dict[str, float]] = {
        pk: dict.fromkeys(FIGURES, 0.0) for pk in Partnership.objects.values_list("pk", flat=True)
    }

    def put(figure: str, rows: Any) -> None:
        for pid, value in rows:
            if pid in table:
                table[pid][figure] += float(value or 0)

    named = Trainee.objects.filter(completed=True)
    put(
        "trained",
        named.values("activity__partnership_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("activity__partnership_id", "n"),
    )
    same_cell = named.filter(
        activity_id=OuterRef("activity_id"), person__sex=OuterRef("sex"), facility_level=OuterRef("facility_level")
    )
    # named trainees of the same cell; a NULL cadre matches a NULL cadre (two querysets: SQL's = would not)
    cells = {
        False: same_cell.filter(person__cadre_id=OuterRef("cadre_id")),
        True: same_cell.filter(person__cadre_id__isnull=True),
    }
    extras = [
        AggregateTrainees.objects.filter(cadre_id__isnull=null_cadre).annotate(
            extra=Greatest(
                Coalesce("count", 0)
                - Coalesce(Subquery(cell.values("activity_id").annotate(c=Count("pk")).values("c"), IntegerField()), 0),
                Value(0),
            )
        )
        for null_cadre, cell in cells.items()
    ]
    for qs in extras:
        put(
            "trained",
            qs.values("activity__partnership_id").annotate(s=Sum("extra")).values_list("activity__partnership_id", "s"),
        )
    put(
        "volunteer_days",
        Stay.objects.filter(mode="physical")
        .values("partnership_id")
        .annotate(d=Sum("duration_days"))
        .values_list("partnership_id", "d"),
    )
    per_activity = Activity.objects.values("partnership_id").annotate(n=Count("pk"), h=Sum("hours"))
    put("activities", per_activity.values_list("partnership_id", "n"))
    put("training_hours", per_activity.values_list("partnership_id", "h"))
    put(
        "practice_changed",
        Outcome.objects.filter(level=3, practice_changed=True)
        .values("activity__partnership_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("activity__partnership_id", "n"),
    )
    total = named.aggregate(n=Count("person_id", distinct=True))["n"] or 0
    total += sum(int(qs.aggregate(s=Sum("extra"))["s"] or 0) for qs in extras)
    return {
        "partnerships": {pid: {k: round(v, 6) for k, v in row.items()} for pid, row in table.items()},
        "trained_total": int(total),
    }


FLOOR_SQL = """
WITH named AS (
    SELECT t.activity_id, a.partnership_id, t.person_id, p.cadre_id, p.sex, t.facility_level
    FROM trainees t JOIN activities a ON a.id = t.activity_id JOIN people p ON p.id = t.person_id
    WHERE t.completed = 1),
cells AS (SELECT activity_id, cadre_id, sex, facility_level, count(*) AS n FROM named GROUP BY ALL),
counted AS (
    SELECT a.partnership_id, greatest(g.count - coalesce(c.n, 0), 0) AS extra
    FROM aggregates g JOIN activities a ON a.id = g.activity_id
    LEFT JOIN cells c ON c.activity_id = g.activity_id AND c.cadre_id IS NOT DISTINCT FROM g.cadre_id
        AND c.sex = g.sex AND c.facility_level = g.facility_level),
tr AS (SELECT partnership_id, sum(n) AS trained FROM (
    SELECT partnership_id, count(DISTINCT person_id) AS n FROM named GROUP BY 1
    UNION ALL SELECT partnership_id, sum(extra) FROM counted GROUP BY 1) GROUP BY 1),
st AS (SELECT partnership_id, sum(duration_days) AS d FROM stays WHERE mode = 'physical' GROUP BY 1),
ac AS (SELECT partnership_id, count(*) AS n, sum(coalesce(hours, 0)) AS h FROM activities GROUP BY 1),
l3 AS (SELECT a.partnership_id, count(DISTINCT o.person_id) AS n
       FROM outcomes o JOIN activities a ON a.id = o.activity_id
       WHERE o.level = 3 AND o.practice_changed = 1 GROUP BY 1)
SELECT p.id, coalesce(tr.trained, 0), coalesce(st.d, 0), coalesce(ac.n, 0), coalesce(ac.h, 0), coalesce(l3.n, 0),
       (SELECT count(DISTINCT person_id) FROM named) + (SELECT coalesce(sum(extra), 0) FROM counted)
FROM partnerships p LEFT JOIN tr ON tr.partnership_id = p.id LEFT JOIN st ON st.partnership_id = p.id
LEFT JOIN ac ON ac.partnership_id = p.id LEFT JOIN l3 ON l3.partnership_id = p.id
"""


def floor_core(db: Any) -> Core:
    """The bare DuckDB query over the snapshot's in-memory tables."""
    rows = db.execute(FLOOR_SQL).fetchall()
    return {
        "partnerships": {
            int(r[0]): {k: round(float(v), 6) for k, v in zip(FIGURES, r[1:6], strict=True)} for r in rows
        },
        "trained_total": int(rows[0][6]) if rows else 0,
    }


def differences(a: Core, b: Core) -> list[str]:
    """Where two results disagree (empty when they give the same numbers)."""
    out = []
    if a["trained_total"] != b["trained_total"]:
        out.append(f"trained_total {a['trained_total']} != {b['trained_total']}")
    for pid in sorted(set(a["partnerships"]) | set(b["partnerships"])):
        ra, rb = a["partnerships"].get(pid), b["partnerships"].get(pid)
        if ra != rb:
            out.append(f"partnership {pid}: {ra} != {rb}")
    return out
