"""The collective-impact dashboard's figures computed three other ways, for `make bench` and for the tests that
the engine gives the same numbers (tests/analytics/test_baselines.py, test_planted_effects.py).

The figures are every number `analytics.impact.collective` returns for all partnerships over all years:
- per partnership: health workers trained (TRN-01: named trainees once, plus counted trainees less the named
  ones of the same activity and cell), female trainees, trainee records, trainees from district and primary
  facilities, physical volunteer days, activities, training hours, activities in Safeguards-List countries,
  trainees whose practice changed (L3), cash in the reporting currency (converted at the rate of the year, else
  the latest earlier year), costs that could not be converted, in kind (gifts plus volunteer time valued at
  the day rate of the volunteer's grade, else cadre) and the main activity type;
- the unique number trained overall and by member country, specialty, funder, year and typology;
- the trend: physical volunteer days, cash and health workers trained per year.

- pandas: what a good analyst writes today: `pandas.read_sql` of the tables, then vectorised merges/groupbys.
- ORM: what a good Django platform does: aggregate queries through the ORM, the few small rate tables applied
  in Python to the aggregated rows.
- floor: the engine's own queries on tables already in memory (no extraction).
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

HOURS_PER_DAY = 7.5  # as analytics.impact
DISTRICT_PRIMARY = ("district", "primary")
FIGURES = (
    "trained",
    "female",
    "trainee_records",
    "district_primary",
    "volunteer_days",
    "activities",
    "training_hours",
    "activities_ssl",
    "practice_changed",
    "cash",
    "unconverted",
    "in_kind",
    "main_activity",
)
DIMENSIONS = ("country", "specialty", "funder", "year", "typology")
TREND = ("volunteer_days", "cash", "trained")
# {"partnerships": {id: {figure: value}}, "trained_total": int, "by": {dimension: {group: trained}},
#  "trend": {year: {figure: value}}}
Core = dict[str, Any]


def _plain(value: Any) -> Any:
    """numpy and Decimal numbers as Python numbers; integral floats as int (a year read as 2022.0 is 2022)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number


def _group(value: Any) -> str:
    return str(_plain(value))


def _core(
    rows: dict[int, dict[str, Any]], total: int, by: dict[str, dict[Any, Any]], trend: dict[Any, dict[str, Any]]
) -> Core:
    return {
        "partnerships": {int(pid): {k: _plain(row.get(k)) for k in FIGURES} for pid, row in rows.items()},
        "trained_total": int(total),
        "by": {d: {_group(k): int(v) for k, v in by.get(d, {}).items()} for d in DIMENSIONS},
        "trend": {int(y): {k: _plain(v) for k, v in row.items() if k in TREND} for y, row in trend.items()},
    }


def engine_core(collective: dict[str, Any]) -> Core:
    """The same figures read off the engine's collective-impact result."""
    return _core(
        {int(r["partnership_id"]): r for r in collective["partnerships"]},
        collective["totals"]["trained"],
        {d: {r["group"]: r["trained"] for r in rows} for d, rows in collective["by"].items()},
        {r["year"]: r for r in collective["trend"]},
    )


# --- pandas -----------------------------------------------------------------------------------------------------


def _read(sql: str, con: Any) -> pd.DataFrame:
    with warnings.catch_warnings():  # pandas prefers SQLAlchemy; a DBAPI connection is what analysts often have
        warnings.simplefilter("ignore", UserWarning)
        return pd.read_sql(sql, con)


