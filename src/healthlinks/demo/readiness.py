"""Demo stage: deployment readiness (docs/readiness.md): the hub's checklist, each recent physical stay's checks, and
a few planned deployments about to start with items still missing, so that the coordinator's home lists them.

The hub adopted its checklist ADOPTED_DAYS before the world's today: physical stays that start since then have
their checks, older ones none. Most past stays have every item done (evidence notes included); the others miss one or
two items, or have one done without the evidence it needs. Stays under way have their pre-departure items.

Planned deployments are placed from the day the world is built (`World.build_day`, the pages' today), not from the
fixed WORLD_TODAY: a stay "starting within 30 days" has to be within 30 days of the day the pages are read. They go
to volunteers already in the partnership (whose stays all ended well before) in the coordinator's partnerships and a
share of the other published, unfinished ones. Everything is drawn from a random stream of its own, so every other
seeded number is the same with or without this stage; for a seed and a build day the stage is the same.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from healthlinks.network.models import Mode, PersonRole, Stay
from healthlinks.network.services import stays_save_many
from healthlinks.readiness.models import ItemKind, ReadinessCheck, ReadinessItem
from healthlinks.readiness.services import checks_create_many, items_create_defaults
from healthlinks.registry.models import AccessRole, PartnershipAccess, Publication

if TYPE_CHECKING:
    from healthlinks.demo.world import World

ADOPTED_DAYS = 730  # the checklist is used for physical stays starting in the two years before the world's today
PAST_ALL_DONE = 0.85  # share of ended stays with every item done
NO_EVIDENCE = 0.1  # chance that an item of a planned deployment needing evidence is done without any
PLANNED_SHARE = 0.15  # share of the other published, unfinished partnerships with planned deployments
PLANNED_WITHIN = 45  # planned deployments start from the build day to this many days after it
CHUNK = 2000  # stays per batch of checks
EVIDENCE_NOTES = {
    "Professional registration in the host country": "Temporary licence {n}",
    "Indemnity and insurance": "Policy {n}",
    "Occupational health and vaccinations": "Clearance letter {n}",
}


def _stream(seed: int) -> random.Random:
    return random.Random(f"readiness-{seed}")


def stage_readiness(world: World) -> None:
    from healthlinks.demo.world import WORLD_TODAY

    rng = _stream(world.seed)
    items_create_defaults(by=None)
    items = list(ReadinessItem.objects.filter(active=True).order_by("position", "name"))
    planned = _planned_stays(world, rng)
    adopted = WORLD_TODAY - timedelta(days=ADOPTED_DAYS)
    stays = list(
        Stay.objects.filter(mode=Mode.PHYSICAL, start_date__gte=adopted)  # the registry holds only this world
        .exclude(pk__in=[s.pk for s in planned])
        .only("pk", "start_date", "end_date")
        .order_by("pk")
    )
    made = 0
    for start in range(0, len(stays), CHUNK):
        checks: list[ReadinessCheck] = []
        for stay in stays[start : start + CHUNK]:
            checks.extend(_recorded(rng, stay, items, WORLD_TODAY))
        made += len(checks_create_many(by=None, checks=checks))
    checks = []
    for stay in planned:
        checks.extend(_planned(rng, stay, items, world.build_day))
    made += len(checks_create_many(by=None, checks=checks))
    world.stats["readiness checks"] = made


def _note(rng: random.Random, item: ReadinessItem) -> str:
    template = EVIDENCE_NOTES.get(item.name)
    return template.format(n=f"DEMO-{rng.randint(10000, 99999)}") if template else ""


def _check(
    rng: random.Random, stay: Stay, item: ReadinessItem, done_on: date, missing_evidence: float = NO_EVIDENCE
) -> ReadinessCheck:
    note = _note(rng, item) if item.evidence_needed and rng.random() >= missing_evidence else ""
    return ReadinessCheck(stay_id=stay.pk, item_id=item.pk, done_on=done_on, note=note)


def _done_on(rng: random.Random, stay: Stay, item: ReadinessItem) -> date:
    if item.kind == ItemKind.DEBRIEF:
        return stay.end_date + timedelta(days=rng.randint(2, 30))
    if item.name == "Induction at the host":
        return stay.start_date + timedelta(days=rng.randint(0, 3))
    return stay.start_date - timedelta(days=rng.randint(5, 60))


def _recorded(rng: random.Random, stay: Stay, items: list[ReadinessItem], today: date) -> list[ReadinessCheck]:
    """The checks of a stay already under way or ended on the world's today."""
    ended = stay.end_date < today
    complete = rng.random() < PAST_ALL_DONE if ended else rng.random() < 0.7
    gaps = set() if complete else set(rng.sample(range(len(items)), rng.choice([1, 1, 2])))
    checks = []
    for index, item in enumerate(items):
        done_on = _done_on(rng, stay, item)
        if done_on > today:
            continue
        if index in gaps:
            if item.evidence_needed and rng.random() < 0.4:  # done, but nothing shows it
                checks.append(ReadinessCheck(stay_id=stay.pk, item_id=item.pk, done_on=done_on))
            continue
        checks.append(_check(rng, stay, item, done_on, missing_evidence=0.0))
    return checks


