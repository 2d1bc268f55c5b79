"""Reads of the knowledge network, scoped to what the user may see.

hub admin      every person, stay and tie, with personal data
member/coord.  people with a role or a stay in their partnerships, with personal data
researcher     only people who consented to research use, pseudonymous (no personal data, no external
               id), in partnerships that are not drafts
public         no person-level records (counts only)
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from healthlinks.network.models import (
    ContinuumClass,
    Mode,
    Person,
    PersonalData,
    PersonRole,
    Stay,
    Tie,
    continuum_bounds,
)
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership, PartnershipAccess, Publication
from healthlinks.registry.selectors import AnyUser, is_hub_admin


def live_people() -> QuerySet[Person]:
    """Every person not soft-deleted (healthlinks.ops.softdelete), whoever asks: what the analyses read."""
    return Person.objects.filter(deleted_at__isnull=True)


def live_stays() -> QuerySet[Stay]:
    """The stays of people and partnerships not soft-deleted."""
    return Stay.objects.filter(person__deleted_at__isnull=True, partnership__deleted_at__isnull=True)


def live_ties() -> QuerySet[Tie]:
    """The ties between people not soft-deleted."""
    return Tie.objects.filter(person_a__deleted_at__isnull=True, person_b__deleted_at__isnull=True)


def personal_partnership_ids(user: AnyUser) -> set[int]:
    """Partnerships whose people's personal data this user may see (member or coordinator)."""
    if not user.is_authenticated:
        return set()
    return set(
        PartnershipAccess.objects.filter(user_id=user.pk, partnership__deleted_at__isnull=True).values_list(
            "partnership_id", flat=True
        )
    )


def sees_all_personal_data(user: AnyUser) -> bool:
    return is_hub_admin(user)


def is_researcher(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "role", None) == "researcher")


def _in_partnerships(partnership_ids: Iterable[int]) -> Q:
    """People with a role or a stay in any of these partnerships."""
    ids = list(partnership_ids)
    return Q(pk__in=PersonRole.objects.filter(partnership_id__in=ids).values("person_id")) | Q(
        pk__in=Stay.objects.filter(partnership_id__in=ids).values("person_id")
    )


def people_with_personal_access(user: AnyUser) -> QuerySet[Person]:
    """People whose names, contact details and external ids this user may see (never researchers)."""
    if is_hub_admin(user):
        return Person.objects.filter(deleted_at__isnull=True)
    return Person.objects.filter(_in_partnerships(personal_partnership_ids(user)), deleted_at__isnull=True)


def people_visible_to(user: AnyUser) -> QuerySet[Person]:
    if is_hub_admin(user):
        return Person.objects.filter(deleted_at__isnull=True)
    if not user.is_authenticated:
        return Person.objects.none()
    visible = _in_partnerships(personal_partnership_ids(user))
    if is_researcher(user):
        # consenting people of partnerships open to research (not drafts): never someone whose only
        # partnerships are drafts
        open_to_research = Partnership.objects.filter(deleted_at__isnull=True).exclude(publication=Publication.DRAFT)
        visible |= Q(research_consent=True) & _in_partnerships(open_to_research.values_list("pk", flat=True))
    return Person.objects.filter(visible, deleted_at__isnull=True)


def people_editable_by(user: AnyUser) -> QuerySet[Person]:
    """People a user may change: those with a role or a stay in a partnership the user coordinates (hub admins:
    everyone). Membership of a partnership gives reading, never writing."""
    if is_hub_admin(user):
        return Person.objects.filter(deleted_at__isnull=True)
    editable = registry_selectors.partnerships_editable_by(user).values_list("pk", flat=True)
    return Person.objects.filter(_in_partnerships(editable), deleted_at__isnull=True)


def not_yours_message(external_id: str) -> str:
    """One answer, wherever an external id names nobody the user may change: whether it is unused or belongs to
    someone outside the user's partnerships is not said (pages, importers and API alike)."""
    return _("no person with external id %(id)r among the people of the partnerships you coordinate") % {
        "id": external_id
    }


def can_edit_person(user: AnyUser, person: Person) -> bool:
    return people_editable_by(user).filter(pk=person.pk).exists()


def can_edit_tie(user: AnyUser, person_a: Person, person_b: Person) -> bool:
    """A tie is recorded, changed and deleted by someone who may edit both of its people."""
    return people_editable_by(user).filter(pk__in=[person_a.pk, person_b.pk]).count() == 2


ORCID = re.compile(r"(?<![\dX])(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])(?![\dX])", re.IGNORECASE)


def normalise_orcid(text: str | None) -> str:
    """0000-0002-1825-0097 from an ORCID iD written any usual way (https://orcid.org/…, `ORCID: …`, without
    hyphens); "" when there is none or its check digit (ISO 7064 MOD 11-2) is wrong."""
    found = ORCID.search(text or "")
    if not found:
        return ""
    digits = "".join(found.groups()).upper()
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    if digits[-1] != ("X" if check == 10 else str(check)):
        return ""
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


def _editable(user: AnyUser | None) -> QuerySet[Person]:
    """People a user may change; `None` (the console, no --user) may change everyone."""
    return live_people() if user is None else people_editable_by(user)


