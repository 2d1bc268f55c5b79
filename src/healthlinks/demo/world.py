"""The synthetic demo world: deterministic for a seed, realistic in shape, marked synthetic everywhere.

The world is built in stages (registry now; people, stays, activities and outcomes are later stages),
each a function taking the shared `World` context, so later issues add a stage without touching
earlier ones. Records are written by the apps' bulk services, each with its first history row.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction

from healthlinks.accounts.models import Role, User
from healthlinks.accounts.services import user_create
from healthlinks.reference.models import Country, DeliveryMethod, Specialty
from healthlinks.registry.models import (
    AccessRole,
    Institution,
    InstitutionKind,
    MemberRole,
    Partnership,
    PartnershipAccess,
    PrinciplesAssessment,
    Publication,
    Scope,
)
from healthlinks.registry.services import (
    MemberSpec,
    NewPartnership,
    assessments_create_many,
    funding_schemes_ensure_many,
    institutions_create_many,
    make_slug,
    partnership_access_grant,
    partnerships_create_many,
)

from . import places
from .activities import stage_activities
from .careers import stage_careers
from .network import stage_network, stage_stay_conditions
from .readiness import stage_readiness

SCALES = {"S": 60, "M": 2000, "L": 10000}
# A fixed "today" keeps the world identical for a seed whatever day it is built.
WORLD_TODAY = date(2026, 6, 30)
DEMO_PASSWORD = "healthlinks-demo"  # noqa: S105  (printed by `make run`; demo databases only)
DEMO_USERS = [
    ("admin", Role.HUB_ADMIN),
    ("coordinator", Role.COORDINATOR),
    ("member", Role.MEMBER),
    ("researcher", Role.RESEARCHER),
]

Progress = Callable[[str, int, int], None]


@dataclass
class World:
    scale: str
    seed: int
    rng: random.Random
    progress: Progress
    countries: dict[str, Country] = field(default_factory=dict)
    institutions: list[Institution] = field(default_factory=list)
    partnerships: list[Partnership] = field(default_factory=list)
    members: dict[int, list[MemberSpec]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    # the day the world is built: only the planned deployments of the readiness stage are placed from it (the pages
    # read "starting within 30 days" from the real today); everything else is fixed to WORLD_TODAY
    build_day: date = field(default_factory=date.today)

    @property
    def n_partnerships(self) -> int:
        return SCALES[self.scale]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class _InstitutionPool:
    """Creates plausible, uniquely named institutions on demand, reusing them across partnerships."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.names: set[str] = set()
        self.by_country: dict[str, list[Institution]] = {}

    def _name(self, iso3: str, city: str, kind: str, north: bool) -> tuple[str, str]:
        rng = self.world.rng
        country = self.world.countries[iso3].name.split(",")[0].split(" (")[0]
        if kind == InstitutionKind.HOSPITAL:
            if iso3 == "GBR":
                options = [
                    (f"{city} University Hospitals NHS Foundation Trust", Scope.REGIONAL),
                    (f"{city} Teaching Hospitals NHS Trust", Scope.REGIONAL),
                    (f"{city} Community Health NHS Trust", Scope.LOCAL),
                    (f"{city} Children's Hospital NHS Foundation Trust", Scope.NATIONAL),
                ]
            elif north:
                options = [
                    (f"{city} University Medical Centre", Scope.NATIONAL),
                    (f"{city} General Hospital", Scope.REGIONAL),
                ]
            else:
                options = [
                    (f"{city} Regional Referral Hospital", Scope.REGIONAL),
                    (f"{city} Teaching Hospital", Scope.NATIONAL),
                    (f"{city} District Hospital", Scope.LOCAL),
                    (f"St {rng.choice(places.SAINTS)}'s Hospital, {city}", Scope.LOCAL),
                    (f"{city} National Referral Hospital", Scope.NATIONAL),
                ]
        elif kind == InstitutionKind.UNIVERSITY:
            options = [
                (f"University of {city}", Scope.NATIONAL),
                (f"{city} College of Health Sciences", Scope.REGIONAL),
                (f"{city} School of Nursing and Midwifery", Scope.LOCAL),
                (f"{city} Institute of Tropical Medicine", Scope.INTERNATIONAL),
            ]
        elif kind == InstitutionKind.PROFESSIONAL:
            spec = rng.choice(["Anaesthetists", "Surgeons", "Midwives", "Paediatricians", "Nurses", "Physicians"])
            options = [
                (f"{country} Society of {spec}", Scope.NATIONAL),
                (f"College of {spec} of {country}", Scope.INTERNATIONAL),
            ]
        elif kind == InstitutionKind.NGO:
            options = [(f"{city} Health Trust", Scope.LOCAL), (f"Friends of {city} Hospitals", Scope.LOCAL)]
        else:
            options = [
                (f"Ministry of Health, {country}", Scope.NATIONAL),
                (f"{city} District Health Office", Scope.LOCAL),
            ]
        name, scope = rng.choice(options)
        base, n = name, 2
        while name in self.names:
            name, n = f"{base} ({['', '', 'II', 'III', 'IV', 'V', 'VI'][n] if n < 7 else n})", n + 1
        self.names.add(name)
        return name, scope

    def pick(self, iso3: str, north: bool, reuse: float = 0.55) -> Institution:
        rng = self.world.rng
        pool = self.by_country.setdefault(iso3, [])
        if pool and rng.random() < reuse:
            return rng.choice(pool)
        city, lat, lon = rng.choice((places.NORTH if north else places.SOUTH)[iso3])
        kind = rng.choices(
            [
                InstitutionKind.HOSPITAL,
                InstitutionKind.UNIVERSITY,
                InstitutionKind.PROFESSIONAL,
                InstitutionKind.NGO,
                InstitutionKind.GOVERNMENT,
            ],
            weights=[60, 22, 8, 6, 4],
        )[0]
        name, scope = self._name(iso3, city, kind, north)
        org_type = {
            "hospital": "10",
            "university": "80",
            "professional_association": "22",
            "ngo": "22",
            "government": "10",
        }[kind]
        if kind == InstitutionKind.NGO and north:
            org_type = "21"
        inst = Institution(
            name=name,
            country_id=iso3,
            kind=kind,
            org_type_id=org_type,
            city=city,
            latitude=round(lat + rng.uniform(-0.05, 0.05), 4),
            longitude=round(lon + rng.uniform(-0.05, 0.05), 4),
            scope=scope,
            is_synthetic=True,
        )
        pool.append(inst)
        self.world.institutions.append(inst)
        return inst


