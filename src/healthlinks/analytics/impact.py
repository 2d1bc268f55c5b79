"""Collective impact (issue 6 §5) and value for money (§4), in the reporting currency.

Health workers trained follow the TRN-01 rule (activities/selectors.py): named trainees once each, plus
counted trainees less the named ones of the same activity and cell. Across a group of partnerships a named
person trained by two of them counts once. Volunteer days: physical stay days (stays starting in the period).
Cash costs are converted with the currency-rate table (the rate of the year, else the latest earlier year;
amounts without a rate are left out and counted); in kind = volunteer time (physical days plus virtual hours
/ 7.5, at the day rate of the volunteer's grade, else cadre) plus gifts. The period filters activities by the
year they ended, stays by the year they started and costs by the year they were spent."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from healthlinks.analytics.engine import Snapshot
from healthlinks.analytics.stats import clean, cost_per_event, wilson

HOURS_PER_DAY = 7.5
# the engine's tables these analyses read (engine.EXTRACT), and of the large ones only the columns read: only
# these are extracted for the dashboard (at M the stays' 11 columns took 0.3 s, these 6 take half)
TABLES: tuple[str | tuple[str, tuple[str, ...]], ...] = (
    ("activities", ("id", "partnership_id", "kind", "venue_id", "end_date", "hours")),
    "aggregates",
    "cash",
    "countries",
    "currency_rates",
    "day_rates",
    "funders",
    "funding_schemes",
    "gifts",
    "institutions",
    "members",
    ("outcomes", ("activity_id", "person_id", "level", "practice_changed")),
    "partnerships",
    ("people", ("id", "cadre_id", "sex", "grade")),
    "specialties",
    ("stays", ("partnership_id", "person_id", "mode", "start_date", "duration_days", "virtual_hours")),
    "trainees",
)
DIMENSIONS = ("country", "specialty", "funder", "year", "typology")


def _years(column: str, year_from: int | None, year_to: int | None) -> str:
    """A year clause; the years are integers (int() below), so they are written into the SQL."""
    clause = ""
    if year_from is not None:
        clause += f" AND year({column}) >= {int(year_from)}"
    if year_to is not None:
        clause += f" AND year({column}) <= {int(year_to)}"
    return clause


def _views(db: Any, ids: list[int], year_from: int | None, year_to: int | None) -> None:
    """Scoped temporary views on one DuckDB cursor (temporary objects belong to their connection, so
    concurrent requests with other scopes do not see them)."""
    a_years = _years("end_date", year_from, year_to)
    s_years = _years("start_date", year_from, year_to)
    c_years = _years("spent_on", year_from, year_to)
    g_years = _years("received_on", year_from, year_to)
    currency = str(settings.HEALTHLINKS_REPORTING_CURRENCY)
    if not currency.isalpha():
        raise ValueError("HEALTHLINKS_REPORTING_CURRENCY must be a currency code")
    db.execute("CREATE OR REPLACE TEMP TABLE scope AS SELECT unnest(?::BIGINT[]) AS partnership_id", [ids])
    db.execute(
        f"""CREATE OR REPLACE TEMP VIEW s_activities AS SELECT a.* FROM activities a
            JOIN scope USING (partnership_id) WHERE true {a_years}""",  # noqa: S608 (fixed clauses, bound values)
    )
    # the stays in scope, added up once per partnership, year, grade and cadre: the volunteer days, the valuation
    # of volunteer time and the trend read this small table, not the stays
    db.execute(
        f"""CREATE OR REPLACE TEMP TABLE s_stay_days AS
        SELECT s.partnership_id, year(s.start_date) AS y, lower(trim(coalesce(p.grade, ''))) AS grade_key,
               coalesce(p.cadre_id, '') AS cadre_key, p.cadre_id,
               sum(s.duration_days) FILTER (WHERE s.mode = 'physical') AS physical_days,
               sum(CASE WHEN s.mode = 'physical' THEN s.duration_days
                        ELSE coalesce(s.virtual_hours, 0) / {HOURS_PER_DAY} END) AS days
        FROM stays s JOIN scope USING (partnership_id) LEFT JOIN people p ON p.id = s.person_id
        WHERE true {s_years} GROUP BY ALL""",  # noqa: S608 (fixed clauses)
    )
    # materialised once: the figures and every breakdown read it
    db.execute(
        """CREATE OR REPLACE TEMP TABLE s_trained AS
        WITH named AS (
            SELECT t.activity_id, a.partnership_id, t.person_id, p.cadre_id, p.sex, t.facility_level
            FROM trainees t JOIN s_activities a ON a.id = t.activity_id JOIN people p ON p.id = t.person_id
            WHERE t.completed = 1),
        cells AS (SELECT activity_id, cadre_id, sex, facility_level, count(*) AS n FROM named GROUP BY ALL),
        counted AS (
            SELECT g.activity_id, a.partnership_id, g.cadre_id, g.sex, g.facility_level,
                   greatest(g.count - coalesce(c.n, 0), 0) AS extra
            FROM aggregates g JOIN s_activities a ON a.id = g.activity_id
            LEFT JOIN cells c ON c.activity_id = g.activity_id AND c.cadre_id IS NOT DISTINCT FROM g.cadre_id
                AND c.sex = g.sex AND c.facility_level = g.facility_level)
        SELECT activity_id, partnership_id, person_id, sex, facility_level, 1 AS n FROM named
        UNION ALL SELECT activity_id, partnership_id, NULL, sex, facility_level, extra FROM counted WHERE extra > 0
        """  # noqa: S608
    )
    db.execute(
        f"""CREATE OR REPLACE TEMP VIEW s_cash AS
        SELECT c.partnership_id, year(c.spent_on) AS y, c.amount,
               CASE WHEN c.currency = '{currency}' THEN c.amount ELSE c.amount * r.rate END AS value
        FROM cash c JOIN scope USING (partnership_id)
        ASOF LEFT JOIN currency_rates r ON r.currency = c.currency AND year(c.spent_on) >= r.year
        WHERE true {c_years}""",  # noqa: S608 (the currency code comes from settings)
    )
    db.execute(
        f"""CREATE OR REPLACE TEMP VIEW s_gifts AS
        SELECT g.partnership_id, year(g.received_on) AS y,
               CASE WHEN g.currency = '{currency}' THEN g.value ELSE g.value * r.rate END AS value
        FROM gifts g JOIN scope USING (partnership_id)
        ASOF LEFT JOIN currency_rates r ON r.currency = g.currency AND year(g.received_on) >= r.year
        WHERE true {g_years}""",  # noqa: S608
    )
    db.execute(
        f"""CREATE OR REPLACE TEMP VIEW s_time AS
        WITH days AS (SELECT partnership_id, y, grade_key, cadre_key, cadre_id, days FROM s_stay_days),
        -- the rate joins run on the few distinct (year, grade, cadre) keys, then a hash join prices every row
        keys AS (SELECT DISTINCT y, grade_key, cadre_key, cadre_id FROM days),
        by_grade AS (SELECT lower(trim(grade)) AS grade_key, year, currency, day_rate FROM day_rates WHERE grade <> ''),
        by_cadre AS (SELECT cadre_id, year, currency, day_rate FROM day_rates WHERE coalesce(grade, '') = ''),
        first_grade AS (SELECT grade_key, arg_min(currency, year) AS currency, arg_min(day_rate, year) AS day_rate,
                        min(year) AS year FROM by_grade GROUP BY grade_key),
        first_cadre AS (SELECT cadre_id, arg_min(currency, year) AS currency, arg_min(day_rate, year) AS day_rate,
                        min(year) AS year FROM by_cadre GROUP BY cadre_id),
        rated AS (
            SELECT d.*, coalesce(g.day_rate, fg.day_rate, c.day_rate, fc.day_rate) AS day_rate,
                   CASE WHEN coalesce(g.day_rate, fg.day_rate) IS NOT NULL THEN coalesce(g.currency, fg.currency)
                        ELSE coalesce(c.currency, fc.currency) END AS currency,
                   CASE WHEN coalesce(g.day_rate, fg.day_rate) IS NOT NULL THEN coalesce(g.year, fg.year)
                        ELSE coalesce(c.year, fc.year) END AS rate_year
            FROM keys d
            ASOF LEFT JOIN by_grade g ON g.grade_key = d.grade_key AND d.y >= g.year
            LEFT JOIN first_grade fg ON fg.grade_key = d.grade_key
            ASOF LEFT JOIN by_cadre c ON c.cadre_id = d.cadre_id AND d.y >= c.year
            LEFT JOIN first_cadre fc ON fc.cadre_id = d.cadre_id),
        per_day AS (
            SELECT r.y, r.grade_key, r.cadre_key,
                   CASE WHEN r.day_rate IS NULL THEN NULL WHEN r.currency = '{currency}' THEN r.day_rate
                        ELSE r.day_rate * x.rate END AS value
            FROM rated r ASOF LEFT JOIN currency_rates x ON x.currency = r.currency AND r.y >= x.year)
        SELECT d.partnership_id, d.y, d.days, d.days * p.value AS value
        FROM days d JOIN per_day p ON p.y = d.y AND p.grade_key = d.grade_key AND p.cadre_key = d.cadre_key"""  # noqa: S608
    )


FIGURES_SQL = """
WITH p AS (SELECT partnership_id AS id FROM scope),
tr AS (SELECT partnership_id,
       count(DISTINCT person_id) + coalesce(sum(n) FILTER (WHERE person_id IS NULL), 0) AS trained,
       sum(n) FILTER (WHERE sex = 'female') AS female, sum(n) AS trainee_records,
       sum(n) FILTER (WHERE facility_level IN ('district', 'primary')) AS district_primary
       FROM s_trained GROUP BY partnership_id),
