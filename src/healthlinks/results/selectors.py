"""Cost and summary figures, in the reporting currency, traceable to the records behind them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from healthlinks.activities.models import Activity
from healthlinks.activities.selectors import activities_in_period, health_workers_trained
from healthlinks.network.models import Mode, Stay
from healthlinks.registry.models import Partnership
from healthlinks.results.models import CashCost, ComparatorProgramme, CurrencyRate, DayRate, InKindContribution

HOURS_PER_DAY = Decimal("7.5")  # a virtual engagement's hours count as days of 7.5 hours


def reporting_currency() -> str:
    return str(settings.HEALTHLINKS_REPORTING_CURRENCY)


class Converter:
    """Converts amounts with the rate of their year (or the latest earlier year); remembers what it could not."""

    def __init__(self) -> None:
        self.rates: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
        for rate in CurrencyRate.objects.order_by("currency", "year"):
            self.rates[rate.currency].append((rate.year, rate.rate))
        self.missing: set[tuple[str, int]] = set()

    def __call__(self, amount: Decimal, currency: str, year: int) -> Decimal | None:
        if currency == reporting_currency():
            return amount
        candidates = [rate for y, rate in self.rates.get(currency, []) if y <= year]
        if not candidates:
            self.missing.add((currency, year))
            return None
        return amount * candidates[-1]


def _day_rates() -> tuple[dict[str, list[DayRate]], dict[str, list[DayRate]]]:
    by_grade: dict[str, list[DayRate]] = defaultdict(list)
    by_cadre: dict[str, list[DayRate]] = defaultdict(list)
    for rate in DayRate.objects.order_by("year"):
        if rate.grade:
            by_grade[rate.grade.strip().lower()].append(rate)
        elif rate.cadre_id:
            by_cadre[rate.cadre_id].append(rate)
    return by_grade, by_cadre


def _rate_for(rates: list[DayRate], year: int) -> DayRate | None:
    earlier = [r for r in rates if r.year <= year]
    return earlier[-1] if earlier else (rates[0] if rates else None)


def volunteer_time(stays: QuerySet[Stay], convert: Converter) -> dict[str, Any]:
    """Volunteer days (physical stays, plus virtual hours / 7.5) valued at the day rate of the volunteer's
    grade, else cadre, in the reporting currency."""
    by_grade, by_cadre = _day_rates()
    days = Decimal(0)
    value = Decimal(0)
    unvalued = Decimal(0)
    methods: set[str] = set()
    rows = stays.values("mode", "duration_days", "virtual_hours", "start_date", "person__grade", "person__cadre_id")
    for row in rows:
        stay_days = (
            Decimal(row["duration_days"])
            if row["mode"] == Mode.PHYSICAL
            else Decimal(row["virtual_hours"] or 0) / HOURS_PER_DAY
        )
        days += stay_days
        year = row["start_date"].year
        rate = _rate_for(by_grade.get((row["person__grade"] or "").strip().lower(), []), year) or _rate_for(
            by_cadre.get(row["person__cadre_id"] or "", []), year
        )
        converted = convert(stay_days * rate.day_rate, rate.currency, year) if rate else None
        if converted is None:
            unvalued += stay_days
            continue
        value += converted
        methods.add(rate.method)  # type: ignore[union-attr]
    return {"days": days, "value": value, "unvalued_days": unvalued, "methods": sorted(methods)}


def partnership_summary(partnership: Partnership, start: date | None = None, end: date | None = None) -> dict[str, Any]:
    """The figures a partnership shows its funder, for a period: trained, volunteer time, activities, costs."""
    activities = activities_in_period(Activity.objects.filter(partnership=partnership), start, end)
    trained = health_workers_trained(activities)
    stays = Stay.objects.filter(partnership=partnership)
    if start:
        stays = stays.filter(start_date__gte=start)
    if end:
        stays = stays.filter(start_date__lte=end)
    convert = Converter()
    time = volunteer_time(stays, convert)
    physical_days = sum(stays.filter(mode=Mode.PHYSICAL).values_list("duration_days", flat=True), 0)
    costs = CashCost.objects.filter(partnership=partnership)
    gifts = InKindContribution.objects.filter(partnership=partnership)
    if start:
        costs, gifts = costs.filter(spent_on__gte=start), gifts.filter(received_on__gte=start)
    if end:
        costs, gifts = costs.filter(spent_on__lte=end), gifts.filter(received_on__lte=end)
    cost_total = Decimal(0)
    for amount, currency, spent_on in costs.values_list("amount", "currency", "spent_on"):
        converted = convert(amount, currency, spent_on.year)
        cost_total += converted or 0
    in_kind = time["value"]
    for amount, currency, received_on in gifts.values_list("value", "currency", "received_on"):
        in_kind += convert(amount, currency, received_on.year) or 0
    return {
        "period": {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None},
        "health_workers_trained": trained["total"],
        "trainees_by_cadre": trained["by_cadre"],
        "trainees_by_sex": trained["by_sex"],
        "volunteer_days": physical_days,
        "activities": activities.count(),
        "reporting_currency": reporting_currency(),
        "cost_total": str(cost_total.quantize(Decimal("0.01"))),
        "in_kind_total": str(Decimal(in_kind).quantize(Decimal("0.01"))),
        "volunteer_time_value": str(time["value"].quantize(Decimal("0.01"))),
        "volunteer_time_methods": time["methods"],
        "unvalued_volunteer_days": str(time["unvalued_days"].quantize(Decimal("0.1"))),
        "missing_currency_rates": sorted(f"{c} {y}" for c, y in convert.missing),
    }


def _disaggregations(period: Any, measured: Any) -> list[dict[str, Any]]:
    """Targets typed per category beside the actuals (computed for library indicators, else typed)."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for d in period.disaggregations.all():
        rows[(d.dimension, d.category)] = {"dimension": d.dimension, "category": d.category, "target": d.target}
        rows[(d.dimension, d.category)]["actual"] = d.actual
    if measured is not None:
        for (dimension, category), row in rows.items():
            row["actual"] = measured.by.get(dimension, {}).get(category, Decimal(0))
        for dimension, values in measured.by.items():
            for category, value in values.items():
                rows.setdefault(
                    (dimension, category),
                    {"dimension": dimension, "category": category, "target": None, "actual": value},
                )
    for row in rows.values():
        row["progress"] = (
            float(row["actual"] / row["target"] * 100) if row["actual"] is not None and row["target"] else None
        )
    return [rows[key] for key in sorted(rows)]