INSTITUTION_COLUMNS = ("name", "country_id", "kind", "org_type_id", "city", "latitude", "longitude", "scope")


def stage_registry(world: World) -> None:
    rng = world.rng
    world.countries = {c.iso3: c for c in Country.objects.filter(iso3__in=[*places.NORTH, *places.SOUTH])}
    specialties = list(Specialty.objects.order_by("slug"))
    methods = list(DeliveryMethod.objects.order_by("slug"))
    schemes = funding_schemes_ensure_many(
        schemes=[{"slug": slug, "name": name, "funder": funder} for slug, name, funder in places.FUNDING_SCHEMES]
    )
    pool = _InstitutionPool(world)
    plans: list[tuple[dict[str, Any], list[tuple[Institution, str]], list[Any], list[Any], Any]] = []
    members: list[tuple[Institution, str]]
    slugs: set[str] = set()
    n = world.n_partnerships
    for i in range(n):
        south_south = rng.random() < 0.08
        lead_country = _weighted(rng, places.SOUTH_WEIGHTS) if south_south else _weighted(rng, places.NORTH_WEIGHTS)
        lead = pool.pick(lead_country, north=not south_south)
        partner_country = _weighted(rng, places.SOUTH_WEIGHTS)
        while south_south and partner_country == lead_country:
            partner_country = _weighted(rng, places.SOUTH_WEIGHTS)
        members = [(lead, MemberRole.LEAD), (pool.pick(partner_country, north=False), MemberRole.PARTNER)]
        extra = rng.choices([0, 1, 2], weights=[80, 14, 6])[0]
        for _ in range(extra):
            other = pool.pick(_weighted(rng, places.SOUTH_WEIGHTS), north=False)
            if other not in [m for m, _r in members]:
                members.append((other, MemberRole.PARTNER))
        spec = rng.sample(specialties, rng.choices([1, 2, 3], weights=[55, 35, 10])[0])
        start = date(rng.randint(2008, 2025), rng.randint(1, 12), 1)
        end = None if rng.random() < 0.35 else start + timedelta(days=rng.randint(2, 10) * 365)
        short = lambda inst: inst.city or inst.name.split()[0]  # noqa: E731
        name = f"{short(lead)}–{short(members[1][0])} {spec[0].name} Partnership"
        base = make_slug(name)
        slug, k = base, 2
        while slug in slugs:
            slug, k = f"{base}-{k}", k + 1
        slugs.add(slug)
        publication = rng.choices(
            [Publication.PUBLISHED, Publication.DRAFT, Publication.ARCHIVED], weights=[85, 10, 5]
        )[0]
        infra = rng.random() < 0.56  # Edwards: 30/54 planned infrastructure strengthening
        fields = {  # (the draws in this order: the world of a seed stays the same)
            "name": name,
            "slug": slug,
            "start_date": start,
            "end_date": end,
            "publication": publication,
            "summary": (
                f"A synthetic partnership between {lead.name} and {members[1][0].name} strengthening "
                f"{spec[0].name.lower()} through training" + (" and infrastructure" if infra else "") + "."
            ),
            "capacity_focus": rng.choice(["individual", "organisational"]),
            "intervention": "training_infrastructure" if infra else "training",
            "skills": "generic" if rng.random() < 0.44 else "specialist",
            "delivery": "third_party" if rng.random() < 0.2 else "direct",
            "visiting_groups": rng.choice(["single", "multiple"]),
            "host_entities": rng.choices(["none", "single", "multiple"], weights=[10, 60, 30])[0],
            "frequency": rng.choice(["continuous", "intermittent"]),
            "grant_reference": f"DEMO-{world.seed}-{i:05d}",
            "contact_name": f"Demo Coordinator {i}",
            "contact_email": f"coordinator{i}@example.org",
        }
        plans.append((fields, members, spec, rng.sample(methods, rng.randint(2, 4)), rng.choice(schemes)))
        if i % 500 == 0:
            world.progress("partnerships", i, n)
    world.progress("partnerships", n, n)
    # the pool's institutions were drafts: the registry's service validates and writes them, with their history
    drafts = world.institutions
    world.institutions = institutions_create_many(
        by=None,
        institutions=[{name: getattr(inst, name) for name in INSTITUTION_COLUMNS} for inst in drafts],
        synthetic=True,
    )
    saved = {id(draft): inst for draft, inst in zip(drafts, world.institutions, strict=True)}
    specs = [
        NewPartnership(
            fields=fields,
            members=[MemberSpec(institution=saved[id(inst)], role=role) for inst, role in members],
            specialties=spec,
            delivery_methods=chosen_methods,
            funding_schemes=[scheme],
        )
        for fields, members, spec, chosen_methods, scheme in plans
    ]
    partnerships = partnerships_create_many(by=None, partnerships=specs, synthetic=True)
    assessments: list[PrinciplesAssessment] = []
    for p in partnerships:
        if rng.random() < 0.4:
            when = min(p.start_date + timedelta(days=rng.randint(180, 1500)), WORLD_TODAY)
            assessments.append(
                PrinciplesAssessment(
                    partnership=p, assessed_on=when, scores={str(k): rng.randint(2, 5) for k in range(1, 11)}
                )
            )
    assessments_create_many(by=None, assessments=assessments)
    world.partnerships = partnerships
    world.members = {p.pk: list(new.members) for p, new in zip(partnerships, specs, strict=True)}
    world.stats.update(
        partnerships=len(partnerships),
        institutions=len(world.institutions),
        memberships=sum(len(m) for m in world.members.values()),
    )


