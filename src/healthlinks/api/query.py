"""The server holds query parameters to the published schema: each parameter an operation declares is checked
against its declared type, format, enum and range before the view runs, so the API refuses (400, naming the
parameter) exactly what its schema says is invalid, and nothing it says is valid. Parameters an operation does not
declare are left alone. The schema is generated once per process, at the first API request."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import cache
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

Spec = dict[str, Any]
INTEGER = re.compile(r"-?[0-9]+")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@cache
def _operations() -> list[tuple[re.Pattern[str], dict[str, dict[str, Spec]]]]:
    """(path pattern, {method: {parameter: schema}}) for every path of the schema that declares query
    parameters."""
    from drf_spectacular.generators import SchemaGenerator

    schema = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    operations = []
    for path, methods in schema["paths"].items():
        by_method = {
            method.upper(): {p["name"]: p.get("schema", {}) for p in op.get("parameters", []) if p.get("in") == "query"}
            for method, op in methods.items()
            if isinstance(op, dict)
        }
        if any(by_method.values()):
            pattern = re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$")
            operations.append((pattern, by_method))
    return operations


def declared(path: str, method: str) -> dict[str, Spec]:
    for pattern, by_method in _operations():
        if pattern.match(path):
            return by_method.get("GET" if method == "HEAD" else method, {})
    return {}


def problem(raw: str, spec: Spec) -> str | None:
    """What is wrong with one value of a parameter under its schema, or None."""
    kind = spec.get("type", "string")
    value: Any = raw
    if kind == "integer":
        if not (raw.isascii() and INTEGER.fullmatch(raw)):
            return _("%(value)r is not a whole number") % {"value": raw}
        value = int(raw)
    elif kind == "number":
        if not (raw.isascii() and NUMBER.fullmatch(raw)):
            return _("%(value)r is not a number") % {"value": raw}
        value = float(raw)
    elif kind == "boolean":
        if raw not in ("true", "false"):
            return _("%(value)r is not true or false") % {"value": raw}
        return None
    elif spec.get("format") in ("date", "date-time"):
        try:
            (date.fromisoformat if spec["format"] == "date" else datetime.fromisoformat)(raw)
        except ValueError:
            return _("%(value)r is not a date (YYYY-MM-DD)") % {"value": raw}
    if "enum" in spec and value not in spec["enum"]:
        return _("%(value)r is not one of: %(choices)s") % {"value": raw, "choices": ", ".join(map(str, spec["enum"]))}
    if "minimum" in spec and value < spec["minimum"]:
        return _("%(value)s is less than %(minimum)s") % {"value": raw, "minimum": spec["minimum"]}
    if "maximum" in spec and value > spec["maximum"]:
        return _("%(value)s is more than %(maximum)s") % {"value": raw, "maximum": spec["maximum"]}
    if "pattern" in spec and not re.search(spec["pattern"], raw):
        return _("%(value)r is not in the form the schema gives") % {"value": raw}
    if "maxLength" in spec and len(raw) > spec["maxLength"]:
        return _("longer than %(n)s characters") % {"n": spec["maxLength"]}
    return None


def validate_query(request: Request) -> None:
    """400 naming each declared parameter whose value the schema does not allow (or that is given twice)."""
    params = declared(request.path, request.method or "GET")
    errors: dict[str, str] = {}
    for name, spec in params.items():
        values = request.query_params.getlist(name)
        if not values:
            continue
        if spec.get("type") == "array":
            items = spec.get("items", {})
            found = next((p for value in values if (p := problem(value, items))), None)
        elif len(values) > 1:
            found = _("give it once")
        else:
            found = problem(values[0], spec)
        if found:
            errors[name] = found
    if errors:
        raise ValidationError(errors)