def period_actual(partnership: Partnership, period: Any) -> dict[str, Any]:
    """A period's actual, numerator and denominator: computed for library indicators, else as typed."""
    from healthlinks.results.library import LIBRARY

    item = LIBRARY.get(period.indicator.library_code)
    measured = item.compute(partnership, period.start, period.end) if item and item.compute else None
    if measured is not None:
        actual, numerator, denominator = measured.value, measured.numerator, measured.denominator
    else:
        actual, numerator, denominator = period.actual, period.numerator, period.denominator
    return {
        "period": period,
        "actual": actual,
        "numerator": numerator,
        "denominator": denominator,
        "computed": measured is not None,
        "progress": float(actual / period.target * 100) if actual is not None and period.target else None,
        "disaggregations": _disaggregations(period, measured),
    }


def results_framework(partnership: Partnership) -> list[dict[str, Any]]:
    """Results → indicators → periods, each period with its actual (computed for library indicators,
    typed otherwise), numerator/denominator, progress against the target and the split by sex and cadre."""
    from healthlinks.results.library import LIBRARY
    from healthlinks.results.models import Result

    out = []
    results = Result.objects.filter(partnership=partnership).prefetch_related(
        "indicators__periods__disaggregations", "indicators__periods__indicator"
    )
    for result in results:
        indicators = []
        for indicator in result.indicators.all():
            periods = [period_actual(partnership, period) for period in indicator.periods.all()]
            indicators.append(
                {"indicator": indicator, "library": LIBRARY.get(indicator.library_code), "periods": periods}
            )
        out.append({"result": result, "indicators": indicators})
    return out


def costs_breakdown(partnership: Partnership) -> dict[str, Any]:
    """Cash costs by year and category, and in-kind value by year, in the reporting currency."""
    convert = Converter()
    cash: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for amount, currency, spent_on, category in CashCost.objects.filter(partnership=partnership).values_list(
        "amount", "currency", "spent_on", "category"
    ):
        value = convert(amount, currency, spent_on.year)
        if value is not None:
            cash[(spent_on.year, category)] += value
    in_kind: dict[int, Decimal] = defaultdict(Decimal)
    years = sorted({s.year for s in Stay.objects.filter(partnership=partnership).dates("start_date", "year")})
    for year in years:
        stays = Stay.objects.filter(partnership=partnership, start_date__year=year)
        in_kind[year] += volunteer_time(stays, convert)["value"]
    for value, currency, received_on in InKindContribution.objects.filter(partnership=partnership).values_list(
        "value", "currency", "received_on"
    ):
        in_kind[received_on.year] += convert(value, currency, received_on.year) or 0
    return {
        "currency": reporting_currency(),
        "cash": [{"year": y, "category": c, "amount": float(v)} for (y, c), v in sorted(cash.items())],
        "in_kind": [{"year": y, "amount": float(v)} for y, v in sorted(in_kind.items())],
        "missing_currency_rates": sorted(f"{c} {y}" for c, y in convert.missing),
    }


def comparators() -> list[dict[str, Any]]:
    """The comparator programmes with their costs in the reporting currency (the rate of their price year, else the
    latest earlier year; a cost without a rate is None and `unconverted` says so). Public: programme-level
    aggregates, no people."""
    convert = Converter()
    out = []
    for c in ComparatorProgramme.objects.order_by("name"):
        cash = convert(c.cash_cost, c.currency, c.year)
        economic = convert(c.economic_cost, c.currency, c.year) if c.economic_cost is not None else None
        out.append(
            {
                "id": c.pk,
                "name": c.name,
                "kind": c.kind,
                "country": c.country_id,
                "year": c.year,
                "currency": c.currency,
                "cash_cost": None if cash is None else float(cash),
                "economic_cost": None if economic is None else float(economic),
                "unconverted": cash is None,
                "trainees": c.trainees,
                "followed_up": c.followed_up,
                "practice_changed": c.practice_changed,
                "source": c.source,
            }
        )
    return out