st AS (SELECT partnership_id, sum(physical_days) AS volunteer_days FROM s_stay_days GROUP BY partnership_id),
ac AS (SELECT a.partnership_id, count(*) AS activities, sum(coalesce(a.hours, 0)) AS training_hours,
       count(*) FILTER (WHERE c.ssl2023 = 1) AS activities_ssl
       FROM s_activities a LEFT JOIN institutions i ON i.id = a.venue_id LEFT JOIN countries c ON c.iso3 = i.country_id
       GROUP BY a.partnership_id),
l3 AS (SELECT a.partnership_id, count(DISTINCT o.person_id) FILTER (WHERE o.practice_changed = 1) AS practice_changed,
       count(DISTINCT o.person_id) AS l3_assessed
       FROM outcomes o JOIN s_activities a ON a.id = o.activity_id WHERE o.level = 3 GROUP BY a.partnership_id),
ca AS (SELECT partnership_id, sum(value) AS cash, count(*) FILTER (WHERE value IS NULL) AS unconverted,
       min(y) FILTER (WHERE value IS NOT NULL) AS y0, max(y) FILTER (WHERE value IS NOT NULL) AS y1
       FROM s_cash GROUP BY partnership_id),
gi AS (SELECT partnership_id, sum(value) AS gifts,
       min(y) FILTER (WHERE value IS NOT NULL) AS y0, max(y) FILTER (WHERE value IS NOT NULL) AS y1
       FROM s_gifts GROUP BY partnership_id),
