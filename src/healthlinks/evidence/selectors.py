"""Reads of the evidence library. Published literature is public; links to partnerships are shown only for
partnerships the reader may see. Adding and tagging references: signed-in users other than researchers
(researchers are read-only throughout Healthlinks)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from healthlinks.evidence.models import Reference
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import (
    AnyUser,
    can_add_shared_records,
    partnerships_editable_by,
    partnerships_visible_to,
)


def can_add_references(user: AnyUser) -> bool:
    """The library is shared: those who may start a partnership add to it and describe it; members read it."""
    return bool(user.is_active) and can_add_shared_records(user)


def reference_list(
    user: AnyUser, *, q: str = "", theme: str = "", partnership: str = "", year: int | None = None, kind: str = ""
) -> QuerySet[Reference]:
    qs = Reference.objects.prefetch_related(
        "themes",
        Prefetch(
            "partnerships", queryset=partnerships_visible_to(user).order_by("name"), to_attr="visible_partnerships"
        ),
        "specialties",
        "countries",
    )
    if q:
        words = q.split()
        for word in words:
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(abstract__icontains=word)
                | Q(journal__icontains=word)
                | Q(authors__icontains=word)
                | Q(keywords__icontains=word)
                | Q(doi__icontains=word)
            )
    if theme:
        qs = qs.filter(themes__slug=theme)
    if partnership:
        qs = qs.filter(partnerships__in=partnerships_visible_to(user).filter(slug=partnership))
    if year:
        qs = qs.filter(year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.distinct()


def linkable_partnerships(user: AnyUser) -> QuerySet[Partnership]:
    """Partnerships a user may link references to: those they coordinate (hub admins: all)."""
    return partnerships_editable_by(user).order_by("name")
