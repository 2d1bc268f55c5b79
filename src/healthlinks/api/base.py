"""The view classes every API module builds on: DRF's, with conditional GETs (healthlinks.api.conditional) and
no NUL character let through to a query (PostgreSQL refuses them: a 500 otherwise)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from healthlinks.api.concurrency import VersionedRecordMixin
from healthlinks.api.conditional import ConditionalGetMixin
from healthlinks.api.query import validate_query

NUL = "\x00"


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class CleanInputMixin:
    """A NUL character in the path is a 404 (no record has one), in the query or the body a 400."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if has_nul(list(kwargs.values())):
            raise Http404
        if any(has_nul(key) or has_nul(request.query_params.getlist(key)) for key in request.query_params):
            raise ValidationError({"detail": "the query contains a NUL character"})
        validate_query(request)
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method not in ("GET", "HEAD", "OPTIONS") and has_nul(request.data):
            raise ValidationError({"detail": "the body contains a NUL character"})


class JSONErrorsMixin:
    """An error is JSON whatever format was asked for (`?format=csv` included): errors are documented as JSON."""

    def handle_exception(self, exc: Exception) -> Any:
        response = super().handle_exception(exc)  # type: ignore[misc]
        request = getattr(self, "request", None)
        asked = getattr(getattr(request, "accepted_renderer", None), "format", None)
        if request is not None and "csv" in (asked, request.GET.get("format")):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return response


class ViewSet(JSONErrorsMixin, CleanInputMixin, ConditionalGetMixin, viewsets.ViewSet):
    pass


class GenericViewSet(
    JSONErrorsMixin, CleanInputMixin, VersionedRecordMixin, ConditionalGetMixin, viewsets.GenericViewSet
):
    pass


class ReadOnlyModelViewSet(
    JSONErrorsMixin, CleanInputMixin, VersionedRecordMixin, ConditionalGetMixin, viewsets.ReadOnlyModelViewSet
):
    pass


class ModelViewSet(JSONErrorsMixin, CleanInputMixin, VersionedRecordMixin, ConditionalGetMixin, viewsets.ModelViewSet):
    pass