ti AS (SELECT partnership_id, sum(value) AS volunteer_time,
       min(y) FILTER (WHERE value IS NOT NULL) AS y0, max(y) FILTER (WHERE value IS NOT NULL) AS y1
       FROM s_time GROUP BY partnership_id),
ma AS (SELECT partnership_id, first(kind ORDER BY n DESC, kind) AS main_activity
       FROM (SELECT partnership_id, kind, count(*) AS n FROM s_activities GROUP BY ALL) GROUP BY partnership_id)
SELECT p.id AS partnership_id, pa.slug, pa.name, pa.geography_class, pa.intervention, pa.skills,
       coalesce(tr.trained, 0) AS trained, coalesce(tr.female, 0) AS female,
       coalesce(tr.trainee_records, 0) AS trainee_records,
       coalesce(tr.district_primary, 0) AS district_primary, coalesce(st.volunteer_days, 0) AS volunteer_days,
       coalesce(ac.activities, 0) AS activities, coalesce(ac.training_hours, 0) AS training_hours,
       coalesce(ac.activities_ssl, 0) AS activities_ssl, coalesce(l3.practice_changed, 0) AS practice_changed,
       coalesce(ca.cash, 0) AS cash, coalesce(ca.unconverted, 0) AS unconverted,
       coalesce(gi.gifts, 0) + coalesce(ti.volunteer_time, 0) AS in_kind,
       ma.main_activity,
       coalesce(l3.l3_assessed, 0) AS l3_assessed, coalesce(gi.gifts, 0) AS gifts,
       coalesce(ti.volunteer_time, 0) AS volunteer_time,
       coalesce(ca.cash, 0) + coalesce(gi.gifts, 0) + coalesce(ti.volunteer_time, 0) AS economic_cost,
       least(ca.y0, gi.y0, ti.y0) AS first_cost_year, greatest(ca.y1, gi.y1, ti.y1) AS last_cost_year
