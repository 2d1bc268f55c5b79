"""The OpenAPI schema of every operation, with the answers DRF gives besides the documented success: errors
(`{"detail": …}`, or the offending fields for a 400), 304 for conditional GETs and 429 with Retry-After."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from healthlinks.api.conditional import ConditionalGetMixin
from healthlinks.api.permissions import ScopedAccess

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "what went wrong",
}
# A 400 names each offending field (`{"end_date": ["…"]}`, nested for nested objects, a list per item of a list
# body) or carries `detail` (a body that is not JSON).
VALIDATION_ERROR = {
    "oneOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {}}],
    "description": "the offending fields with their messages",
}
VALIDATOR_HEADERS = {
    "ETag": {"schema": {"type": "string"}, "description": "validator for If-None-Match"},
    "Last-Modified": {"schema": {"type": "string"}, "description": "validator for If-Modified-Since"},
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class AutoSchema(SpectacularAutoSchema):
    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        """Fields a serializer shows only to some readers (its `role_dependent_fields`) are not required."""
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        optional = getattr(serializer, "role_dependent_fields", ())
        if optional and schema.get("required"):
            schema["required"] = [name for name in schema["required"] if name not in optional]
            if not schema["required"]:
                del schema["required"]
        return schema

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        """A nested list's bounds (`many=True, min_length=2`) are part of its schema; a decimal written as a string
        has at least one digit (drf-spectacular's pattern also matches "", "-" and ".", which are not numbers), and no
        sign where it may not be negative."""
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        pattern = schema.get("pattern")
        if isinstance(field, serializers.DecimalField) and pattern and field.max_digits is not None:
            unsigned = field.min_value is not None and field.min_value >= 0
            sign = "-?" if pattern.startswith("^-?") and not unsigned else ""
            whole, places = field.max_digits - (field.decimal_places or 0), field.decimal_places or 0
            fraction = rf"(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}}" if places else ""
            schema["pattern"] = rf"^{sign}(?:\d{{1,{whole}}}{fraction})$" if whole else rf"^{sign}\.\d{{1,{places}}}$"
        if isinstance(field, serializers.ListSerializer):
            for bound, key in (("min_length", "minItems"), ("max_length", "maxItems")):
                if getattr(field, bound, None) is not None:
                    schema[key] = getattr(field, bound)
        return schema

    def get_auth(self) -> list[dict[str, Any]]:
        """ScopedAccess lets anyone read (each reader sees what the selectors give them): a read declares signing
        in as optional (`{}`), so the schema does not claim that the public is refused."""
        auths: list[dict[str, Any]] = super().get_auth()
        scoped = all(isinstance(p, ScopedAccess) for p in self.view.get_permissions())
        if scoped and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _ref(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return component.ref

    def _error(self, description: str, name: str = "Error", schema: dict[str, Any] = ERROR) -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": self._ref(name, schema)}}}

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses: dict[str, Any] = operation["responses"]
        params = operation.get("parameters", [])
        has_query = any(p.get("in") == "query" for p in params)
        has_path = any(p.get("in") == "path" for p in params)
        paginated = self._is_list_view() and self._get_paginator() is not None
        conditional = isinstance(self.view, ConditionalGetMixin) and self.method == "GET"
        scoped = all(isinstance(p, ScopedAccess) for p in self.view.get_permissions())
        extra: dict[str, dict[str, Any]] = {}
        if conditional:
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(VALIDATOR_HEADERS)
            extra["304"] = {"description": "Not modified: the copy named by If-None-Match or If-Modified-Since is "
                            "current", "headers": VALIDATOR_HEADERS}  # fmt: skip
        # Any request may be malformed (a NUL character, a body that is not JSON); these name what is wrong.
        extra["400"] = self._error(
            "Invalid input" if has_query or "requestBody" in operation else "Malformed request",
            "ValidationError",
            VALIDATION_ERROR,
        )
        extra["401"] = self._error("The token or the session is not valid")
        if "requestBody" in operation:
            extra["415"] = self._error("The body is not in one of the documented media types")
        if self.method in WRITE_METHODS or not scoped:
            extra["403"] = self._error("Not allowed")
        if has_path or paginated:
            extra["404"] = self._error("Not found (or not visible to you)" if has_path else "No such page")
        extra["429"] = self._error("Too many requests")
        extra["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
        for code, response in extra.items():
            responses.setdefault(code, response)
        return operation
