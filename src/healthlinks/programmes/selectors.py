"""Reads of programmes, scoped to the user.

Who sees a programme: hub admins see every programme; anyone else sees a programme that holds at least one
partnership they may see (registry.selectors.partnerships_visible_to: published ones for everyone, archived ones
for researchers, their own partnerships for members and coordinators). The roll-up a user sees counts only the
programme's partnerships they may see (programmes.rollup).

Who edits a programme: hub admins, and coordinators of at least one of its partnerships; a coordinator may add
or remove only partnerships they coordinate. Anyone who coordinates a partnership may start a programme."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from healthlinks.programmes.models import Dhis2Mapping, Programme
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import AnyUser


def programmes_visible_to(user: AnyUser) -> QuerySet[Programme]:
    qs = Programme.objects.select_related("funding_scheme")
    if registry_selectors.is_hub_admin(user):
        return qs.annotate(n_partnerships=Count("partnerships", distinct=True))
    visible = registry_selectors.partnerships_visible_to(user)
    ids = Programme.objects.filter(partnerships__in=visible).values("pk")
    return qs.filter(pk__in=ids).annotate(n_partnerships=Count("partnerships", distinct=True))


def programme_partnerships(programme: Programme, user: AnyUser | None = None) -> QuerySet[Partnership]:
    """The programme's live partnerships, narrowed to those the user may see (all of them when user is None)."""
    qs = registry_selectors.live_partnerships().filter(programme_memberships__programme=programme)
    if user is not None:
        qs = qs.filter(pk__in=registry_selectors.partnerships_visible_to(user).values("pk"))
    return qs.order_by("name")


def can_create_programme(user: AnyUser) -> bool:
    return registry_selectors.coordinates_any(user)


def can_edit_programme(user: AnyUser, programme: Programme) -> bool:
    if registry_selectors.is_hub_admin(user):
        return True
    editable = registry_selectors.partnerships_editable_by(user)
    return editable.filter(programme_memberships__programme=programme).exists()


def partnerships_addable_by(user: AnyUser) -> QuerySet[Partnership]:
    """The partnerships a user may put in (or take out of) a programme: those they may edit."""
    return registry_selectors.partnerships_editable_by(user).order_by("name")


def dhis2_mappings() -> dict[tuple[str, str], str]:
    """(kind, key) -> DHIS2 uid."""
    return {(m.kind, m.key): m.uid for m in Dhis2Mapping.objects.all()}
