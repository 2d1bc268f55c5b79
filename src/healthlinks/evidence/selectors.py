"""Reads of the evidence library. Published literature is public; links to partnerships are shown only for
partnerships the reader may see. Adding and tagging references: signed-in users other than researchers
(researchers are read-only throughout Healthlinks)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from healthlinks.evidence.models import Reference
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Person
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


@dataclass
class AuthorMatch:
    """An author of a reference and the people of the registry who may be that author."""

    position: int
    author: str
    candidates: list[Person]


def author_name(author: str) -> tuple[str, str]:
    """(family, given) of a 'Family, Given' author (or 'Given Family' when there is no comma)."""
    if "," in author:
        family, given = author.split(",", 1)
        return family.strip(), given.strip()
    words = author.split()
    return (words[-1], " ".join(words[:-1])) if words else ("", "")


def may_match_authors(user: AnyUser) -> bool:
    """Co-author ties are recorded by those who may edit people (coordinators of their partnerships, hub
    admins)."""
    return bool(user.is_authenticated and network_selectors.people_editable_by(user).exists())


def coauthor_candidates(user: AnyUser, reference: Reference) -> list[AuthorMatch]:
    """Each author of the reference with the people of the registry whose names match and whom the user may
    edit (so a person the user cannot see is never proposed)."""
    authors = [str(a) for a in reference.authors if str(a).strip()]
    if not may_match_authors(user):
        return [AuthorMatch(i, a, []) for i, a in enumerate(authors)]
    found = network_selectors.people_named(user, [author_name(a) for a in authors])
    return [AuthorMatch(i, a, people) for i, (a, people) in enumerate(zip(authors, found, strict=True))]
