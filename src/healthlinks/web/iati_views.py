"""Stable public IATI URLs a publisher registers with the IATI Registry: one file per published partnership, one
with every published partnership, and the hub's organisation file (docs/iati.md, "Publishing").

Everyone may read them (what they hold is published); a draft, archived or deleted partnership answers 404 with a
sentence. A file is built once per data version and day (both data versions change in the transaction of any
write; a partnership's status and actual dates change at midnight) and kept in the cache; clients get an ETag,
304 when their copy is current, and may keep it an hour."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks.analytics.models import DataVersion
from healthlinks.api.models import ApiVersion
from healthlinks.interchange.iati.publish import (
    NothingToPublish,
    Publisher,
    publish_organisation,
    publish_partnerships,
    publisher_from_settings,
)
from healthlinks.registry.models import Partnership, Publication
from healthlinks.registry.selectors import live_partnerships

CACHE_SECONDS = 24 * 3600  # the key changes with the data, so an entry is never stale; this only frees memory
CLIENT_MAX_AGE = 3600
PUBLISHING_SETTINGS = (
    "HEALTHLINKS_IATI_PUBLISHER",
    "HEALTHLINKS_IATI_PUBLISHER_NAME",
    "HEALTHLINKS_IATI_PUBLISHER_TYPE",
    "HEALTHLINKS_PUBLIC_URL",
)


def _version_key(path: str) -> str:
    tokens = [
        DataVersion.objects.filter(pk=1).values_list("token", flat=True).first() or "none",
        ApiVersion.objects.filter(pk=1).values_list("token", flat=True).first() or "none",
    ]
    publishing = [str(getattr(settings, name, "")) for name in PUBLISHING_SETTINGS]
    raw = "|".join([*tokens, *publishing, path, timezone.localdate().isoformat()])
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def _refusal(message: str) -> HttpResponse:
    return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")


def _served(request: HttpRequest, filename: str, build: Callable[[Publisher], bytes]) -> HttpResponse:
    key = _version_key(request.path)
    etag = f'"{key}"'
    tags = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    if "*" in tags or etag in [tag.removeprefix("W/") for tag in tags]:
        response = HttpResponse(status=304)
    else:
        body: Any = cache.get(f"iati-file:{key}")
        if body is None:
            try:
                body = build(publisher_from_settings())
            except NothingToPublish as exc:
                return _refusal(str(exc))
            cache.set(f"iati-file:{key}", body, CACHE_SECONDS)
        response = HttpResponse(body, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={CLIENT_MAX_AGE}"
    return response


@require_safe
def partnership_file(request: HttpRequest, slug: str) -> HttpResponse:
    """One published partnership and its projects as IATI activities."""
    partnership = live_partnerships().filter(slug=slug).first()
    if partnership is None or partnership.publication != Publication.PUBLISHED:
        return _refusal(
            _("No IATI file: there is no published partnership at this address. Drafts are never published.")
        )

    def build(publisher: Publisher) -> bytes:
        out = io.BytesIO()
        fresh = Partnership.objects.get(pk=partnership.pk)
        publish_partnerships([fresh], publisher=publisher, out=out)
        return out.getvalue()

    return _served(request, f"{slug}.xml", build)


@require_safe
def all_partnerships_file(request: HttpRequest) -> HttpResponse:
    """Every published partnership and its projects as IATI activities."""

    def build(publisher: Publisher) -> bytes:
        out = io.BytesIO()
        chosen = live_partnerships().filter(publication=Publication.PUBLISHED).order_by("slug")
        if not chosen.exists():
            raise NothingToPublish(_("Nothing to publish to IATI yet: no partnership is published."))
        publish_partnerships(chosen, publisher=publisher, out=out)
        return out.getvalue()

    return _served(request, "all.xml", build)


@require_safe
def organisation_file(request: HttpRequest) -> HttpResponse:
    """The hub's IATI organisation file."""

    def build(publisher: Publisher) -> bytes:
        out = io.BytesIO()
        published = live_partnerships().filter(publication=Publication.PUBLISHED)
        publish_organisation(published, publisher=publisher, out=out)
        return out.getvalue()

    return _served(request, "organisation.xml", build)


@require_safe
def programme_file(request: HttpRequest, slug: str) -> HttpResponse:
    """The published partnerships of a programme and their projects as IATI activities (its drafts left out)."""
    from healthlinks.programmes.models import Programme

    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        return _refusal(_("No IATI file: there is no programme at this address."))

    def build(publisher: Publisher) -> bytes:
        out = io.BytesIO()
        chosen = live_partnerships().filter(programmes=programme, publication=Publication.PUBLISHED).order_by("slug")
        if not chosen.exists():
            raise NothingToPublish(_("Nothing to publish to IATI yet: no partnership of this programme is published."))
        publish_partnerships(chosen, publisher=publisher, out=out)
        return out.getvalue()

    return _served(request, f"programme-{slug}.xml", build)