FROM p JOIN partnerships pa ON pa.id = p.id
LEFT JOIN ma ON ma.partnership_id = p.id
LEFT JOIN tr ON tr.partnership_id = p.id LEFT JOIN st ON st.partnership_id = p.id
LEFT JOIN ac ON ac.partnership_id = p.id LEFT JOIN l3 ON l3.partnership_id = p.id
LEFT JOIN ca ON ca.partnership_id = p.id LEFT JOIN gi ON gi.partnership_id = p.id
LEFT JOIN ti ON ti.partnership_id = p.id
ORDER BY pa.name
"""


def _ratio(num: float | None, den: float | None) -> float | None:
    return float(num) / float(den) if num is not None and den else None


def vfm_row(r: dict[str, Any]) -> dict[str, Any]:
    """The 4Es and leverage of one partnership (or of a total), from its figures: every cost ratio twice, on the
    financial cost (cash) and on the economic cost (cash + volunteer time valued at the day rates + gifts in kind)."""
    cash, in_kind = float(r["cash"] or 0), float(r["in_kind"] or 0)
    economic = cash + in_kind
    return {
        "cost_per_volunteer_day": _ratio(cash, r["volunteer_days"]),
        "in_kind_share": _ratio(in_kind, cash + in_kind),
        "cost_per_trained": _ratio(cash, r["trained"]),
        "cost_per_training_hour": _ratio(cash, r["training_hours"]),
        "cost_per_practice_change": _ratio(cash, r["practice_changed"]),
        "female_share": _ratio(r["female"], r["trainee_records"]),
        "district_primary_share": _ratio(r["district_primary"], r["trainee_records"]),
        "ssl_activity_share": _ratio(r["activities_ssl"], r["activities"]),
        "leverage": _ratio(in_kind, cash),
        "economic_cost_per_volunteer_day": _ratio(economic, r["volunteer_days"]),
        "economic_cost_per_trained": _ratio(economic, r["trained"]),
        "economic_cost_per_training_hour": _ratio(economic, r["training_hours"]),
        "economic_cost_per_practice_change": _ratio(economic, r["practice_changed"]),
        "practice_change_share": _ratio(r["practice_changed"], r.get("l3_assessed")),
    }


# the figures vfm_row reads (a total of these is a row too)
VFM_INPUTS = (
    "cash",
    "in_kind",
    "volunteer_days",
    "trained",
    "training_hours",
    "practice_changed",
    "l3_assessed",
    "female",
    "trainee_records",
    "district_primary",
    "activities_ssl",
    "activities",
)


def effectiveness(r: dict[str, Any]) -> dict[str, Any]:
    """Practice change (Kirkpatrick level 3) among the trainees followed up, with its 95% Wilson interval, and the
    cost (financial and economic) per practice change with the interval that Wilson interval carries
    (stats.cost_per_event)."""
    changed, n = int(r.get("practice_changed") or 0), int(r.get("l3_assessed") or 0)
    low, high = wilson(changed, n) if n else (None, None)
    cash = float(r.get("cash") or 0)
    economic = cash + float(r.get("in_kind") or 0)
    financial, full = cost_per_event(cash, changed, n), cost_per_event(economic, changed, n)
    return {
        "practice_change_share_low": low,
        "practice_change_share_high": high,
        "cost_per_practice_change_low": financial["low"],
        "cost_per_practice_change_high": financial["high"],
        "economic_cost_per_practice_change_low": full["low"],
        "economic_cost_per_practice_change_high": full["high"],
    }


def pooled(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The partnerships' figures added up and their ratios (a trainee of two partnerships counts in each here)."""
    total = {k: sum(float(r.get(k) or 0) for r in rows) for k in VFM_INPUTS}
    total |= {k: sum(float(r.get(k) or 0) for r in rows) for k in ("gifts", "volunteer_time", "economic_cost")}
    total["partnerships"] = len(rows)
    return total | vfm_row(total) | effectiveness(total)


