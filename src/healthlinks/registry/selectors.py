"""Reads, always scoped to what the user may see. Pages and API both go through these functions.

Access levels for one partnership (highest wins):
  EDIT      hub admins; coordinators of the partnership
  MEMBER    members of the partnership (everything, read-only)
  RESEARCH  researchers, for partnerships that are not drafts (no contact details)
  PUBLIC    anyone, for published partnerships (published fields only)
  NONE      otherwise
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, cast

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Field, Prefetch, Q, QuerySet
from django.utils import timezone

from healthlinks.accounts.models import Role, User
from healthlinks.registry.models import (
    AccessRole,
    Institution,
    Lifecycle,
    Partnership,
    PartnershipAccess,
    PartnershipMember,
    Publication,
)

AnyUser = User | AnonymousUser


class Access(IntEnum):
    NONE = 0
    PUBLIC = 1
    RESEARCH = 2
    MEMBER = 3
    EDIT = 4


def live_partnerships() -> QuerySet[Partnership]:
    """Every partnership not soft-deleted (healthlinks.ops.softdelete), whoever asks: what the analyses read."""
    return Partnership.objects.filter(deleted_at__isnull=True)


def is_hub_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_hub_admin", False))


def is_researcher(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "role", None) == Role.RESEARCHER)


def access_map(user: AnyUser) -> dict[int, str]:
    """partnership id -> access role of this user (one query)."""
    if not user.is_authenticated:
        return {}
    return dict(PartnershipAccess.objects.filter(user_id=user.pk).values_list("partnership_id", "role"))


def partnership_access(user: AnyUser, partnership: Partnership, roles: dict[int, str] | None = None) -> Access:
    if partnership.deleted_at is not None:  # soft-deleted: only the hub admins' restore page shows it
        return Access.NONE
    if is_hub_admin(user):
        return Access.EDIT
    roles = access_map(user) if roles is None else roles
    role = roles.get(partnership.pk)
    if role == AccessRole.COORDINATOR:
        return Access.EDIT
    if role == AccessRole.MEMBER:
        return Access.MEMBER
    if is_researcher(user) and partnership.publication != Publication.DRAFT:
        return Access.RESEARCH
    if partnership.publication == Publication.PUBLISHED:
        return Access.PUBLIC
    return Access.NONE


def partnerships_visible_to(user: AnyUser) -> QuerySet[Partnership]:
    qs = Partnership.objects.filter(deleted_at__isnull=True)
    if is_hub_admin(user):
        return qs
    visible = Q(publication=Publication.PUBLISHED)
    if is_researcher(user):
        visible |= Q(publication=Publication.ARCHIVED)
    if user.is_authenticated:
        visible |= Q(pk__in=PartnershipAccess.objects.filter(user_id=user.pk).values("partnership_id"))
    return qs.filter(visible)


def partnerships_editable_by(user: AnyUser) -> QuerySet[Partnership]:
    if is_hub_admin(user):
        return Partnership.objects.filter(deleted_at__isnull=True)
    if not user.is_authenticated:
        return Partnership.objects.none()
    return Partnership.objects.filter(
        deleted_at__isnull=True,
        pk__in=PartnershipAccess.objects.filter(user_id=user.pk, role=AccessRole.COORDINATOR).values("partnership_id"),
    )


def can_edit_partnership(user: AnyUser, partnership_id: int | None) -> bool:
    """The one rule for writes: a user may change a record only if they may edit the record's partnership (hub
    admins, or coordinators of that partnership). A member of it may read it; their account role does not
    matter."""
    if partnership_id is None:
        return is_hub_admin(user)
    return partnerships_editable_by(user).filter(pk=partnership_id).exists()


def coordinates_any(user: AnyUser) -> bool:
    """May open a form that writes into a partnership (which one is checked when it is chosen)."""
    return is_hub_admin(user) or partnerships_editable_by(user).exists()


def can_create_partnership(user: AnyUser) -> bool:
    """Starting a partnership (or registering an institution) has no partnership yet to take a role from: hub
    admins, users whose account is a coordinator's, and anyone who already coordinates one."""
    if is_hub_admin(user):
        return True
    if not user.is_authenticated:
        return False
    return getattr(user, "role", None) == Role.COORDINATOR or partnerships_editable_by(user).exists()


