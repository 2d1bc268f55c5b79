"""Saving and deleting plans: validated, atomic, each with its author in the history."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks.planning.models import MAX_LINES, Plan, PlanLine
from healthlinks.records import RowInvalid, record_delete, record_save
from healthlinks.registry.models import Partnership


@transaction.atomic
def plan_save(
    *,
    by: Any,
    partnership: Partnership,
    name: str,
    years: int,
    lines: Sequence[dict[str, Any]],
    budget: Decimal | None = None,
    notes: str = "",
    plan: Plan | None = None,
) -> Plan:
    """Create a plan, or replace `plan`'s fields and lines. A line that does not validate refuses the whole plan:
    RowInvalid names the line (its index) and the fields."""
    if not lines:
        raise ValidationError({"lines": _("a plan needs at least one kind of stay")})
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": _("at most {count} kinds of stay in one plan").format(count=MAX_LINES)})
    plan = plan or Plan(partnership=partnership)
    plan.partnership, plan.name, plan.years, plan.budget, plan.notes = partnership, name, years, budget, notes
    if plan.pk is None:
        plan.created_by = by
    record_save(plan, by=by)
    for old in list(plan.lines.all()):
        record_delete(old, by=by)
    for index, fields in enumerate(lines):
        line = PlanLine(plan=plan, **fields)
        try:
            record_save(line, by=by)
        except ValidationError as error:
            raise RowInvalid(index, error) from None
    return plan


@transaction.atomic
def plan_delete(*, by: Any, plan: Plan) -> None:
    for line in list(plan.lines.all()):
        record_delete(line, by=by)
    record_delete(plan, by=by)
