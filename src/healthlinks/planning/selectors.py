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


def day_rate_of(line: PlanLine) -> tuple[float, bool]:
    """The line's value of a volunteer day in the reporting currency, and whether it came from the day-rate table
    (the latest year's rate for the cadre, else the median of the latest year's rates)."""
    from healthlinks.results.models import CurrencyRate, DayRate

    if line.day_rate is not None:
        return float(line.day_rate), False
    currency = str(settings.HEALTHLINKS_REPORTING_CURRENCY)
    rates = DayRate.objects.all()
    chosen = rates.filter(cadre=line.cadre_id).order_by("-year").first() if line.cadre_id else None
    values: list[Decimal] = []
    if chosen is not None:
        found = [chosen]
    else:
        latest = rates.order_by("-year").values_list("year", flat=True).first()
        found = list(rates.filter(year=latest)) if latest is not None else []
    for rate in found:
        value = rate.day_rate
        if rate.currency != currency:
            conversion = CurrencyRate.objects.filter(currency=rate.currency).order_by("-year").first()
            if conversion is None:
                continue
            value = value * conversion.rate
        values.append(value)
    if not values:
        return 0.0, True
    values.sort()
    return float(values[len(values) // 2]), True


def plan_input(plan: Plan) -> PlanInput:
    lines = tuple(
        Line(
            mode=line.mode,
            per_year=line.per_year,
            days=line.days,
            volunteers=line.volunteers,
            training_of_trainers=line.training_of_trainers,
            cost_per_stay=float(line.cost_per_stay),
            day_rate=day_rate_of(line)[0],
        )
        for line in plan.lines.all()
    )
    return PlanInput(
        name=plan.name, years=plan.years, lines=lines, budget=None if plan.budget is None else float(plan.budget)
    )
