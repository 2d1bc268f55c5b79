"""Optimistic concurrency for API writes: no lost updates.

A record's version is a strong ETag of what the API shows of it (a hash of its representation for the asking
user). `GET /api/v1/<records>/<id>/` sends it; a PUT, PATCH or DELETE that carries `If-Match` with a version
that is no longer current is refused with 412 Precondition Failed and changes nothing: the client fetches the
record again, merges and retries. `If-Match: *` matches any existing record. Writes answer with the record as it
is after the write (read again from the database) and its new ETag.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

WRITE_METHODS = ("PUT", "PATCH", "DELETE")
RECORD_ACTIONS = ("retrieve", "update", "partial_update")


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "the record changed since you read it: fetch it again (its ETag is current), merge, and retry"
    default_code = "precondition_failed"


def representation_etag(data: Any) -> str:
    body = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:40] + '"'


def if_match_holds(header: str, current: str) -> bool:
    """RFC 9110 §13.1.1: strong comparison; a weak tag never matches."""
    tags = parse_etags(header)
    return "*" in tags or current in tags


class VersionedRecordMixin:
    """Mixed into the API's generic view sets (healthlinks.api.base)."""

    def _current_etag(self, obj: Any) -> str:
        return representation_etag(self.get_serializer(obj).data)

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]
        request: Request = self.request  # type: ignore[attr-defined]
        header = request.META.get("HTTP_IF_MATCH")
        if header and request.method in WRITE_METHODS and not if_match_holds(header, self._current_etag(obj)):
            raise PreconditionFailed
        return obj

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        if getattr(self, "action", None) in ("update", "partial_update") and "data" in kwargs:
            self._written = serializer  # the serializer of the write, whose instance is the saved record
        return serializer

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        action = getattr(self, "action", None)
        written = getattr(getattr(self, "_written", None), "instance", None)
        if isinstance(response, Response) and response.status_code == 200 and written is not None:
            # The serializer answered with the instance it was given, whose cached relations (personal data,
            # m2m) may predate the write: read the record again, as the next GET would.
            fresh = self.get_queryset().filter(pk=written.pk).first()  # type: ignore[attr-defined]
            if fresh is not None:
                response.data = self.get_serializer(fresh).data
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if (
            action in RECORD_ACTIONS
            and response.status_code == 200
            and isinstance(getattr(response, "data", None), dict)
        ):
            etag = representation_etag(response.data)
            response["ETag"] = etag  # the record's own version, not the collection-wide validator
            held = [tag.removeprefix("W/") for tag in parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))]
            if request.method in ("GET", "HEAD") and (etag in held or "*" in held):  # weak comparison
                response.status_code = 304
                response.data = None
                response.content = b""
        return response
