"""Security middleware: the Content-Security-Policy header and idle session expiry.

CSP: every script and style comes from this site's own static files (vendored, no CDN); charts are drawn by
Vega with its CSP-safe expression interpreter, so neither 'unsafe-inline' nor 'unsafe-eval' is needed for scripts.

Idle expiry: a session lives HEALTHLINKS_SESSION_SECONDS (8 h) after it was last saved. Saving it on every request
would cost a write per page, so the session records when it was last seen and is saved again (which pushes its
expiry forward) only when that is older than HEALTHLINKS_SESSION_REFRESH_SECONDS (5 min): a session left idle for
8 hours expires, one in use does not.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound, QueryDict
from django.http.response import HttpResponseBase
from django.middleware.gzip import GZipMiddleware

SEEN_KEY = "_hl_seen"


def csp_header_value(overrides: dict[str, str] | None = None) -> str:
    policy: dict[str, str] = {**settings.HEALTHLINKS_CSP, **(overrides or {})}
    return "; ".join(f"{directive} {value}".strip() for directive, value in policy.items())


class ContentSecurityPolicyMiddleware:
    """The policy of settings.HEALTHLINKS_CSP; HEALTHLINKS_CSP_PATH_OVERRIDES loosens single directives under a
    path prefix (the third-party Swagger UI page carries an inline <style>)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.value = csp_header_value()
        self.overrides = [
            (prefix, csp_header_value(o)) for prefix, o in settings.HEALTHLINKS_CSP_PATH_OVERRIDES.items()
        ]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            value = next((v for prefix, v in self.overrides if request.path.startswith(prefix)), self.value)
            response["Content-Security-Policy"] = value
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def mark_session_seen(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On log-in: record the time, so the first requests after it do not write the session again."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SEEN_KEY] = int(time.time())


class IdleSessionMiddleware:
    """Push the expiry of an authenticated session forward, at most once per refresh interval."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            seen = session.get(SEEN_KEY)
            if not isinstance(seen, int) or now - seen >= settings.HEALTHLINKS_SESSION_REFRESH_SECONDS:
                session[SEEN_KEY] = now  # modified: SessionMiddleware saves it with a fresh expiry
        return self.get_response(request)


class RefuseNulMiddleware:
    """A NUL character in the path (404), the query or a form field (400) is refused before any view runs.

    PostgreSQL cannot hold NUL in text (psycopg raises, a 500 otherwise) and no record has one, so such a request
    can only be broken or hostile. Django's form fields already refuse NUL; filters read straight from the query
    string did not. Uploaded files are not inspected here: their importers refuse NUL with the row named."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API answers the same in JSON (api.base.CleanInputMixin)
        if "\x00" in request.path:  # no record has one in its address, as the API answers
            return HttpResponseNotFound("No page has a NUL character in its address.", content_type="text/plain")
        if _has_nul(request.GET):
            return HttpResponseBadRequest("The address holds a NUL character.", content_type="text/plain")
        if request.method == "POST" and request.content_type in FORM_TYPES and _has_nul(request.POST):
            return HttpResponseBadRequest("A form field holds a NUL character.", content_type="text/plain")
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(query: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in query.getlist(key)) for key in query)


STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
STORAGE_FULL_MESSAGE = "The server's disk is full: nothing was saved. Tell your administrator."


def storage_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in STORAGE_FULL_ERRNOS


class StorageFullMiddleware:
    """A full disk or an exhausted quota (ENOSPC, EDQUOT) is answered 507 with a plain message, not a 500.

    An upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE is spooled to FILE_UPLOAD_TEMP_DIR while the body is parsed,
    in whichever middleware first reads request.POST, where the error would become a bare 500 before any view runs.
    So this middleware parses multipart bodies itself, first: on a full disk the half-written spool file is closed
    (which deletes it) and the rest of the body is read and dropped, so that the client receives the answer rather
    than a reset connection. The same error raised in a view gets the same answer (process_exception)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.POST  # noqa: B018  (parses the body: uploads are spooled to disk here)
            except OSError as error:
                if not storage_full(error):
                    raise
                _discard_upload(request)
                return _storage_full_response()
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return _storage_full_response() if storage_full(exception) else None


def _discard_upload(request: HttpRequest) -> None:
    for handler in request.upload_handlers:
        spooled = getattr(handler, "file", None)
        if spooled is not None:
            spooled.close()  # a TemporaryUploadedFile: closing deletes it
    try:
        while request.read(1 << 16):
            pass
    except OSError:  # the client went away
        pass


def _storage_full_response() -> HttpResponse:
    return HttpResponse(STORAGE_FULL_MESSAGE, status=507, content_type="text/plain; charset=utf-8")


COMPRESSED_TYPES = ("text/", "application/json", "application/javascript", "application/xml", "image/svg+xml")


class TextCompressionMiddleware(GZipMiddleware):
    """Text responses gzip-compressed in every mode (`make run` too: WhiteNoise's precompressed files exist only
    after collectstatic): a page, its CSS and JavaScript travel at a fraction of their size on a slow link.
    Files that are compressed already (zip, XLSX, Parquet, images) are sent as they are. Django's middleware
    pads compressed responses against BREACH."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        kind = response.get("Content-Type", "")
        if not kind.startswith(COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
