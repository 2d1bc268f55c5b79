"""`?ordering=` for every list: one or more of the view's `ordering_fields`, comma-separated, `-` for descending.
The schema's pattern lists them and the server refuses any other (healthlinks.api.query); the primary key breaks
ties so that pages never overlap."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


class Ordering(OrderingFilter):
    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[str] | None:
        params = request.query_params.get(self.ordering_param)
        if not params:
            return None  # the view's own order
        fields = self.remove_invalid_fields(queryset, [p.strip() for p in params.split(",")], view, request)
        return [*fields, "pk"] if fields else None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = list(getattr(view, "ordering_fields", None) or [])
        one = "-?(" + "|".join(re.escape(f) for f in fields) + ")"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "order by any of " + ", ".join(fields) + "; comma-separated for more than one, "
                "- for descending",
                "schema": {"type": "string", "pattern": f"^{one}(,{one})*$"},
            }
        ]


# Query parameter schemas the views share (the server enforces them: healthlinks.api.query).
ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}  # a database id (64-bit)
YEAR = {"type": "integer", "minimum": 1900, "maximum": 2100}


def int_param(request: Request, name: str) -> int | None:
    """A whole-number query parameter: None when absent or blank, 400 naming it when it is not a number."""
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ValidationError({name: f"{raw!r} is not a whole number"})
    return int(raw)


def is_id(value: str) -> bool:
    """An id (ASCII digits) rather than an external id."""
    return value.isascii() and value.isdigit()
