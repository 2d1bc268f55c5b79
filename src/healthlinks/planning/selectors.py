"""Plans as users may read them, and each plan as the simulator takes it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from healthlinks.planning.models import Plan, PlanLine
from healthlinks.planning.simulate import Line, PlanInput
from healthlinks.registry.models import Partnership, PartnershipAccess
from healthlinks.registry.selectors import Access, AnyUser, is_hub_admin, partnership_access


def plans_visible_to(user: AnyUser, *, partnership: Partnership) -> QuerySet[Plan]:
    """A partnership's plans, for its members, coordinators and hub admins."""
    if partnership_access(user, partnership) < Access.MEMBER:
        return Plan.objects.none()
    return Plan.objects.filter(partnership=partnership).prefetch_related("lines__cadre")


def plans_readable_by(user: AnyUser) -> QuerySet[Plan]:
    """Every plan the user may read: those of the partnerships they are a member or coordinator of (hub admins:
    all), as `plans_visible_to` for one partnership."""
    partnerships = Partnership.objects.filter(deleted_at__isnull=True)
    if not is_hub_admin(user):
        if not user.is_authenticated:
            return Plan.objects.none()
        partnerships = partnerships.filter(
            pk__in=PartnershipAccess.objects.filter(user_id=user.pk).values("partnership_id")
        )
    return Plan.objects.filter(partnership__in=partnerships).prefetch_related("lines__cadre")


class DayRates:
    """The day-rate table as the planner reads it, read once: the latest year's rate of each cadre and the median of
    the latest year's rates, in the reporting currency (a rate in a currency without a conversion is left out)."""

    def __init__(self) -> None:
        from healthlinks.results.models import CurrencyRate, DayRate

        currency = str(settings.HEALTHLINKS_REPORTING_CURRENCY)
        conversions: dict[str, Decimal] = {}
        for conversion in CurrencyRate.objects.order_by("currency", "-year"):
            conversions.setdefault(conversion.currency, conversion.rate)
        latest_year = DayRate.objects.order_by("-year").values_list("year", flat=True).first()
        self.by_cadre: dict[str, float | None] = {}
        latest: list[Decimal] = []
        for rate in DayRate.objects.order_by("-year", "pk"):
            value: Decimal | None = rate.day_rate
            if rate.currency != currency:
                value = None if rate.currency not in conversions else rate.day_rate * conversions[rate.currency]
            if rate.cadre_id is not None and rate.cadre_id not in self.by_cadre:
                self.by_cadre[rate.cadre_id] = None if value is None else float(value)
            if rate.year == latest_year and value is not None:
                latest.append(value)
        latest.sort()
        self.median = float(latest[len(latest) // 2]) if latest else 0.0

    def of(self, line: PlanLine) -> tuple[float, bool]:
        """The line's value of a volunteer day, and whether it came from the table (the latest year's rate for the
        cadre, else the median of the latest year's rates)."""
        if line.day_rate is not None:
            return float(line.day_rate), False
        if line.cadre_id is not None and line.cadre_id in self.by_cadre:
            found = self.by_cadre[line.cadre_id]
            return (0.0 if found is None else found), True
        return self.median, True


def day_rate_of(line: PlanLine, rates: DayRates | None = None) -> tuple[float, bool]:
    """The line's value of a volunteer day in the reporting currency, and whether it came from the day-rate table
    (the latest year's rate for the cadre, else the median of the latest year's rates)."""
    if line.day_rate is not None:
        return float(line.day_rate), False
    return (rates or DayRates()).of(line)


def plan_input(plan: Plan, rates: DayRates | None = None) -> PlanInput:
    """The plan as the simulator takes it (the day-rate table read once, or `rates` as read already)."""
    rates = rates or DayRates()
    lines = tuple(
        Line(
            mode=line.mode,
            per_year=line.per_year,
            days=line.days,
            volunteers=line.volunteers,
            training_of_trainers=line.training_of_trainers,
            cost_per_stay=float(line.cost_per_stay),
            day_rate=rates.of(line)[0],
            conditions=line.conditions(),
        )
        for line in plan.lines.all()
    )
    return PlanInput(
        name=plan.name, years=plan.years, lines=lines, budget=None if plan.budget is None else float(plan.budget)
    )


def plan_inputs(plans: list[Plan]) -> list[PlanInput]:
    """Plans as the simulator takes them, the day-rate table read once for all."""
    rates = DayRates()
    return [plan_input(plan, rates) for plan in plans]