def stage_users(world: World) -> None:
    """Demo accounts, one per role; the coordinator and member get the first published partnerships."""
    published = [p for p in world.partnerships if p.publication == Publication.PUBLISHED]
    for username, role in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(username=username, role=role, password=DEMO_PASSWORD)
        if role in (Role.COORDINATOR, Role.MEMBER) and published:
            access = AccessRole.COORDINATOR if role == Role.COORDINATOR else AccessRole.MEMBER
            for p in published[:3]:
                if not PartnershipAccess.objects.filter(user=user, partnership=p).exists():
                    partnership_access_grant(partnership=p, user=user, role=access)
    world.stats["users"] = len(DEMO_USERS)


def stage_evaluation(world: World) -> None:
    from healthlinks.evaluation.demo import stage_evaluation as build

    build(world)


STAGES: list[Callable[[World], None]] = [
    stage_registry,
    stage_network,
    stage_activities,
    stage_stay_conditions,
    stage_users,
    stage_evaluation,
    stage_readiness,
    stage_careers,
]


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@transaction.atomic
def world_build(
    *, scale: str = "S", seed: int = 1, progress: Progress | None = None, build_day: date | None = None
) -> dict[str, int]:
    """Build the demo world into an empty registry. Refuses to mix with existing partnerships. `build_day` (default:
    today) places the planned deployments of the readiness stage; the rest of the world is the same whatever it is."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose S, M or L")
    if Partnership.objects.exists():
        raise ValueError("the database already holds partnerships; the demo world is built only into an empty registry")
    world = World(scale=scale, seed=seed, rng=random.Random(seed), progress=progress or _quiet)
    if build_day is not None:
        world.build_day = build_day
    for stage in STAGES:
        stage(world)
    from healthlinks.changes import changed

    changed()  # the stages write in bulk, past the signals: cached analyses must see the new world
    with connection.cursor() as cursor:
        # fresh planner statistics: PostgreSQL's autovacuum would take minutes to notice a million new rows, and
        # until then joins the pages make are planned for tables a quarter of their size (10x slower at M)
        cursor.execute("ANALYZE")
    return world.stats
