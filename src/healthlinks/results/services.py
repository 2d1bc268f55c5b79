"""Writes to the results framework and the partnership's costs (cash and in kind)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks import bulk, changes
from healthlinks.accounts.models import User
from healthlinks.activities.models import Activity
from healthlinks.records import RowInvalid, record_delete, record_save
from healthlinks.registry.models import Partnership
from healthlinks.results.library import LIBRARY
from healthlinks.results.models import (
    CashCost,
    ComparatorProgramme,
    CurrencyRate,
    DayRate,
    Indicator,
    IndicatorDisaggregation,
    IndicatorPeriod,
    InKindContribution,
    Measure,
    Result,
)


@transaction.atomic
def indicator_add(
    *,
    by: User | None,
    partnership: Partnership,
    result_level: int,
    result_title: str,
    start: date,
    end: date,
    library_code: str = "",
    title: str = "",
    measure: int = Measure.UNIT,
    target: Decimal | None = None,
    actual: Decimal | None = None,
    baseline: Decimal | None = None,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    disaggregate: bool = False,
    targets_by: dict[tuple[str, str], Decimal] | None = None,
) -> IndicatorPeriod:
    """Add an indicator with its first period under a result (created if the partnership lacks it)."""
    result = Result.objects.filter(partnership=partnership, level=result_level, title=result_title).first()
    if result is None:
        result = Result(partnership=partnership, level=result_level, title=result_title)
        result.full_clean()
        record_save(result, by=by, validate=False)
    item = LIBRARY.get(library_code)
    indicator = Indicator(
        result=result,
        library_code=library_code,
        title=title or (str(item.name) if item else ""),
        measure=Measure.PERCENTAGE if item and item.measure == "percentage" else measure,
        unit=str(item.unit) if item else "",
        baseline=baseline,
        disaggregate_by_sex_and_cadre=disaggregate or bool(targets_by),
    )
    indicator.full_clean()
    record_save(indicator, by=by, validate=False)
    period = IndicatorPeriod(
        indicator=indicator,
        start=start,
        end=end,
        target=target,
        actual=actual,
        numerator=numerator,
        denominator=denominator,
    )
    period.full_clean()
    record_save(period, by=by, validate=False)
    for (dimension, category), value in (targets_by or {}).items():
        disaggregation_set(by=by, period=period, dimension=dimension, category=category, target=value)
    return period


INDICATOR_FIELDS = {"title", "unit", "baseline", "baseline_year", "disaggregate_by_sex_and_cadre"}


@transaction.atomic
def indicator_update(*, by: User | None, indicator: Indicator, **fields: Any) -> Indicator:
    """Correct an indicator's wording, unit and baseline (a library indicator keeps its code and measure)."""
    unknown = set(fields) - INDICATOR_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(indicator, name, value)
    return record_save(indicator, by=by)


@transaction.atomic
def period_save(
    *,
    by: User | None,
    indicator: Indicator,
    period: IndicatorPeriod | None = None,
    targets_by: dict[tuple[str, str], Decimal] | None = None,
    **fields: Any,
) -> IndicatorPeriod:
    """Add a period to an indicator (a new year's target) or correct one: dates, target, and for the partnership's
    own indicators the actual or numerator and denominator; `targets_by` sets the targets by sex or cadre."""
    period = period or IndicatorPeriod(indicator=indicator)
    for name, value in fields.items():
        setattr(period, name, value)
    if indicator.periods.exclude(pk=period.pk).filter(start__lte=period.end, end__gte=period.start).exists():
        raise ValidationError({"start": _("this period overlaps another period of the indicator")})
    record_save(period, by=by)
    for (dimension, category), value in (targets_by or {}).items():
        disaggregation_set(by=by, period=period, dimension=dimension, category=category, target=value)
    return period


@transaction.atomic
def period_delete(*, by: User | None, period: IndicatorPeriod) -> None:
    for row in period.disaggregations.all():
        record_delete(row, by=by)
    record_delete(period, by=by)


@transaction.atomic
def indicator_delete(*, by: User | None, indicator: Indicator) -> None:
    """Delete an indicator with its periods and targets (history keeps them); a result left without indicators
    goes too."""
    result = indicator.result
    for period in indicator.periods.all():
        period_delete(by=by, period=period)
    record_delete(indicator, by=by)
    if not result.indicators.exists():
        record_delete(result, by=by)


@transaction.atomic
def disaggregation_set(
    *,
    by: User | None,
    period: IndicatorPeriod,
    dimension: str,
    category: str,
    target: Decimal | None = None,
    actual: Decimal | None = None,
) -> IndicatorDisaggregation:
    """The target (and, for own indicators, the actual) of one sex or cadre category in a period."""
    row = IndicatorDisaggregation.objects.filter(
        period=period, dimension=dimension, category=category
    ).first() or IndicatorDisaggregation(period=period, dimension=dimension, category=category)
    row.target, row.actual = target, actual
    row.full_clean(validate_unique=False)
    record_save(row, by=by, validate=False)
    return row