def _planned(rng: random.Random, stay: Stay, items: list[ReadinessItem], today: date) -> list[ReadinessCheck]:
    """The checks of a deployment still to come: some items done, the others missing (at least one for most)."""
    checks = []
    share = rng.choice([0.3, 0.6, 0.8, 1.0])
    for item in items:
        done_on = _done_on(rng, stay, item)
        if item.kind == ItemKind.DEBRIEF or done_on > today or rng.random() > share:
            continue
        checks.append(_check(rng, stay, item, done_on))
    return checks


def _planned_stays(world: World, rng: random.Random) -> list[Stay]:
    """Physical stays to come: in each of the demo coordinator's partnerships still running and in a share of the
    other published ones, one to three volunteers of the partnership go again, starting within PLANNED_WITHIN days
    of the build day (the first of the coordinator's within the readiness selectors' 30 days)."""
    today = world.build_day
    showcased = set(
        PartnershipAccess.objects.filter(user__username="coordinator", role=AccessRole.COORDINATOR).values_list(
            "partnership_id", flat=True
        )
    )
    running = [
        p
        for p in world.partnerships
        if p.publication == Publication.PUBLISHED and (p.end_date is None or p.end_date > today + timedelta(120))
    ]
    chosen = [p for p in running if p.pk in showcased or rng.random() < PLANNED_SHARE]
    if not chosen:
        return []
    volunteers: dict[int, list[int]] = {}
    chosen_ids = [p.pk for p in chosen]
    for some in range(0, len(chosen_ids), 500):
        for person_id, partnership_id in (
            PersonRole.objects.filter(partnership_id__in=chosen_ids[some : some + 500], role="volunteer")
            .order_by("partnership_id", "person_id")
            .values_list("person_id", "partnership_id")
        ):
            volunteers.setdefault(partnership_id, []).append(person_id)
    # each volunteer's last physical stay anywhere, and their latest in each partnership (where they would go again)
    last_end: dict[int, date] = {}
    previous: dict[tuple[int, int], Stay] = {}
    people = sorted({pk for ids in volunteers.values() for pk in ids})
    for some in range(0, len(people), 500):
        for stay in (
            Stay.objects.filter(person_id__in=people[some : some + 500], mode=Mode.PHYSICAL)
            .only(
                "person_id", "partnership_id", "sending_institution_id", "host_institution_id", "end_date", "purposes"
            )
            .order_by("start_date", "pk")
        ):
            last_end[stay.person_id] = max(stay.end_date, last_end.get(stay.person_id, stay.end_date))
            previous[(stay.person_id, stay.partnership_id)] = stay
    stays: list[Stay] = []
    taken: set[int] = set()
    for p in chosen:
        free = [
            pk
            for pk in volunteers.get(p.pk, [])
            if pk not in taken and (pk, p.pk) in previous and last_end[pk] < today - timedelta(30)
        ]
        n = min(len(free), rng.randint(2, 3) if p.pk in showcased else rng.randint(1, 3))
        for rank, person_id in enumerate(rng.sample(free, n)):
            taken.add(person_id)
            before = previous[(person_id, p.pk)]
            start = today + timedelta(days=rng.randint(1, 25) if rank == 0 else rng.randint(0, PLANNED_WITHIN))
            days = rng.choice([rng.randint(7, 30), rng.randint(7, 30), rng.randint(90, 179)])
            stays.append(
                Stay(
                    external_id=f"DEMO-R{world.seed}-{len(stays) + 1:06d}",
                    person_id=person_id,
                    partnership=p,
                    sending_institution_id=before.sending_institution_id,
                    host_institution_id=before.host_institution_id,
                    mode=Mode.PHYSICAL,
                    start_date=start,
                    end_date=start + timedelta(days=days - 1),
                    purposes=before.purposes,
                    funding="partnership",
                    is_synthetic=True,
                )
            )
    created, _updated = stays_save_many(by=None, stays=stays, role=None)
    world.stats["stays"] = world.stats.get("stays", 0) + len(created)
    return created