def my_partnerships(user: AnyUser) -> list[PartnershipAccess]:
    """The partnerships a user coordinates or belongs to (not deleted), coordinators' first, then by name; each
    access row with its partnership."""
    if not user.is_authenticated:
        return []
    rows = PartnershipAccess.objects.filter(user_id=user.pk, partnership__deleted_at__isnull=True).select_related(
        "partnership"
    )
    return sorted(rows, key=lambda a: (a.role != AccessRole.COORDINATOR, a.partnership.name.lower()))


def can_add_shared_records(user: AnyUser) -> bool:
    """Lists no partnership owns (the interview codebook, the evidence library) take the same rule as starting a
    partnership: hub admins, coordinators' accounts and anyone who coordinates one. Members read them."""
    return can_create_partnership(user)


def institutions_visible_to(user: AnyUser) -> QuerySet[Institution]:
    """Signed-in users see every institution (to pick partners); the public only those of published partnerships."""
    qs = Institution.objects.select_related("country", "org_type")
    if user.is_authenticated:
        return qs
    return qs.filter(
        pk__in=PartnershipMember.objects.filter(
            partnership__publication=Publication.PUBLISHED, partnership__deleted_at__isnull=True
        ).values("institution_id")
    )


def can_edit_institution(user: AnyUser, institution: Institution) -> bool:
    if is_hub_admin(user):
        return True
    if not can_create_partnership(user):
        return False
    memberships = institution.memberships.all()
    if not memberships.exists():
        return True  # a new institution not yet in any partnership: whoever coordinates may complete it
    return memberships.filter(partnership__in=partnerships_editable_by(user)).exists()


def partnership_list(
    user: AnyUser,
    *,
    q: str = "",
    country: str = "",
    specialty: str = "",
    status: str = "",
    geography: str = "",
    typology: str = "",
    funder: str = "",
    publication: str = "",
) -> QuerySet[Partnership]:
    """The list page and the API share these filters."""
    qs = partnerships_visible_to(user)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(summary__icontains=q)
            | Q(slug__icontains=q)
            | Q(pk__in=PartnershipMember.objects.filter(institution__name__icontains=q).values("partnership_id"))
        )
    if country:
        qs = qs.filter(
            pk__in=PartnershipMember.objects.filter(institution__country_id=country.upper()).values("partnership_id")
        )
    if specialty:
        qs = qs.filter(specialties__slug=specialty)
    if funder:
        qs = qs.filter(funding_schemes__slug=funder)
    if geography:
        qs = qs.filter(geography_class=geography)
    if publication:
        qs = qs.filter(publication=publication)
    if status:
        today = timezone.localdate()
        if status == Lifecycle.PLANNED:
            qs = qs.filter(start_date__gt=today)
        elif status == Lifecycle.CLOSED:
            qs = qs.filter(end_date__lt=today)
        elif status == Lifecycle.ACTIVE:
            qs = qs.filter(Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today)))
    if typology:
        qs = qs.filter(**TYPOLOGY_FILTERS.get(typology, {"pk__in": []}))
    return qs


# Typology filter values: "dimension:value" for each Edwards/Loh dimension, plus the Edwards combination.
TYPOLOGY_FILTERS: dict[str, dict[str, Any]] = {
    "mobility_resilient": {"intervention": "training_infrastructure", "skills": "generic"},
}
for _field in ("capacity_focus", "intervention", "skills", "delivery", "visiting_groups", "host_entities", "frequency"):
    for _value in cast(Field, Partnership._meta.get_field(_field)).choices or []:
        TYPOLOGY_FILTERS[f"{_field}:{_value[0]}"] = {_field: _value[0]}


