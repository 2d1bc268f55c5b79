"""The programme's roll-up: every library indicator added up across the programme's partnerships, by period
(year or quarter) and by sex, cadre and country, read with querysets in a fixed number of queries.

Rules (docs/programmes.md):
- people are counted once across partnerships: a person trained (TRN-01), deployed (VOL-01) or reported as a
  cascade trainer (TRN-06) by two partnerships in a period counts once in that period; their sex and cadre are
  their own and their country is that of their first event in the period (the venue of the training, else their
  home institution; the host of the stay), so each disaggregation adds up to the total;
- trainees counted but not named are added as the library does (per activity and cell, less the named trainees
  of that cell): they cannot be told apart across activities, so they are summed;
- volunteer days (VOL-02) are summed;
- percentages (TRN-03, TRN-05) are pooled: numerators and denominators summed, then divided (per category too);
- indicators the library does not compute (SYS-01, PAT-01) sum the actuals the partnerships typed for periods
  lying within the programme's period (their typed splits by sex and cadre likewise)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from healthlinks.activities.models import AggregateTrainees, Assessment, CascadeReport, Outcome, Trainee
from healthlinks.network.models import Mode, Stay
from healthlinks.programmes.models import Programme, ProgrammeTarget, period_bounds
from healthlinks.programmes.selectors import programme_partnerships
from healthlinks.registry.selectors import AnyUser
from healthlinks.results.library import LIBRARY, MASTERY
from healthlinks.results.models import IndicatorDisaggregation, IndicatorPeriod

DIMENSIONS = ("sex", "cadre", "country")
NOT_RECORDED = "not_recorded"
GRANULARITIES = ("year", "quarter")


@dataclass(frozen=True)
class Period:
    code: str  # 2025 or 2025-Q2
    start: date  # calendar bounds (the data are also held to the programme's own period)
    end: date

    @property
    def dhis2(self) -> str:
        return self.code.replace("-", "")

    @property
    def iso(self) -> str:
        """ISO 8601 start/duration, as ADX writes periods."""
        return f"{self.start.isoformat()}/{'P3M' if '-Q' in self.code else 'P1Y'}"


@dataclass
class Row:
    code: str
    period: Period
    dimension: str  # "" for the total, else sex | cadre | country
    category: str
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    target: Decimal | None = None

    @property
    def achieved(self) -> float | None:
        if self.value is None or not self.target:
            return None
        return float(self.value / self.target * 100)


@dataclass
class RollUp:
    programme: Programme
    granularity: str
    periods: list[Period]
    partnership_ids: list[int]
    partnerships_total: int
    rows: list[Row] = field(default_factory=list)

    def totals(self) -> list[Row]:
        return [r for r in self.rows if not r.dimension]


def periods_of(programme: Programme, granularity: str) -> list[Period]:
    if granularity not in GRANULARITIES:
        raise ValueError(granularity)
    out = []
    for year in range(programme.period_start.year, programme.period_end.year + 1):
        codes = [str(year)] if granularity == "year" else [f"{year}-Q{q}" for q in range(1, 5)]
        for code in codes:
            start, end = period_bounds(code)
            if end >= programme.period_start and start <= programme.period_end:
                out.append(Period(code, start, end))
    return out


class _Bucket:
    """Which period a date falls in (None outside the programme's period)."""

    def __init__(self, programme: Programme, periods: list[Period]) -> None:
        self.first, self.last = programme.period_start, programme.period_end
        self.periods = periods

    def __call__(self, day: date) -> Period | None:
        if day < self.first or day > self.last:
            return None
        for period in self.periods:
            if period.start <= day <= period.end:
                return period
        return None


Cats = tuple[str, str, str]  # (sex, cadre, country)


def _cats(sex: Any, cadre: Any, country: Any) -> Cats:
    return (sex or NOT_RECORDED, str(cadre) if cadre else NOT_RECORDED, str(country) if country else NOT_RECORDED)


def _sum_rows(code: str, period: Period, items: Iterable[tuple[Cats, Decimal]]) -> list[Row]:
    total = Decimal(0)
    by: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for cats, weight in items:
        total += weight
        for dimension, category in zip(DIMENSIONS, cats, strict=True):
            by[(dimension, category)] += weight
    rows = [Row(code, period, "", "", total)]
    rows += [Row(code, period, d, c, v) for (d, c), v in sorted(by.items())]
    return rows


def _share_rows(code: str, period: Period, items: Iterable[tuple[bool, Cats]]) -> list[Row]:
    hits: dict[tuple[str, str], int] = defaultdict(int)
    tried: dict[tuple[str, str], int] = defaultdict(int)
    for ok, cats in items:
        keys = [("", ""), *zip(DIMENSIONS, cats, strict=True)]
        for key in keys:
            tried[key] += 1
            hits[key] += int(ok)
    if not tried:
        return [Row(code, period, "", "", None, Decimal(0), Decimal(0))]
    return [
        Row(code, period, d, c, Decimal(100 * hits[(d, c)]) / tried[(d, c)], Decimal(hits[(d, c)]), Decimal(n))
        for (d, c), n in sorted(tried.items())
    ]


class _People:
    """Unique people per period (the first event decides the country), plus counted-not-named trainees."""

    def __init__(self) -> None:
        self.people: dict[Period, dict[int, Cats]] = defaultdict(dict)
        self.counted: dict[Period, list[tuple[Cats, Decimal]]] = defaultdict(list)

    def add(self, period: Period, person_id: int, cats: Cats) -> None:
        self.people[period].setdefault(person_id, cats)

    def rows(self, code: str, periods: list[Period]) -> list[Row]:
        out = []
        for period in periods:
            items = [(cats, Decimal(1)) for cats in self.people[period].values()] + self.counted[period]
            out += _sum_rows(code, period, items)
        return out


def _trained(ids: list[int], bucket: _Bucket, periods: list[Period]) -> list[Row]:
    tally = _People()
    named_cells: dict[tuple[int, Any, str, str], int] = defaultdict(int)
    named = (
        Trainee.objects.filter(activity__partnership_id__in=ids, completed=True)
        .filter(activity__end_date__gte=bucket.first, activity__end_date__lte=bucket.last)
        .order_by("activity__end_date", "activity_id", "pk")
        .values_list(
            "activity_id",
            "activity__end_date",
            "person_id",
            "person__cadre_id",
            "person__sex",
            "facility_level",
            "activity__venue__country_id",
            "person__home_institution__country_id",
        )
    )
    for activity_id, end, person_id, cadre, sex, level, venue_country, home_country in named:
        period = bucket(end)
        if period is None:
            continue
        tally.add(period, person_id, _cats(sex, cadre, venue_country or home_country))
        named_cells[(activity_id, cadre, sex, level)] += 1
    cells = (
        AggregateTrainees.objects.filter(activity__partnership_id__in=ids)
        .filter(activity__end_date__gte=bucket.first, activity__end_date__lte=bucket.last)
        .values_list(
            "activity_id",
            "activity__end_date",
            "cadre_id",
            "sex",
            "facility_level",
            "count",
            "activity__venue__country_id",
        )
    )
    for activity_id, end, cadre, sex, level, count, country in cells:
        period = bucket(end)
        extra = max(count - named_cells.get((activity_id, cadre, sex, level), 0), 0)
        if period is not None and extra:
            tally.counted[period].append((_cats(sex, cadre, country), Decimal(extra)))
    return tally.rows("TRN-01", periods)


def _shares(
    code: str, rows: Iterable[tuple[date, bool, Any, Any, Any]], bucket: _Bucket, periods: list[Period]
) -> list[Row]:
    by_period: dict[Period, list[tuple[bool, Cats]]] = defaultdict(list)
    for day, ok, cadre, sex, country in rows:
        period = bucket(day)
        if period is not None:
            by_period[period].append((ok, _cats(sex, cadre, country)))
    out = []
    for period in periods:
        out += _share_rows(code, period, by_period[period])
    return out


def _mastery(ids: list[int], bucket: _Bucket, periods: list[Period]) -> list[Row]:
    rows = (
        Assessment.objects.filter(activity__partnership_id__in=ids)
        .filter(activity__end_date__gte=bucket.first, activity__end_date__lte=bucket.last)
        .values_list(
            "activity__end_date",
            "post_score",
            "max_score",
            "person__cadre_id",
            "person__sex",
            "activity__venue__country_id",
            "person__home_institution__country_id",
        )
    )
    items = [
        (end, post >= top * MASTERY, cadre, sex, venue or home) for end, post, top, cadre, sex, venue, home in rows
    ]
    return _shares("TRN-03", items, bucket, periods)


def _practice(ids: list[int], bucket: _Bucket, periods: list[Period]) -> list[Row]:
    rows = (
        Outcome.objects.filter(activity__partnership_id__in=ids, level=3, follow_up_months=6)
        .filter(activity__end_date__gte=bucket.first, activity__end_date__lte=bucket.last)
        .values_list(
            "activity__end_date",
            "practice_changed",
            "person__cadre_id",
            "person__sex",
            "activity__venue__country_id",
            "person__home_institution__country_id",
        )
    )
    items = [(end, bool(changed), cadre, sex, venue or home) for end, changed, cadre, sex, venue, home in rows]
    return _shares("TRN-05", items, bucket, periods)


def _cascade(ids: list[int], bucket: _Bucket, periods: list[Period]) -> list[Row]:
    tally = _People()
    rows = (
        CascadeReport.objects.filter(source_activity__partnership_id__in=ids)
        .filter(reported_on__gte=bucket.first, reported_on__lte=bucket.last)
        .order_by("reported_on", "pk")
        .values_list(
            "reported_on",
            "person_id",
            "person__cadre_id",
            "person__sex",
            "source_activity__venue__country_id",
            "person__home_institution__country_id",
        )
    )
    for day, person_id, cadre, sex, venue, home in rows:
        period = bucket(day)
        if period is not None:
            tally.add(period, person_id, _cats(sex, cadre, venue or home))
    return tally.rows("TRN-06", periods)


def _stays(ids: list[int], bucket: _Bucket) -> list[tuple[Period, int, str, int, Cats]]:
    rows = (
        Stay.objects.filter(partnership_id__in=ids, start_date__gte=bucket.first, start_date__lte=bucket.last)
        .order_by("start_date", "pk")
        .values_list(
            "start_date",
            "person_id",
            "mode",
            "duration_days",
            "person__cadre_id",
            "person__sex",
            "host_institution__country_id",
        )
    )
    out = []
    for day, person_id, mode, days, cadre, sex, country in rows:
        period = bucket(day)
        if period is not None:
            out.append((period, person_id, mode, days, _cats(sex, cadre, country)))
    return out


def _volunteers(stays: list[tuple[Period, int, str, int, Cats]], periods: list[Period]) -> list[Row]:
    tally = _People()
    for period, person_id, _mode, _days, cats in stays:
        tally.add(period, person_id, cats)
    return tally.rows("VOL-01", periods)


def _volunteer_days(stays: list[tuple[Period, int, str, int, Cats]], periods: list[Period]) -> list[Row]:
    by_period: dict[Period, list[tuple[Cats, Decimal]]] = defaultdict(list)
    for period, _person, mode, days, cats in stays:
        if mode == Mode.PHYSICAL:
            by_period[period].append((cats, Decimal(days)))
    out = []
    for period in periods:
        out += _sum_rows("VOL-02", period, by_period[period])
    return out


def _typed(code: str, ids: list[int], periods: list[Period], programme: Programme) -> list[Row]:
    """Actuals typed by the partnerships, for their periods lying within one of the programme's periods."""
    typed = IndicatorPeriod.objects.filter(
        indicator__library_code=code,
        indicator__result__partnership_id__in=ids,
        start__gte=programme.period_start,
        end__lte=programme.period_end,
    )
    totals: dict[Period, Decimal] = defaultdict(Decimal)
    where: dict[int, Period] = {}
    for pk, start, end, actual in typed.values_list("pk", "start", "end", "actual"):
        period = next((p for p in periods if p.start <= start and end <= p.end), None)
        if period is None:
            continue
        where[pk] = period
        totals[period] += actual or 0
    split: dict[tuple[Period, str, str], Decimal] = defaultdict(Decimal)
    for period_id, dimension, category, actual in IndicatorDisaggregation.objects.filter(
        period_id__in=list(where), actual__isnull=False
    ).values_list("period_id", "dimension", "category", "actual"):
        split[(where[period_id], dimension, category)] += actual or 0
    out = []
    for period in periods:
        out.append(Row(code, period, "", "", totals[period]))
        out += [
            Row(code, p, d, c, v) for (p, d, c), v in sorted(split.items(), key=lambda kv: kv[0][1:]) if p == period
        ]
    return out


ROLLED_UP = {"TRN-01", "TRN-03", "TRN-05", "TRN-06", "VOL-01", "VOL-02"}


def _summed(code: str, ids: list[int], periods: list[Period], programme: Programme) -> list[Row]:
    """A library indicator this module has no rule for yet: the partnerships' own values added up (people are
    not de-duplicated across partnerships; no country split)."""
    from healthlinks.registry.models import Partnership

    compute = LIBRARY[code].compute
    assert compute is not None
    out = []
    for period in periods:
        start, end = max(period.start, programme.period_start), min(period.end, programme.period_end)
        total = Decimal(0)
        by: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for partnership in Partnership.objects.filter(pk__in=ids):
            measured = compute(partnership, start, end)
            total += measured.value or 0
            for dimension, values in measured.by.items():
                for category, value in values.items():
                    by[(dimension, category)] += value
        out.append(Row(code, period, "", "", total))
        out += [Row(code, period, d, c, v) for (d, c), v in sorted(by.items())]
    return out


def _targets(rollup: RollUp) -> None:
    """Put each target beside its row (rows are added for targets of categories with nothing recorded). In a
    yearly roll-up a year with no target of its own takes the sum of its quarters' targets (counts only)."""
    targets: dict[tuple[str, str, str, str], Decimal] = {}
    quarters: dict[tuple[str, str, str, str], Decimal] = defaultdict(Decimal)
    for t in ProgrammeTarget.objects.filter(programme=rollup.programme):
        dimension, category = t.dimension
        targets[(t.library_code, t.period, dimension, category)] = t.target
        if "-Q" in t.period and LIBRARY[t.library_code].measure == "unit":
            quarters[(t.library_code, t.period[:4], dimension, category)] += t.target
    if rollup.granularity == "year":
        for key, value in quarters.items():
            targets.setdefault(key, value)
    index = {(r.code, r.period.code, r.dimension, r.category): r for r in rollup.rows}
    by_code = {p.code: p for p in rollup.periods}
    for (code, period_code, dimension, category), value in targets.items():
        if period_code not in by_code:
            continue
        row = index.get((code, period_code, dimension, category))
        if row is None:
            measure = LIBRARY[code].measure
            row = Row(code, by_code[period_code], dimension, category, None if measure == "percentage" else Decimal(0))
            rollup.rows.append(row)
        row.target = value
    order = {code: i for i, code in enumerate(LIBRARY)}
    dims = {"": 0, "sex": 1, "cadre": 2, "country": 3}
    rollup.rows.sort(key=lambda r: (order[r.code], r.period.start, dims[r.dimension], r.category))


def programme_rollup(programme: Programme, *, user: AnyUser | None = None, granularity: str = "year") -> RollUp:
    """The roll-up of every library indicator over the programme's partnerships the user may see (all of them
    when user is None: the command line and the hub admins)."""
    periods = periods_of(programme, granularity)
    ids = list(programme_partnerships(programme, user).values_list("pk", flat=True))
    total = programme_partnerships(programme).count()
    rollup = RollUp(programme, granularity, periods, ids, total)
    bucket = _Bucket(programme, periods)
    stays = _stays(ids, bucket)
    rows = _trained(ids, bucket, periods)
    rows += _mastery(ids, bucket, periods)
    rows += _practice(ids, bucket, periods)
    rows += _cascade(ids, bucket, periods)
    rows += _volunteers(stays, periods)
    rows += _volunteer_days(stays, periods)
    for code, item in LIBRARY.items():
        if item.compute is None:
            rows += _typed(code, ids, periods, programme)
        elif code not in ROLLED_UP:
            rows += _summed(code, ids, periods, programme)
    rollup.rows = rows
    _targets(rollup)
    return rollup
