"""Who already works where (issue 26 §3): for a place (country, WHO region or institution) and a specialty, the
partnerships and institutions already active there, what they do and how recently; the countries of the place
set against need (the WHO Health Workforce Support and Safeguards List 2023, which marks the countries whose
health-worker density is lowest); and, for a proposed partnership, the existing ones it would overlap.

Everything is read through the registry's scoping selector: the public sees published partnerships only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from healthlinks.activities.models import Activity
from healthlinks.network.selectors import live_stays
from healthlinks.reference.models import Country
from healthlinks.registry.models import Institution, Partnership, PartnershipMember
from healthlinks.registry.selectors import AnyUser, partnerships_visible_to

RECENT_YEARS = 3


@dataclass(frozen=True)
class Place:
    country: str = ""  # ISO3
    region: str = ""  # WHO region code
    institution: int | None = None
    specialty: str = ""  # specialty slug

    def members(self) -> QuerySet[PartnershipMember]:
        members = PartnershipMember.objects.all()
        if self.institution is not None:
            return members.filter(institution_id=self.institution)
        if self.country:
            members = members.filter(institution__country_id=self.country)
        if self.region:
            members = members.filter(institution__country__who_region=self.region)
        return members

    def countries(self) -> QuerySet[Country]:
        if self.institution is not None:
            return Country.objects.filter(iso3__in=Institution.objects.filter(pk=self.institution).values("country"))
        if self.country:
            return Country.objects.filter(iso3=self.country)
        if self.region:
            return Country.objects.filter(who_region=self.region)
        return Country.objects.none()

    @property
    def given(self) -> bool:
        return bool(self.country or self.region or self.institution is not None)


def _partnerships(user: AnyUser, place: Place) -> QuerySet[Partnership]:
    chosen = partnerships_visible_to(user).filter(pk__in=place.members().values("partnership"))
    if place.specialty:
        chosen = chosen.filter(specialties=place.specialty)
    return chosen


def who_works_where(user: AnyUser, place: Place, *, today: date | None = None) -> dict[str, Any]:
    """The partnerships active in the place (with the specialty), each with what it does and its recent work;
    the institutions there that take part; and each country of the place with how many partnerships work there,
    whether it is on the Safeguards List, and whether no one works there yet."""
    today = today or date.today()
    since = today - timedelta(days=365 * RECENT_YEARS)
    chosen = list(_partnerships(user, place).prefetch_related("specialties").order_by("name"))
    ids = [p.pk for p in chosen]
    activities = dict(
        Activity.objects.filter(partnership__in=ids, start_date__gte=since)
        .values("partnership")
        .annotate(n=Count("pk"))
        .values_list("partnership", "n")
    )
    last = dict(
        Activity.objects.filter(partnership__in=ids)
        .values("partnership")
        .annotate(last=Max("start_date"))
        .values_list("partnership", "last")
    )
    stays = dict(
        live_stays()
        .filter(partnership__in=ids, start_date__gte=since)
        .values("partnership")
        .annotate(n=Count("pk"))
        .values_list("partnership", "n")
    )
    cadres: dict[int, list[str]] = {}
    for pid, code, _n in (
        live_stays()
        .filter(partnership__in=ids, start_date__gte=since, person__cadre__isnull=False)
        .values("partnership", "person__cadre")
        .annotate(n=Count("person", distinct=True))
        .order_by("partnership", "-n", "person__cadre")
        .values_list("partnership", "person__cadre", "n")
    ):
        cadres.setdefault(pid, [])
        if len(cadres[pid]) < 3:
            cadres[pid].append(code)
    here = {
        (m.partnership_id, m.institution_id): m
        for m in place.members().filter(partnership__in=ids).select_related("institution")
    }
    rows = [
        {
            "partnership": p,
            "specialties": [s.slug for s in p.specialties.all()],
            "institutions_here": sorted(
                {m.institution.name for (pid, _i), m in here.items() if pid == p.pk}, key=str.casefold
            ),
            "activities_recent": activities.get(p.pk, 0),
            "stays_recent": stays.get(p.pk, 0),
            "volunteer_cadres": cadres.get(p.pk, []),
            "last_activity": last.get(p.pk),
        }
        for p in chosen
    ]
    institutions = list(
        Institution.objects.filter(pk__in={i for (_p, i) in here})
        .annotate(n=Count("memberships", filter=Q(memberships__partnership__in=ids), distinct=True))
        .order_by("-n", "name")
    )
    working = dict(
        PartnershipMember.objects.filter(partnership__in=ids)
        .values("institution__country")
        .annotate(n=Count("partnership", distinct=True))
        .values_list("institution__country", "n")
    )
    countries = [
        {
            "country": c,
            "partnerships": working.get(c.iso3, 0),
            "safeguards": c.ssl2023,
            "gap": working.get(c.iso3, 0) == 0,
        }
        for c in place.countries().order_by("name")
    ]
    return {
        "partnerships": rows,
        "institutions": institutions,
        "countries": countries,
        "gaps_in_need": [row["country"] for row in countries if row["gap"] and row["safeguards"]],
        "since": since,
    }


def overlaps(user: AnyUser, *, institutions: list[int], specialty: str = "") -> list[dict[str, Any]]:
    """Existing partnerships a proposed one (its member institutions, its specialty) would overlap, strongest
    first: those sharing one of its institutions (and the specialty), then those with the specialty in one of its
    institutions' countries."""
    if not institutions:
        return []
    visible = partnerships_visible_to(user)
    countries = set(Institution.objects.filter(pk__in=institutions).values_list("country", flat=True))
    shared = visible.filter(members__institution__in=institutions).distinct()
    found: dict[int, dict[str, Any]] = {}
    for p in shared.prefetch_related("specialties"):
        same = bool(specialty) and any(s.slug == specialty for s in p.specialties.all())
        found[p.pk] = {
            "partnership": p,
            "reason": "institution_specialty" if same else "institution",
            "rank": 0 if same else 1,
        }
    if specialty:
        nearby = (
            visible.filter(members__institution__country__in=countries, specialties=specialty)
            .exclude(pk__in=found)
            .distinct()
        )
        for p in nearby:
            found[p.pk] = {"partnership": p, "reason": "country_specialty", "rank": 2}
    return sorted(found.values(), key=lambda r: (r["rank"], r["partnership"].name))