def _year(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.year


def _asof(left: pd.DataFrame, rates: pd.DataFrame, by: str, value: str) -> pd.Series:
    """For each row of `left` (columns `y` and `by`), the `value` of the rate row of the same `by` with the
    latest `year` at or before `y` (NaN when none), in left's order."""
    keyed = left[["y", by]].reset_index().dropna(subset=["y", by]).astype({"y": "int64", by: str})
    rates = rates.dropna(subset=[by]).astype({"year": "int64", by: str}).sort_values("year")
    matched = pd.merge_asof(keyed.sort_values("y"), rates[["year", by, value]], left_on="y", right_on="year", by=by)
    return matched.set_index("index")[value].reindex(left.index)


def _convert(frame: pd.DataFrame, amount: str, rates: pd.DataFrame, currency: str) -> pd.Series:
    rate = _asof(frame, rates, "currency", "rate")
    return frame[amount].where(frame["currency"] == currency, frame[amount] * rate)


def pandas_core(con: Any, currency: str = "GBP") -> Core:
    """pandas.read_sql of each table (a DBAPI connection), then vectorised pandas."""
    partnerships = _read("SELECT id AS partnership_id, intervention FROM registry_partnership", con)
    acts = _read(
        "SELECT id AS activity_id, partnership_id, kind, venue_id, end_date, hours FROM activities_activity", con
    )
    trainees = _read("SELECT activity_id, person_id, facility_level, completed FROM activities_trainee", con)
    people = _read("SELECT id AS person_id, cadre_id, sex, grade FROM network_person", con)
    aggregates = _read(
        "SELECT activity_id, cadre_id, sex, facility_level, count FROM activities_aggregatetrainees", con
    )
    stays = _read(
        "SELECT partnership_id, person_id, mode, start_date, duration_days, virtual_hours FROM network_stay", con
    )
    # level 3 only, as the engine extracts (engine.EXTRACT): the filter an analyst would also write in the query
    outcomes = _read(
        "SELECT activity_id, person_id, level, practice_changed FROM activities_outcome WHERE level = 3", con
    )
    institutions = _read("SELECT id AS institution_id, country_id FROM registry_institution", con)
    countries = _read("SELECT iso3 AS country_id, ssl2023 FROM reference_country", con)
    members = _read("SELECT partnership_id, institution_id FROM registry_partnershipmember", con)
    specialties = _read("SELECT partnership_id, specialty_id FROM registry_partnership_specialties", con)
    funders = _read(
        "SELECT partnership_id, fundingscheme_id AS funder_id FROM registry_partnership_funding_schemes", con
    )
    schemes = _read("SELECT id AS funder_id, name FROM registry_fundingscheme", con)
    cash = _read("SELECT partnership_id, amount, currency, spent_on FROM results_cashcost", con)
    gifts = _read("SELECT partnership_id, value, currency, received_on FROM results_inkindcontribution", con)
    rates = _read("SELECT currency, year, rate FROM results_currencyrate", con)
    day_rates = _read("SELECT grade, cadre_id, year, currency, day_rate FROM results_dayrate", con)
    for frame, columns in (
        (acts, ["hours"]),
        (stays, ["virtual_hours"]),
        (cash, ["amount"]),
        (gifts, ["value"]),
        (rates, ["rate"]),
        (day_rates, ["day_rate"]),
    ):
        frame[columns] = frame[columns].astype(float)  # decimals: Decimal objects from PostgreSQL
    acts["y"] = _year(acts["end_date"])
    pid = "partnership_id"

    # trainees: the named ones (one row each, n = 1) and the counted ones beyond the named of their cell
    named = trainees[trainees["completed"].astype(bool)].merge(acts[["activity_id", pid, "y"]], on="activity_id")
    named = named.merge(people[["person_id", "cadre_id", "sex"]], on="person_id").assign(n=1)
    cell = ["activity_id", "cadre_id", "sex", "facility_level"]
    cells = named.groupby(cell, dropna=False).size().rename("named").reset_index()
    counted = aggregates.merge(acts[["activity_id", pid, "y"]], on="activity_id").merge(cells, on=cell, how="left")
    counted["n"] = (counted["count"] - counted["named"].fillna(0)).clip(lower=0)
    counted = counted[counted["n"] > 0]
    rows = pd.concat([named.drop(columns="cadre_id"), counted[[*cell, pid, "y", "n"]].drop(columns="cadre_id")])

    def unique_trained(frame: pd.DataFrame, key: str) -> pd.Series:
        return (
            frame.groupby(key)["person_id"]
            .nunique()
            .add(frame[frame["person_id"].isna()].groupby(key)["n"].sum(), fill_value=0)
        )

    rows["female"] = rows["n"].where(rows["sex"] == "female", 0)
    rows["district_primary"] = rows["n"].where(rows["facility_level"].isin(DISTRICT_PRIMARY), 0)
    trained = rows.groupby(pid)[["n", "female", "district_primary"]].sum().rename(columns={"n": "trainee_records"})
    trained["trained"] = unique_trained(rows, pid)

    # stays: physical days, and volunteer time valued per (partnership, year, grade, cadre)
    stays = stays.merge(people[["person_id", "grade", "cadre_id"]], on="person_id", how="left")
    stays["y"] = _year(stays["start_date"])
    physical = stays["mode"] == "physical"
    stays["days"] = stays["duration_days"].where(physical, stays["virtual_hours"].fillna(0) / HOURS_PER_DAY)
    stays["grade_key"] = stays["grade"].fillna("").str.strip().str.lower()
    stays["cadre_key"] = stays["cadre_id"].fillna("")
    keys = ["y", "grade_key", "cadre_key"]
    days = stays.groupby([pid, *keys], as_index=False)["days"].sum()
    prices = days[keys].drop_duplicates().reset_index(drop=True)
    by_grade = day_rates[day_rates["grade"].fillna("") != ""].assign(
        grade_key=lambda f: f["grade"].str.strip().str.lower()
    )
    by_cadre = day_rates[(day_rates["grade"].fillna("") == "") & day_rates["cadre_id"].notna()]
    by_cadre = by_cadre.assign(cadre_key=by_cadre["cadre_id"])
    for suffix, rated, key in (("g", by_grade, "grade_key"), ("c", by_cadre, "cadre_key")):
        first = rated.sort_values("year").groupby(key)[["day_rate", "currency"]].first()
        for column in ("day_rate", "currency"):
            found = _asof(prices, rated, key, column)
            prices[f"{column}_{suffix}"] = found.where(found.notna(), prices[key].map(first[column]))
    graded = prices["day_rate_g"].notna()
    prices["day_rate"] = prices["day_rate_g"].where(graded, prices["day_rate_c"])
    prices["currency"] = prices["currency_g"].where(graded, prices["currency_c"])
    prices["per_day"] = _convert(prices, "day_rate", rates, currency)
    days = days.merge(prices[[*keys, "per_day"]], on=keys)
    days["value"] = days["days"] * days["per_day"]

    cash["y"] = _year(cash["spent_on"])
    cash["value"] = _convert(cash, "amount", rates, currency)
    gifts["y"] = _year(gifts["received_on"])
    gifts["value"] = _convert(gifts.rename(columns={"value": "amount"}), "amount", rates, currency)

    venues = institutions.merge(countries, on="country_id", how="left")
    acts["ssl"] = acts["venue_id"].map(venues.set_index("institution_id")["ssl2023"]).fillna(0).astype(bool)
    kinds = acts.groupby([pid, "kind"]).size().rename("n").reset_index()
    main = kinds.sort_values([pid, "n", "kind"], ascending=[True, False, True]).drop_duplicates(pid)
    l3 = outcomes[(outcomes["level"] == 3) & outcomes["practice_changed"].fillna(False).astype(bool)]
    l3 = l3.merge(acts[["activity_id", pid]], on="activity_id")

    table = trained.join(
        [
            stays[physical].groupby(pid)["duration_days"].sum().rename("volunteer_days"),
            acts.groupby(pid).agg(
                activities=("activity_id", "size"), training_hours=("hours", "sum"), activities_ssl=("ssl", "sum")
            ),
            l3.groupby(pid)["person_id"].nunique().rename("practice_changed"),
            cash.assign(unconverted=cash["value"].isna())
            .groupby(pid)[["value", "unconverted"]]
            .sum()
            .rename(columns={"value": "cash"}),
        ],
        how="outer",
    )
    table = table.reindex(partnerships[pid])
    in_kind = gifts.groupby(pid)["value"].sum().add(days.groupby(pid)["value"].sum(), fill_value=0)
    table["in_kind"] = in_kind.reindex(table.index)
    table = table.fillna(0)
    table["main_activity"] = main.set_index(pid)["kind"].reindex(table.index)

    pairs = {
        "country": members.merge(institutions, on="institution_id")[[pid, "country_id"]],
        "specialty": specialties,
        "funder": funders.merge(schemes, on="funder_id")[[pid, "name"]],
    }
    by: dict[str, dict[Any, Any]] = {}
    for dimension, frame in pairs.items():
        frame = frame.drop_duplicates()
        by[dimension] = unique_trained(rows.merge(frame, on=pid), frame.columns[1]).to_dict()
    by["year"] = unique_trained(rows, "y").to_dict()
    typology = partnerships.assign(typology=partnerships["intervention"].fillna(""))[[pid, "typology"]]
    by["typology"] = unique_trained(rows.merge(typology, on=pid), "typology").to_dict()

    trend: dict[Any, dict[str, Any]] = defaultdict(dict)
    for y, v in stays[physical].dropna(subset=["duration_days"]).groupby("y")["duration_days"].sum().items():
        trend[y]["volunteer_days"] = v
    for y, v in cash.groupby("y")["value"].sum().items():
        trend[y]["cash"] = v
    for y, v in by["year"].items():
        trend[y]["trained"] = v
    total = rows["person_id"].nunique() + rows.loc[rows["person_id"].isna(), "n"].sum()
    return _core(table.to_dict("index"), total, by, trend)


# --- Django ORM ---------------------------------------------------------------------------------------------------


class _Rates:
    """A rate table (key, year) → value read once: the rate of the year, else the latest earlier year; with
    `first`, else the earliest year's."""

    def __init__(self, rows: Iterable[tuple[Any, int, Any]], first: bool = False) -> None:
        by_key: dict[Any, list[tuple[int, Any]]] = defaultdict(list)
        for key, year, value in rows:
            by_key[key].append((year, value))
        self.years = {k: [y for y, _ in sorted(v, key=lambda yv: yv[0])] for k, v in by_key.items()}
        self.values = {k: [x for _, x in sorted(v, key=lambda yv: yv[0])] for k, v in by_key.items()}
        self.first = first

    def at(self, key: Any, year: int | None) -> Any:
        years = self.years.get(key)
        if not years:
            return None
        i = bisect_right(years, year) if year is not None else 0
        if i:
            return self.values[key][i - 1]
        return self.values[key][0] if self.first else None


def orm_core(currency: str = "GBP") -> Core:
    """Django ORM aggregate queries, as a good Django platform computes a dashboard."""
    from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce, ExtractYear, Greatest, Lower, Trim

    from healthlinks.activities.models import Activity, AggregateTrainees, Outcome, Trainee
    from healthlinks.network.models import Stay
    from healthlinks.registry.models import Partnership, PartnershipMember
    from healthlinks.results.models import CashCost, CurrencyRate, DayRate, InKindContribution

    interventions = dict(Partnership.objects.values_list("pk", "intervention"))
    table: dict[int, dict[str, Any]] = {
        pk: {**dict.fromkeys(FIGURES, 0.0), "main_activity": None} for pk in interventions
    }

    def put(figure: str, rows: Iterable[tuple[int, Any]]) -> None:
        for pid, value in rows:
            if pid in table:
                table[pid][figure] += float(value or 0)

    # trainees: named ones, then counted ones beyond the named of the same activity and cell
    named = Trainee.objects.filter(completed=True)
    per_partnership = named.values(pid=F("activity__partnership_id")).annotate(
        trained=Count("person_id", distinct=True),
        trainee_records=Count("pk"),
        female=Count("pk", filter=Q(person__sex="female")),
        district_primary=Count("pk", filter=Q(facility_level__in=DISTRICT_PRIMARY)),
    )
    for row in per_partnership:
        for figure in ("trained", "trainee_records", "female", "district_primary"):
            put(figure, [(row["pid"], row[figure])])
    same_cell = named.filter(
        activity_id=OuterRef("activity_id"), person__sex=OuterRef("sex"), facility_level=OuterRef("facility_level")
    )
    # a NULL cadre matches a NULL cadre (two querysets: SQL's = would not)
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
    extra_by_partnership: dict[int, float] = defaultdict(float)
    extra_by_year: dict[Any, float] = defaultdict(float)
    for qs in extras:
        for row in qs.values(pid=F("activity__partnership_id")).annotate(
            s=Sum("extra"),
            female=Sum("extra", filter=Q(sex="female")),
            district_primary=Sum("extra", filter=Q(facility_level__in=DISTRICT_PRIMARY)),
        ):
            extra_by_partnership[row["pid"]] += float(row["s"] or 0)
            for figure, key in (
                ("trained", "s"),
                ("trainee_records", "s"),
                ("female", "female"),
                ("district_primary", "district_primary"),
            ):
                put(figure, [(row["pid"], row[key])])
        for row in qs.values(y=ExtractYear("activity__end_date")).annotate(s=Sum("extra")):
            extra_by_year[row["y"]] += float(row["s"] or 0)

    # the unique number trained by dimension: named people counted once per group, plus the counted extras of the
    # group's partnerships (each partnership once per group)
    by: dict[str, dict[Any, Any]] = {}
    groups = {
        # order_by(): a model's default ordering would otherwise enter the DISTINCT
        "country": PartnershipMember.objects.order_by()
        .values_list("partnership_id", "institution__country_id")
        .distinct(),
        "specialty": Partnership.specialties.through.objects.values_list("partnership_id", "specialty_id"),
        "funder": Partnership.funding_schemes.through.objects.order_by()
        .values_list("partnership_id", "fundingscheme__name")
        .distinct(),
    }
    paths = {
        "country": "activity__partnership__members__institution__country_id",
        "specialty": "activity__partnership__specialties",
        "funder": "activity__partnership__funding_schemes__name",
    }
    for dimension, pairs in groups.items():
        counts: dict[Any, float] = defaultdict(float)
        for row in named.values(k=F(paths[dimension])).annotate(n=Count("person_id", distinct=True)):
            if row["k"] is not None:
                counts[row["k"]] += row["n"]
        for pid, key in pairs:
            if extra_by_partnership.get(pid):
                counts[key] += extra_by_partnership[pid]
        by[dimension] = counts
    by["year"] = defaultdict(float, extra_by_year)
    for row in named.values(k=ExtractYear("activity__end_date")).annotate(n=Count("person_id", distinct=True)):
        by["year"][row["k"]] += row["n"]
    by["typology"] = defaultdict(float)
    for row in named.values(k=Coalesce("activity__partnership__intervention", Value(""))).annotate(
        n=Count("person_id", distinct=True)
    ):
        by["typology"][row["k"]] += row["n"]
    for pid, extra in extra_by_partnership.items():
        if extra:
            by["typology"][interventions.get(pid) or ""] += extra
    by = {d: {k: v for k, v in counts.items() if v} for d, counts in by.items()}  # groups with somebody trained
    total = (named.aggregate(n=Count("person_id", distinct=True))["n"] or 0) + sum(extra_by_partnership.values())

    # activities, their hours, those in Safeguards-List countries, and the main activity type
    per_activity = Activity.objects.values("partnership_id").annotate(
        n=Count("pk"), h=Sum("hours"), ssl=Count("pk", filter=Q(venue__country__ssl2023=True))
    )
    for row in per_activity:
        put("activities", [(row["partnership_id"], row["n"])])
        put("training_hours", [(row["partnership_id"], row["h"])])
        put("activities_ssl", [(row["partnership_id"], row["ssl"])])
    kinds = Activity.objects.values_list("partnership_id", "kind").annotate(n=Count("pk"))
    for pid, kind, _n in sorted(kinds, key=lambda r: (r[0], -r[2], r[1])):
        if pid in table and table[pid]["main_activity"] is None:
            table[pid]["main_activity"] = kind
    put(
        "practice_changed",
        Outcome.objects.filter(level=3, practice_changed=True)
        .values("activity__partnership_id")
        .annotate(n=Count("person_id", distinct=True))
        .values_list("activity__partnership_id", "n"),
    )

    # money: aggregated per partnership, year and currency, then converted with the (small) rate table
    to_reporting = _Rates(CurrencyRate.objects.values_list("currency", "year", "rate"))

    def convert(amount: Any, code: str, year: int) -> float | None:
        if code == currency:
            return float(amount)
        rate = to_reporting.at(code, year)
        return None if rate is None else float(amount) * float(rate)

    trend: dict[Any, dict[str, Any]] = defaultdict(dict)
    spent = CashCost.objects.values_list("partnership_id", ExtractYear("spent_on"), "currency").annotate(
        s=Sum("amount"), n=Count("pk")
    )
    for pid, year, code, amount, n in spent:
        value = convert(amount, code, year)
        trend[year]["cash"] = trend[year].get("cash", 0.0) + (value or 0.0)
        put("unconverted" if value is None else "cash", [(pid, n if value is None else value)])
    received = InKindContribution.objects.values_list("partnership_id", ExtractYear("received_on"), "currency")
    for pid, year, code, value in received.annotate(s=Sum("value")):
        put("in_kind", [(pid, convert(value, code, year))])

    # volunteer time: days per partnership, year, grade and cadre, at the day rate of the grade, else the cadre
    grades = _Rates(
        (
            (g.strip().lower(), y, (r, c))
            for g, y, r, c in DayRate.objects.exclude(grade="")
            .exclude(grade=None)
            .values_list("grade", "year", "day_rate", "currency")
        ),
        first=True,
    )
    cadres = _Rates(
        (
            (c, y, (r, cur))
            for c, y, r, cur in DayRate.objects.filter(Q(grade="") | Q(grade=None), cadre_id__isnull=False).values_list(
                "cadre_id", "year", "day_rate", "currency"
            )
        ),
        first=True,
    )
    stays = Stay.objects.values_list(
        "partnership_id",
        ExtractYear("start_date"),
        Lower(Trim(Coalesce("person__grade", Value("")))),
        "person__cadre_id",
    ).annotate(
        physical=Sum("duration_days", filter=Q(mode="physical")),
        virtual=Sum("virtual_hours", filter=~Q(mode="physical")),
        has_physical=Count("duration_days", filter=Q(mode="physical")),
    )
    for pid, year, grade, cadre, physical_days, virtual_hours, has_physical in stays:
        if has_physical:
            put("volunteer_days", [(pid, physical_days)])
            trend[year]["volunteer_days"] = trend[year].get("volunteer_days", 0) + physical_days
        rate = grades.at(grade, year) or cadres.at(cadre, year)
        if rate is not None and rate[0] is not None:
            per_day = convert(rate[0], rate[1], year)
            if per_day is not None:
                days = float(physical_days or 0) + float(virtual_hours or 0) / HOURS_PER_DAY
                put("in_kind", [(pid, days * per_day)])
    for y, v in by["year"].items():
        trend[y]["trained"] = v
    return _core(table, total, by, trend)


# --- floor --------------------------------------------------------------------------------------------------------


def floor_core(snap: Any) -> Core:
    """The engine's own queries over a snapshot whose tables are already in memory."""
    from healthlinks.analytics.impact import collective

    ids = [int(i) for i in snap.cursor().execute("SELECT id FROM partnerships").fetchnumpy()["id"]]
    return engine_core(collective(snap, ids, None, None))


def differences(a: Core, b: Core, rel: float = 1e-9) -> list[str]:
    """Where two results disagree (empty when they give the same numbers, to `rel` for amounts summed in
    another order)."""

    def same(x: Any, y: Any) -> bool:
        if isinstance(x, int | float) and isinstance(y, int | float):
            return math.isclose(x, y, rel_tol=rel, abs_tol=1e-6)
        return bool(x == y)

    out = []
    if a["trained_total"] != b["trained_total"]:
        out.append(f"trained_total {a['trained_total']} != {b['trained_total']}")
    for pid in sorted(set(a["partnerships"]) | set(b["partnerships"])):
        ra, rb = a["partnerships"].get(pid) or {}, b["partnerships"].get(pid) or {}
        wrong = [k for k in FIGURES if not same(ra.get(k), rb.get(k))]
        if wrong:
            out.append(f"partnership {pid}: " + ", ".join(f"{k} {ra.get(k)} != {rb.get(k)}" for k in wrong))
    for dimension in DIMENSIONS:
        if a["by"][dimension] != b["by"][dimension]:
            out.append(f"by {dimension}: {a['by'][dimension]} != {b['by'][dimension]}")
    for y in sorted(set(a["trend"]) | set(b["trend"])):
        ta, tb = a["trend"].get(y) or {}, b["trend"].get(y) or {}
        if set(ta) != set(tb) or any(not same(ta[k], tb[k]) for k in ta):
            out.append(f"trend {y}: {ta} != {tb}")
    return out
