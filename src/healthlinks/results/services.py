"""Writes to the results framework."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from healthlinks.accounts.models import User
from healthlinks.registry.models import Partnership
from healthlinks.results.library import LIBRARY
from healthlinks.results.models import Indicator, IndicatorPeriod, Measure, Result


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
) -> IndicatorPeriod:
    """Add an indicator with its first period under a result (created if the partnership lacks it)."""
    result = Result.objects.filter(partnership=partnership, level=result_level, title=result_title).first()
    if result is None:
        result = Result(partnership=partnership, level=result_level, title=result_title)
        result.full_clean()
        result._history_user = by  # type: ignore[attr-defined]
        result.save()
    item = LIBRARY.get(library_code)
    indicator = Indicator(
        result=result,
        library_code=library_code,
        title=title or (item.name if item else ""),
        measure=Measure.PERCENTAGE if item and item.measure == "percentage" else measure,
        unit=item.unit if item else "",
        baseline=baseline,
    )
    indicator.full_clean()
    indicator._history_user = by  # type: ignore[attr-defined]
    indicator.save()
    period = IndicatorPeriod(indicator=indicator, start=start, end=end, target=target, actual=actual)
    period.full_clean()
    period._history_user = by  # type: ignore[attr-defined]
    period.save()
    return period
