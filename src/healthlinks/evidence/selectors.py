"""Reads of the evidence library. Published literature is public; links to partnerships are shown only for
partnerships the reader may see. Adding and tagging references: signed-in users other than researchers
(researchers are read-only throughout Healthlinks)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from healthlinks.accounts.models import Role
from healthlinks.evidence.models import Reference
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import AnyUser, partnerships_visible_to


def can_add_references(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active and getattr(user, "role", None) != Role.RESEARCHER)


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
    """Partnerships a user may link references to: those they belong to (hub admins: all)."""
    from healthlinks.interviews.selectors import member_partnership_ids

    ids = member_partnership_ids(user)
    qs = Partnership.objects.order_by("name")
    return qs if ids is None else qs.filter(pk__in=ids)