@transaction.atomic
def rate_save(*, by: User | None, rate: CurrencyRate | DayRate) -> CurrencyRate | DayRate:
    """Save a row of the currency or day-rate table (hub admins), validated, with history."""
    rate.full_clean()
    record_save(rate, by=by, validate=False)
    return rate


@transaction.atomic
def rate_delete(*, by: User | None, rate: CurrencyRate | DayRate) -> None:
    record_delete(rate, by=by)


@transaction.atomic
def costs_link(*, by: User | None, activity_id: int, cost_ids: Sequence[int]) -> int:
    """Charge costs back to an activity (undoing an activity's deletion, which left them unlinked)."""
    costs = list(CashCost.objects.filter(pk__in=cost_ids, activity__isnull=True))
    for cost in costs:
        cost.activity_id = activity_id
        record_save(cost, by=by, validate=False, update_fields=["activity"])
    return len(costs)


def _cost_normalised(cost: CashCost) -> None:
    if isinstance(cost.currency, str):
        cost.currency = cost.currency.strip().upper()
    if not cost.external_id:
        cost.external_id = None  # unique when given; many costs have none


@transaction.atomic
def cost_save(*, by: User | None, cost: CashCost | None = None, **fields: Any) -> CashCost:
    """Record or change a cash cost; an activity it is charged to must be the partnership's own."""
    cost = cost or CashCost()
    for name, value in fields.items():
        setattr(cost, name, value)
    _cost_normalised(cost)
    activity = cost.activity if cost.activity_id else None
    if activity is not None and cost.partnership_id and activity.partnership_id != cost.partnership_id:
        raise ValidationError({"activity": _("this activity belongs to another partnership")})
    return record_save(cost, by=by)


@transaction.atomic
def costs_save_many(*, by: User | None, costs: Sequence[CashCost]) -> tuple[list[CashCost], list[CashCost]]:
    """Record (no id) or change (an id) many cash costs as `cost_save` does one: the same validation, checked in
    bulk (unique external ids, an activity charged must be the partnership's own), a history row each with the
    author, in batches that send no model signals (the service says what changed). A refused cost raises
    `RowInvalid` with its index; nothing is written. Returns (created, updated)."""
    for cost in costs:
        _cost_normalised(cost)
    bulk.validate(costs)
    charged = {c.activity_id for c in costs if c.activity_id}
    partnership_of: dict[int, int] = {}
    ordered = sorted(charged)
    for start in range(0, len(ordered), 500):
        partnership_of.update(
            Activity.objects.filter(pk__in=ordered[start : start + 500]).values_list("pk", "partnership_id")
        )
    for index, cost in enumerate(costs):
        if cost.activity_id and cost.partnership_id and partnership_of[cost.activity_id] != cost.partnership_id:
            message = _("this activity belongs to another partnership")
            raise RowInvalid(index, ValidationError({"activity": message}))
    created = [c for c in costs if not c.pk]
    updated = [c for c in costs if c.pk]
    bulk.create(created, by=by)
    bulk.update(updated, [f.name for f in CashCost._meta.concrete_fields if not f.primary_key], by=by)
    changes.changed([CashCost])
    return created, updated


@transaction.atomic
def in_kind_save(*, by: User | None, gift: InKindContribution | None = None, **fields: Any) -> InKindContribution:
    """Record or change an in-kind contribution (donated equipment and the like), with how it was valued."""
    gift = gift or InKindContribution()
    for name, value in fields.items():
        setattr(gift, name, value)
    if isinstance(gift.currency, str):
        gift.currency = gift.currency.strip().upper()
    return record_save(gift, by=by)


@transaction.atomic
def cost_delete(*, by: User | None, record: CashCost | InKindContribution) -> None:
    record_delete(record, by=by)


@transaction.atomic
def comparator_save(
    *, by: User | None, comparator: ComparatorProgramme | None = None, **fields: Any
) -> ComparatorProgramme:
    """Record or correct a comparator programme (hub admins): a training programme that is not a partnership, with
    its costs and outcomes, validated (followed up <= trained, changed <= followed up, economic >= cash)."""
    comparator = comparator or ComparatorProgramme()
    for name, value in fields.items():
        setattr(comparator, name, value)
    if isinstance(comparator.currency, str):
        comparator.currency = comparator.currency.strip().upper()
    return record_save(comparator, by=by)


@transaction.atomic
def comparator_delete(*, by: User | None, comparator: ComparatorProgramme) -> None:
    record_delete(comparator, by=by)