def people_with_orcids(user: AnyUser | None, orcids: Iterable[str]) -> list[Person]:
    """People the user may edit whose external id is one of these ORCID iDs (a registry keyed by ORCID)."""
    wanted = {o for o in (normalise_orcid(o) for o in orcids) if o}
    if not wanted:
        return []
    q = Q()
    for orcid in wanted:
        q |= Q(external_id__icontains=orcid) | Q(external_id__icontains=orcid.replace("-", ""))
    return [p for p in _editable(user).filter(q).order_by("pk") if normalise_orcid(p.external_id) in wanted]


LOOSE_LETTERS = set("aceinorsuyz")


def name_key(text: str) -> str:
    """A name compared without case, accents, hyphens or spaces: 'Okéllo-Ayo' == 'okello ayo'."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return re.sub(r"[\W\d_]+", "", plain.casefold())


def people_named(user: AnyUser, names: Sequence[tuple[str, str]]) -> list[list[Person]]:
    """For each (family name, given names): the people the user may edit with that family name and, when both
    are known, given names that start with the same letter. Only people whose partnership the user may edit are
    ever proposed (never someone the user cannot see)."""
    keys = [(name_key(family), name_key(given)[:1]) for family, given in names]
    families = sorted({family for family, _initial in keys if family})
    if not families:
        return [[] for _name in names]
    # The database narrows by a pattern that lets any letter that may carry an accent be anything (Okello finds
    # Okéllo, and Okello-Ayo finds Okello Ayo); the keys compared below decide.
    patterns = ["[ '’.-]*".join("." if ch in LOOSE_LETTERS else re.escape(ch) for ch in key) for key in families]
    found = list(
        PersonalData.objects.filter(
            family_name__iregex="^(" + "|".join(patterns) + ")$", person__in=people_editable_by(user)
        )
        .select_related("person", "person__home_institution")
        .order_by("family_name", "given_name", "person_id")
    )
    out = []
    for family, initial in keys:
        out.append(
            [
                d.person
                for d in found
                if family
                and name_key(d.family_name) == family
                and (not initial or not d.given_name or name_key(d.given_name)[:1] == initial)
            ]
        )
    return out


def can_see_personal(user: AnyUser, person: Person) -> bool:
    return people_with_personal_access(user).filter(pk=person.pk).exists()


def stays_visible_to(user: AnyUser) -> QuerySet[Stay]:
    live = Stay.objects.filter(person__deleted_at__isnull=True, partnership__deleted_at__isnull=True)
    if is_hub_admin(user):
        return live
    if not user.is_authenticated:
        return Stay.objects.none()
    visible = Q(partnership_id__in=personal_partnership_ids(user))
    if is_researcher(user):
        visible |= Q(person__research_consent=True) & ~Q(partnership__publication=Publication.DRAFT)
    return live.filter(visible)


def ties_visible_to(user: AnyUser) -> QuerySet[Tie]:
    people = people_visible_to(user).values("pk")
    return Tie.objects.filter(person_a_id__in=people, person_b_id__in=people)


def partnership_ids_by_person(person_ids: Iterable[int]) -> dict[int, set[int]]:
    ids = list(person_ids)
    links: dict[int, set[int]] = defaultdict(set)
    for person_id, partnership_id in PersonRole.objects.filter(person_id__in=ids).values_list(
        "person_id", "partnership_id"
    ):
        links[person_id].add(partnership_id)
    for person_id, partnership_id in (
        Stay.objects.filter(person_id__in=ids).values_list("person_id", "partnership_id").distinct()
    ):
        links[person_id].add(partnership_id)
    return links


def continuum_q(cls: str) -> Q:
    """Stays of one continuum class, from the configured bounds (computed, not stored)."""
    short, medium, long_term, settlement = continuum_bounds()
    ranges = {
        ContinuumClass.VISIT: (0, short),
        ContinuumClass.SHORT_STAY: (short, medium),
        ContinuumClass.MEDIUM_STAY: (medium, long_term),
        ContinuumClass.LONG_TERM: (long_term, settlement),
        ContinuumClass.SETTLEMENT: (settlement, None),
    }
    if cls not in ranges:
        return Q(pk__in=[])
    low, high = ranges[ContinuumClass(cls)]
    q = Q(duration_days__gte=low)
    return q & Q(duration_days__lt=high) if high is not None else q


def stay_list(
    user: AnyUser,
    *,
    partnership: str = "",
    person: str = "",
    mode: str = "",
    continuum_class: str = "",
    start_after: date | None = None,
    end_before: date | None = None,
    host_country: str = "",
) -> QuerySet[Stay]:
    qs = stays_visible_to(user)
    if partnership:
        qs = qs.filter(partnership__slug=partnership)
    if person:
        qs = (
            qs.filter(person__pseudo_id=person)
            if person.startswith("HL-")
            else qs.filter(person__external_id=person, person__in=people_with_personal_access(user))
        )
    if mode:
        qs = qs.filter(mode=mode)
    if continuum_class:
        qs = qs.filter(continuum_q(continuum_class))
    if start_after:
        qs = qs.filter(start_date__gte=start_after)
    if end_before:
        qs = qs.filter(end_date__lte=end_before)
    if host_country:
        qs = qs.filter(host_institution__country_id=host_country.upper())
    return qs


def inferred_ties(stays: Iterable[Stay]) -> list[dict[str, Any]]:
    """Co-presence: two people whose physical stays at the same host overlap. Computed, never stored;
    one entry per pair and host, with the days they overlapped."""
    by_host: dict[int, list[Stay]] = defaultdict(list)
    for stay in stays:
        if stay.mode == Mode.PHYSICAL:
            by_host[stay.host_institution_id].append(stay)
    pairs: dict[tuple[int, int, int], dict[str, Any]] = {}
    for host, group in by_host.items():
        group.sort(key=lambda s: s.start_date)
        active: list[Stay] = []
        for stay in group:
            active = [s for s in active if s.end_date >= stay.start_date]
            for other in active:
                if other.person_id == stay.person_id:
                    continue
                a, b = sorted((other.person_id, stay.person_id))
                overlap = (min(other.end_date, stay.end_date) - stay.start_date).days + 1
                key = (a, b, host)
                entry = pairs.setdefault(
                    key, {"person_a": a, "person_b": b, "host": host, "days": 0, "start_date": stay.start_date}
                )
                entry["days"] += overlap
            active.append(stay)
    return list(pairs.values())


def mobility_summary(stays: QuerySet[Stay]) -> dict[str, Any]:
    """Counts for the mobility page: stays per year by mode and continuum class, volunteer days per
    year, repeat-visitor share, cumulative days and virtual hours by host country."""
    rows = list(
        stays.values(
            "start_date",
            "mode",
            "duration_days",
            "person_id",
            "host_institution_id",
            "virtual_hours",
            "host_institution__country__name",
            "repeat_index",
        )
    )
    by_year: dict[tuple[int, str, str], int] = defaultdict(int)
    days_by_year: dict[int, int] = defaultdict(int)
    by_country: dict[str, dict[str, float]] = defaultdict(lambda: {"days": 0, "hours": 0.0, "stays": 0})
    from healthlinks.network.models import continuum_class_of

    visits_per_person_host: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows:
        year = r["start_date"].year
        cls = continuum_class_of(r["duration_days"]) if r["mode"] == Mode.PHYSICAL else "virtual"
        by_year[(year, r["mode"], cls)] += 1
        country = by_country[r["host_institution__country__name"]]
        country["stays"] += 1
        if r["mode"] == Mode.PHYSICAL:
            days_by_year[year] += r["duration_days"]
            country["days"] += r["duration_days"]
            visits_per_person_host[(r["person_id"], r["host_institution_id"])] += 1
        else:
            country["hours"] += float(r["virtual_hours"] or 0)
    visitors = {person for person, _host in visits_per_person_host}
    repeaters = {person for (person, _host), n in visits_per_person_host.items() if n >= 2}
    return {
        "stays": len(rows),
        "people": len({r["person_id"] for r in rows}),
        "physical": sum(1 for r in rows if r["mode"] == Mode.PHYSICAL),
        "virtual": sum(1 for r in rows if r["mode"] == Mode.VIRTUAL),
        "volunteer_days": sum(days_by_year.values()),
        "virtual_hours": round(sum(float(r["virtual_hours"] or 0) for r in rows if r["mode"] == Mode.VIRTUAL), 1),
        "repeat_visitor_share": (len(repeaters) / len(visitors)) if visitors else None,
        "by_year": [{"year": y, "mode": m, "class": c, "stays": n} for (y, m, c), n in sorted(by_year.items())],
        "days_by_year": [{"year": y, "days": d} for y, d in sorted(days_by_year.items())],
        "by_country": sorted(({"country": k, **v} for k, v in by_country.items()), key=lambda r: -r["stays"]),
    }


def person_totals(person: Person) -> dict[str, Any]:
    agg = person.stays.aggregate(
        days=Sum("duration_days", filter=Q(mode=Mode.PHYSICAL)),
        hours=Sum("virtual_hours", filter=Q(mode=Mode.VIRTUAL)),
        stays=Count("pk"),
    )
    return {"days": agg["days"] or 0, "hours": agg["hours"] or 0, "stays": agg["stays"]}


def network_counts(user: AnyUser) -> dict[str, int]:
    """Dashboard counts over the partnerships the user can see (no person-level data), in one query."""
    partnerships = registry_selectors.partnerships_visible_to(user)
    agg = Stay.objects.filter(partnership__in=partnerships).aggregate(
        n=Count("pk"),
        days=Sum("duration_days", filter=Q(mode=Mode.PHYSICAL)),
        people=Count("person_id", distinct=True),
    )
    return {"stays": agg["n"] or 0, "volunteer_days": agg["days"] or 0, "people": agg["people"] or 0}


def partnerships_for_person(user: AnyUser, person: Person) -> QuerySet[Partnership]:
    ids = partnership_ids_by_person([person.pk]).get(person.pk, set())
    return registry_selectors.partnerships_visible_to(user).filter(pk__in=ids)
