"""Conditional GETs for every API view: an ETag and a Last-Modified on each 200, and 304 Not Modified when the
client's copy is current.

The validator costs one query (two primary-key reads) and no serialisation: a response is a function of the data
(both data versions, each replaced in the same transaction as any write: analytics.DataVersion and
api.ApiVersion), of who asks (user id, role, active and superuser flags), of what is asked (full path with query,
media type, language) and of today's date (a partnership's lifecycle and duration change at midnight). The ETag
hashes all of them.
Last-Modified is the later of the last write and midnight; it is only sent once its second is over, so that a
write in the same second can never be hidden behind an If-Modified-Since."""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from typing import Any

from django.db.models import Value
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from healthlinks.analytics.models import DataVersion
from healthlinks.api.models import ApiVersion

CONDITIONAL_METHODS = ("GET", "HEAD")


class NotModified(APIException):
    status_code = 304
    default_detail = "not modified"


def _versions() -> dict[int, tuple[str, datetime]]:
    """Both data versions in one query: {1: analytics', 2: the API's}, a missing one (nothing written yet) absent."""
    data = DataVersion.objects.filter(pk=1).annotate(which=Value(1)).values_list("which", "token", "changed_at")
    api = ApiVersion.objects.filter(pk=1).annotate(which=Value(2)).values_list("which", "token", "changed_at")
    return {which: (token, changed) for which, token, changed in data.union(api, all=True)}


def validators(request: Request) -> tuple[str, datetime]:
    """(ETag, last modified) of what this request would get now."""
    versions = _versions()
    data_token, data_changed = versions.get(1, ("none", None))
    api_token, api_changed = versions.get(2, ("none", None))
    now = timezone.now()
    today = timezone.localdate(now)
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    last = max([t for t in (data_changed, api_changed) if t is not None] + [midnight])
    user = request.user
    who = (
        f"{user.pk}:{getattr(user, 'role', '')}:{user.is_active}:{user.is_superuser}"
        if user and user.is_authenticated
        else "anonymous"
    )
    renderer = getattr(request, "accepted_media_type", "") or ""
    language = getattr(request._request, "LANGUAGE_CODE", "")
    key = "|".join([data_token, api_token, who, request.get_full_path(), renderer, language, today.isoformat()])
    return f'W/"{hashlib.sha256(key.encode()).hexdigest()[:40]}"', last


def _not_modified(request: Request, etag: str, last: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present (weak comparison); else If-Modified-Since."""
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        tags = parse_etags(if_none_match)
        if "*" in tags:
            return True
        bare = etag.removeprefix("W/")
        return any(tag.removeprefix("W/") == bare for tag in tags)
    since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
    return since is not None and _sendable(last) and int(last.timestamp()) <= since


def _sendable(last: datetime) -> bool:
    """Only a Last-Modified whose second is over (a later write lands in a later second)."""
    return int(last.timestamp()) < int(timezone.now().timestamp())


class ConditionalGetMixin:
    """Mixed into every API view (healthlinks.api.base). Runs after authentication, permissions and throttling,
    so a 304 is answered only to a request that would have had a 200."""

    _validators: tuple[str, datetime] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in CONDITIONAL_METHODS:
            self._validators = validators(request)
            if _not_modified(request, *self._validators):
                raise NotModified

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, NotModified):
            return Response(status=304)
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self._validators is not None and response.status_code in (200, 304):
            etag, last = self._validators
            response["ETag"] = etag
            if _sendable(last):
                response["Last-Modified"] = http_date(last.timestamp())
            response["Cache-Control"] = "private, no-cache"
            patch_vary_headers(response, ("Accept", "Accept-Language", "Authorization", "Cookie"))
        return response