def with_members(qs: QuerySet[Partnership]) -> QuerySet[Partnership]:
    """Prefetch what list and detail views show, so a page costs a fixed number of queries."""
    return qs.prefetch_related(
        Prefetch(
            "members",
            queryset=PartnershipMember.objects.select_related("institution__country").order_by(
                "role", "institution__name"
            ),
        ),
        "specialties",
        "delivery_methods",
        "funding_schemes",
    )


def partnership_countries(partnership: Partnership) -> list[Any]:
    """Countries involved, from the (prefetched) member institutions, in first-seen order."""
    seen: dict[str, Any] = {}
    for member in partnership.members.all():
        seen.setdefault(member.institution.country_id, member.institution.country)
    return list(seen.values())


def equal_influence(partnership: Partnership) -> bool | None:
    """Edwards 'equality of influence': all member institutions share one scope of influence."""
    scopes = [m.institution.scope for m in partnership.members.all()]
    if len(scopes) < 2 or any(not s for s in scopes):
        return None
    return len(set(scopes)) == 1


def dashboard_counts(user: AnyUser) -> dict[str, Any]:
    visible = partnerships_visible_to(user)
    members = PartnershipMember.objects.filter(partnership__in=visible)
    return {
        "partnerships": visible.count(),
        "institutions": members.values("institution_id").distinct().count(),
        "countries": members.values("institution__country_id").distinct().count(),
        "by_geography": list(visible.values("geography_class").annotate(n=Count("id")).order_by("-n")),
        "by_specialty": list(
            visible.filter(specialties__isnull=False)
            .values("specialties__slug", "specialties__name")
            .annotate(n=Count("id"))
            .order_by("-n")
        ),
    }


def partnership_links(user: AnyUser, limit: int = 3000) -> list[dict[str, Any]]:
    """Lines for the world map: lead institution to each partner institution, with coordinates
    (the institution's own, else its country's capital)."""
    rows = (
        PartnershipMember.objects.filter(partnership__in=partnerships_visible_to(user))
        .values(
            "partnership_id",
            "partnership__name",
            "partnership__slug",
            "role",
            "institution__name",
            "institution__latitude",
            "institution__longitude",
            "institution__country__latitude",
            "institution__country__longitude",
        )
        .order_by("partnership_id", "role", "id")
    )
    by_partnership: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        lat = row["institution__latitude"]
        lon = row["institution__longitude"]
        if lat is None or lon is None:
            lat, lon = row["institution__country__latitude"], row["institution__country__longitude"]
        if lat is None or lon is None:
            continue
        by_partnership.setdefault(row["partnership_id"], []).append({**row, "lat": lat, "lon": lon})
    links = []
    for members in by_partnership.values():
        hub = members[0]
        for other in members[1:]:
            links.append(
                {
                    "partnership": hub["partnership__name"],
                    "slug": hub["partnership__slug"],
                    "from": hub["institution__name"],
                    "to": other["institution__name"],
                    "lat": hub["lat"],
                    "lon": hub["lon"],
                    "lat2": other["lat"],
                    "lon2": other["lon"],
                }
            )
            if len(links) >= limit:
                return links
    return links


def principles_by_side(partnership: Partnership) -> dict[str, Any] | None:
    """Each side's latest Principles of Partnership self-assessment, principle by principle, with the principles on
    which the sides' scores differ by 2 or more (None until two sides have assessed on their own)."""
    from healthlinks.registry.models import PRINCIPLES

    latest: dict[int | None, Any] = {}
    for assessment in partnership.assessments.filter(side__isnull=False).select_related("side").order_by("assessed_on"):
        latest[assessment.side_id] = assessment
    if len(latest) < 2:
        return None
    sides = sorted(latest.values(), key=lambda a: a.side.name)
    rows = []
    for number, label in PRINCIPLES:
        scores = [a.scores.get(str(number)) for a in sides]
        known = [s for s in scores if s is not None]
        rows.append(
            {
                "principle": f"{number}. {label}",
                "scores": scores,
                "apart": len(known) > 1 and max(known) - min(known) >= 2,
            }
        )
    return {"sides": sides, "rows": rows}
