"""Forms that keep working when the connection drops (the stay, outcome and survey forms). The page keeps what
is entered offline on the device and sends it when the connection returns (static/healthlinks/offline.js); a
service worker (/sw.js) keeps these pages and the app's static files for when there is no connection. Each
form carries an idempotency key: a form sent twice (a retry after a dropped answer) is saved once."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirectBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks.web.models import SentForm

KEY = "idempotency_key"
HEADER = "X-Healthlinks-Offline"  # a page the service worker keeps for use without a connection


def _key(request: HttpRequest) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(request.POST.get(KEY, "")))
    except ValueError:
        return None


def _already(request: HttpRequest, key: uuid.UUID) -> HttpResponse | None:
    earlier = SentForm.objects.filter(key=key, user_id=cast(int, request.user.pk)).first()
    if earlier is None:
        return None
    messages.info(request, _("This entry had already been saved: it was not saved twice."))
    return redirect(earlier.location)


def works_offline(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page is kept by the service worker; a POST with a key already sent by this user leads to what it
    saved, and a successful one (a redirect) records its key in the same transaction as the record."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = _key(request) if request.method == "POST" and request.user.is_authenticated else None
        if key is None:
            response = view(request, *args, **kwargs)
            if request.method == "GET" and response.status_code == 200:
                response[HEADER] = "1"
            return response
        done = _already(request, key)
        if done is not None:
            return done
        try:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if isinstance(response, HttpResponseRedirectBase):
                    SentForm.objects.create(
                        key=key, user_id=cast(int, request.user.pk), path=request.path, location=response.url
                    )
        except IntegrityError:  # the same key, sent at the same moment, was saved first by the other request
            done = _already(request, key)
            if done is None:
                raise
            return done
        return response

    return wrapper


def new_key() -> str:
    return str(uuid.uuid4())


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the site's root so that it may keep any of its pages."""
    response = render(
        request, "web/sw.js", {"static": settings.STATIC_URL, "header": HEADER}, content_type="text/javascript"
    )
    response["Cache-Control"] = "no-cache"
    return response