def compared(programmes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Comparator programmes (results.selectors.comparators) with the same ratios and intervals as partnerships."""
    out = []
    for c in programmes:
        changed, n = int(c["practice_changed"]), int(c["followed_up"])
        low, high = wilson(changed, n) if n else (None, None)
        financial = cost_per_event(c["cash_cost"], changed, n)
        economic = cost_per_event(c["economic_cost"], changed, n)
        out.append(
            {
                **c,
                "cost_per_trained": _ratio(c["cash_cost"], c["trainees"]),
                "economic_cost_per_trained": _ratio(c["economic_cost"], c["trainees"]),
                "practice_change_share": _ratio(changed, n),
                "practice_change_share_low": low,
                "practice_change_share_high": high,
                "cost_per_practice_change": financial["estimate"],
                "cost_per_practice_change_low": financial["low"],
                "cost_per_practice_change_high": financial["high"],
                "economic_cost_per_practice_change": economic["estimate"],
                "economic_cost_per_practice_change_low": economic["low"],
                "economic_cost_per_practice_change_high": economic["high"],
            }
        )
    return out


def _rows(db: Any, sql: str) -> list[dict[str, Any]]:
    cursor = db.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def figures(db: Any, ids: list[int], year_from: int | None, year_to: int | None) -> list[dict[str, Any]]:
    """Per partnership, on a cursor that then holds the scoped views for further queries."""
    _views(db, ids, year_from, year_to)
    return [{k: clean(v) for k, v in row.items()} | vfm_row(row) for row in _rows(db, FIGURES_SQL)]


def _median(values: list[float]) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def vfm(
    snap: Snapshot, ids: list[int], all_ids: list[int], year_from: int | None, year_to: int | None
) -> dict[str, Any]:
    """Each partnership's value-for-money figures beside the median of its comparison group: the visible
    partnerships with the same main activity type and geography class (like with like)."""
    rows = figures(snap.cursor(), all_ids, year_from, year_to)
    groups: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["main_activity"], row["geography_class"]), []).append(row)
    wanted = set(ids)
    metrics = list(vfm_row(dict.fromkeys(VFM_INPUTS, 0)))
    medians = {group: {m: _median([p[m] for p in peers]) for m in metrics} for group, peers in groups.items()}
    out = []
    for row in rows:
        if row["partnership_id"] not in wanted:
            continue
        group = (row["main_activity"], row["geography_class"])
        peers = groups[group]
        out.append(
            {
                **row,
                "comparison": {
                    "main_activity": row["main_activity"],
                    "geography_class": row["geography_class"],
                    "partnerships": len(peers),
                    "medians": medians[group],
                },
            }
        )
    others = []  # the rest of each comparison group, for the charts: the scope's partnerships among like ones
    shown_groups = {(r["main_activity"], r["geography_class"]) for r in out}
    for row in rows:
        if row["partnership_id"] not in wanted and (row["main_activity"], row["geography_class"]) in shown_groups:
            others.append(
                {k: row.get(k) for k in ("partnership_id", "slug", "name", "main_activity", "geography_class")}
                | {m: row[m] for m in metrics}
            )
    for row in out:
        row.update(effectiveness(row))
        row["measures"] = [{"key": m, "value": row[m], "median": row["comparison"]["medians"][m]} for m in metrics]
    first = [r["first_cost_year"] for r in out if r.get("first_cost_year") is not None]
    last = [r["last_cost_year"] for r in out if r.get("last_cost_year") is not None]
    return {
        "metrics": metrics,
        "currency": str(settings.HEALTHLINKS_REPORTING_CURRENCY),
        "price_years": [min(first), max(last)] if first and last else None,
        "pooled": pooled(out),
        "partnerships": out,
        "others": others,
    }


def collective(snap: Snapshot, ids: list[int], year_from: int | None, year_to: int | None) -> dict[str, Any]:
    """All partnerships in scope added up, and by country, specialty, funder, year and typology."""
    db = snap.cursor()
    rows = figures(db, ids, year_from, year_to)

    def unique_trained(join: str, key: str) -> dict[Any, int]:
        sql = f"""SELECT {key} AS k,
                  count(DISTINCT t.person_id) + coalesce(sum(t.n) FILTER (WHERE t.person_id IS NULL), 0)
                  FROM s_trained t {join} GROUP BY ALL"""  # noqa: S608 (fixed fragments)
        return {k: int(v) for k, v in db.execute(sql).fetchall()}

    joins = {
        # each partnership once per group: two member institutions in one country count its trainees once there
        "country": (
            """JOIN (SELECT DISTINCT m.partnership_id, i.country_id FROM members m
                     JOIN institutions i ON i.id = m.institution_id) g ON g.partnership_id = t.partnership_id""",
            "g.country_id",
        ),
        "specialty": ("JOIN specialties s ON s.partnership_id = t.partnership_id", "s.specialty_id"),
        "funder": (
            """JOIN (SELECT DISTINCT f.partnership_id, fs.name FROM funders f
                     JOIN funding_schemes fs ON fs.id = f.funder_id) g ON g.partnership_id = t.partnership_id""",
            "g.name",
        ),
        "year": ("JOIN s_activities a ON a.id = t.activity_id", "year(a.end_date)"),
        "typology": ("JOIN partnerships p ON p.id = t.partnership_id", "coalesce(p.intervention, '')"),
    }
    totals = {
        "partnerships": len(rows),
        "trained": unique_trained("", "'all'").get("all", 0),
        "volunteer_days": sum(r["volunteer_days"] for r in rows),
        "practice_changed": sum(r["practice_changed"] for r in rows),
        "cash": sum(r["cash"] for r in rows),
        "in_kind": sum(r["in_kind"] for r in rows),
        "unconverted_costs": sum(r["unconverted"] for r in rows),
        "currency": str(settings.HEALTHLINKS_REPORTING_CURRENCY),
    }
    by: dict[str, list[dict[str, Any]]] = {}
    for dimension, (join, key) in joins.items():
        trained = unique_trained(join, key)
        by[dimension] = [{"group": k, "trained": v} for k, v in sorted(trained.items(), key=lambda kv: str(kv[0]))]
    days = db.execute(
        "SELECT y, sum(physical_days) FROM s_stay_days GROUP BY 1 HAVING count(physical_days) > 0"
    ).fetchall()
    cash = db.execute("SELECT y, sum(value) FROM s_cash GROUP BY 1").fetchall()
    trend: dict[int, dict[str, Any]] = {}
    for y, v in days:
        trend.setdefault(y, {"year": y})["volunteer_days"] = int(v or 0)
    for y, v in cash:
        trend.setdefault(y, {"year": y})["cash"] = float(v or 0)
    for row in by["year"]:
        trend.setdefault(row["group"], {"year": row["group"]})["trained"] = row["trained"]
    return {"totals": totals, "by": by, "trend": [trend[y] for y in sorted(trend)], "partnerships": rows}
