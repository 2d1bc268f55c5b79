"""Demo stage: people, stays and ties for every partnership of the synthetic world.

Volunteer archetypes give a realistic mix (domain.md §3): one-off short visitors, repeat (circular)
visitors, medium stays, long-term placements (>= 6 months, as the HPS long-term grants required) and
virtual mentors; counterparts at the host sometimes make a reverse visit. Stays of one person never
overlap. The stage writes through the network services, a partnership chunk at a time
(`people_save_many`, `stays_save_many`, `ties_save_many`): validated as a form's edit is, each record with its
first history row.

A later stage (`stage_stay_conditions`, after the activities) records the enabling conditions of the physical
stays (issue 26), from a random stream of its own so that every other seeded number stays as it was, with one
planted effect: a named counterpart at the host goes with practice change (see CONDITION_PLANT).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from healthlinks.network.models import PSEUDO_ALPHABET, STAY_CONDITIONS, Person, PersonalData, PersonRole, Stay, Tie
from healthlinks.network.services import (
    PersonIn,
    RoleSpec,
    people_save_many,
    stays_conditions_save_many,
    stays_save_many,
    ties_save_many,
)

if TYPE_CHECKING:
    from healthlinks.demo.world import World

PEOPLE_PER_PARTNERSHIP = 50  # M: ~100,000 people and ~500,000 stays
VOLUNTEER_CADRES = [
    ("2212", 30),
    ("2221", 25),
    ("2222", 10),
    ("2211", 10),
    ("2264", 6),
    ("2262", 5),
    ("3212", 4),
    ("1342", 5),
    ("2240", 2),
    ("2310", 3),
]
COUNTERPART_CADRES = [
    ("2221", 30),
    ("2222", 15),
    ("2211", 12),
    ("2212", 10),
    ("2240", 10),
    ("3221", 8),
    ("3253", 5),
    ("2262", 4),
    ("1342", 6),
]
NORTH_GRADES = ["Band 5", "Band 6", "Band 7", "Band 8a", "Specialty registrar", "Consultant", "Lecturer"]
SOUTH_GRADES = [
    "Enrolled nurse",
    "Registered nurse",
    "Nursing officer",
    "Medical officer",
    "Senior consultant",
    "Clinical officer",
    "Lecturer",
]
GIVEN = [
    "Amina",
    "John",
    "Grace",
    "Peter",
    "Mary",
    "Joseph",
    "Sarah",
    "David",
    "Esther",
    "Samuel",
    "Ruth",
    "James",
    "Fatima",
    "Emmanuel",
    "Agnes",
    "Patrick",
    "Claire",
    "Tom",
    "Priya",
    "Sanjay",
    "Hannah",
    "Ali",
    "Nana",
    "Kwame",
    "Aisha",
    "Ibrahim",
    "Florence",
    "Moses",
    "Rebecca",
    "Daniel",
    "Chloe",
    "Oliver",
]
FAMILY = [
    "Okello",
    "Smith",
    "Mensah",
    "Banda",
    "Kamau",
    "Mwangi",
    "Jones",
    "Patel",
    "Nakato",
    "Phiri",
    "Williams",
    "Osei",
    "Uwase",
    "Habimana",
    "Ahmed",
    "Brown",
    "Taylor",
    "Mutua",
    "Achieng",
    "Tembo",
    "Chanda",
    "Sesay",
    "Kargbo",
    "Tesfaye",
    "Shrestha",
    "Rahman",
    "Murphy",
    "Evans",
    "Kato",
    "Nkosi",
]
ARCHETYPES = [("visitor", 30), ("repeat", 30), ("medium", 6), ("long", 8), ("virtual", 26)]
PURPOSE_SETS = [
    ["teaching"],
    ["teaching", "mentoring"],
    ["clinical_service", "teaching"],
    ["assessment"],
    ["curriculum_development", "teaching"],
    ["research"],
    ["management", "mentoring"],
]
CHUNK = 200  # partnerships per insert batch, to bound memory at M and L


def _pseudo(rng: random.Random) -> str:
    return "HL-" + "".join(rng.choice(PSEUDO_ALPHABET) for _ in range(10))


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _Builder:
    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = world.rng
        self.pseudo_ids: set[str] = set()
        self.n_person = 0
        self.n_stay = 0
        self.reset()

    def reset(self) -> None:
        self.people: list[Person] = []
        self.personal: list[PersonalData] = []
        self.roles: list[PersonRole] = []
        self.stays: list[Stay] = []
        self.ties: list[tuple[Person, Person, str, date]] = []

    def person(
        self, home: Any, cadres: list[tuple[str, int]], grades: list[str], partnership: Any, role: str
    ) -> Person:
        rng = self.rng
        pseudo = _pseudo(rng)
        while pseudo in self.pseudo_ids:
            pseudo = _pseudo(rng)
        self.pseudo_ids.add(pseudo)
        self.n_person += 1
        consent = rng.random() < 0.7
        person = Person(
            pseudo_id=pseudo,
            external_id=f"DEMO-P{self.world.seed}-{self.n_person:07d}",
            cadre_id=_weighted(rng, cadres),
            sex=rng.choices(["female", "male", "not_recorded"], weights=[58, 40, 2])[0],
            home_institution=home,
            grade=rng.choice(grades),
            research_consent=consent,
            consent_date=partnership.start_date + timedelta(days=rng.randint(0, 300)) if consent else None,
            is_synthetic=True,
        )
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        self.people.append(person)
        self.personal.append(
            PersonalData(
                person=person,
                given_name=given,
                family_name=family,
                email=f"{given}.{family}.{self.n_person}@example.org".lower(),
            )
        )
        self.roles.append(PersonRole(person=person, partnership=partnership, role=role))
        return person

    def stay(
        self,
        person: Person,
        partnership: Any,
        sending: Any,
        host: Any,
        mode: str,
        start: date,
        days: int,
        hours: float | None = None,
    ) -> Stay:
        rng = self.rng
        self.n_stay += 1
        stay = Stay(
            external_id=f"DEMO-S{self.world.seed}-{self.n_stay:08d}",
            person=person,
            partnership=partnership,
            sending_institution=sending,
            host_institution=host,
            mode=mode,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            purposes=rng.choice(PURPOSE_SETS),
            virtual_hours=Decimal(str(hours)) if hours is not None else None,
            funding=rng.choices(["partnership", "self", "other"], weights=[70, 20, 10])[0],
            is_synthetic=True,
        )
        self.stays.append(stay)
        return stay

    def partnership(self, p: Any) -> None:
        rng = self.rng
        members = self.world.members.get(p.pk, [])
        if len(members) < 2:
            return
        north = [m.institution for m in members if m.institution.country.income_group == "HIC"]
        south = [m.institution for m in members if m.institution.country.income_group != "HIC"]
        senders = north or [members[0].institution]
        hosts = south or [members[-1].institution]
        life_end = min(p.end_date or self.world_today(), self.world_today())
        span = max((life_end - p.start_date).days, 60)
        n_people = max(4, int(rng.gauss(PEOPLE_PER_PARTNERSHIP, PEOPLE_PER_PARTNERSHIP / 4)))
        n_volunteers = int(n_people * 0.6)
        counterparts = [
            self.person(rng.choice(hosts), COUNTERPART_CADRES, SOUTH_GRADES, p, "counterpart")
            for _ in range(n_people - n_volunteers)
        ]
        for _ in range(n_volunteers):
            sending = rng.choice(senders)
            host = rng.choice(hosts)
            archetype = _weighted(rng, ARCHETYPES)
            person = self.person(
                sending, VOLUNTEER_CADRES, NORTH_GRADES, p, "mentor" if archetype == "virtual" else "volunteer"
            )
            day = p.start_date + timedelta(days=rng.randint(0, max(span - 30, 1)))
            if archetype == "visitor":
                self.stay(
                    person, p, sending, host, "physical", day, rng.choice([rng.randint(4, 13), rng.randint(14, 40)])
                )
            elif archetype == "repeat":
                for _visit in range(rng.randint(2, 10)):
                    if day > life_end:
                        break
                    length = rng.randint(7, 30)
                    self.stay(person, p, sending, host, "physical", day, length)
                    day += timedelta(days=length + rng.randint(120, 500))
            elif archetype == "medium":
                self.stay(person, p, sending, host, "physical", day, rng.randint(90, 179))
            elif archetype == "long":
                self.stay(person, p, sending, host, "physical", day, rng.randint(180, 420))
            else:
                for _block in range(rng.randint(8, 24)):  # monthly-ish mentoring blocks
                    if day > life_end:
                        break
                    length = rng.randint(7, 60)
                    self.stay(person, p, sending, host, "virtual", day, length, hours=round(rng.uniform(2, 20), 1))
                    day += timedelta(days=length + rng.randint(10, 120))
            if counterparts:
                mentee = rng.choice(counterparts)
                kind = "mentor_mentee" if archetype in ("virtual", "long", "repeat") else "counterparts"
                self.ties.append((person, mentee, kind, day))
        for person in counterparts:
            if rng.random() < 0.7:  # virtual engagement with the northern partner (e-learning, remote mentoring)
                day = p.start_date + timedelta(days=rng.randint(0, max(span // 2, 1)))
                for _block in range(rng.randint(4, 14)):
                    if day > life_end:
                        break
                    length = rng.randint(7, 45)
                    self.stay(
                        person,
                        p,
                        person.home_institution,
                        rng.choice(senders),
                        "virtual",
                        day,
                        length,
                        hours=round(rng.uniform(1, 12), 1),
                    )
                    day += timedelta(days=length + rng.randint(10, 90))
            if rng.random() < 0.15:  # a reverse (South -> North) visit
                day = p.start_date + timedelta(days=rng.randint(0, max(span - 30, 1)))
                self.stay(person, p, person.home_institution, rng.choice(senders), "physical", day, rng.randint(7, 60))
        if len(counterparts) >= 2:
            for _ in range(len(counterparts) // 4):
                a, b = rng.sample(counterparts, 2)
                self.ties.append((a, b, "co_trainers", p.start_date))

    def world_today(self) -> date:
        from healthlinks.demo.world import WORLD_TODAY

        return WORLD_TODAY

    def flush(self) -> None:
        """Write the chunk through the services. The builder's people are drafts: the services create the people,
        and the stays and ties are pointed at them."""
        people = [
            PersonIn(
                external_id=person.external_id,
                fields={
                    "cadre_id": person.cadre_id,
                    "sex": person.sex,
                    "home_institution": person.home_institution,
                    "grade": person.grade,
                    "research_consent": person.research_consent,
                    "consent_date": person.consent_date,
                },
                personal={"given_name": data.given_name, "family_name": data.family_name, "email": data.email},
                roles=(RoleSpec(partnership_id=role.partnership.pk, role=role.role),),
                pseudo_id=person.pseudo_id,
                synthetic=True,
            )
            for person, data, role in zip(self.people, self.personal, self.roles, strict=True)
        ]
        created, _updated = people_save_many(by=None, people=people)
        saved = {person.pseudo_id: person for person in created}
        for stay in self.stays:
            stay.person = saved[stay.person.pseudo_id]
        stays_save_many(by=None, stays=self.stays, role=None)  # each person holds their role in the partnership
        ties: dict[tuple[int, int, str], Tie] = {}
        for draft_a, draft_b, kind, start in self.ties:
            a, b = saved[draft_a.pseudo_id], saved[draft_b.pseudo_id]
            if a.pk == b.pk:
                continue
            if kind != "mentor_mentee" and b.pk < a.pk:
                a, b = b, a
            ties.setdefault(
                (a.pk, b.pk, kind),
                Tie(person_a=a, person_b=b, kind=kind, start_date=start, source="synthetic demo world"),
            )
        ties_save_many(by=None, ties=list(ties.values()))
        stats = self.world.stats
        stats["people"] = stats.get("people", 0) + len(self.people)
        stats["stays"] = stats.get("stays", 0) + len(self.stays)
        stats["ties"] = stats.get("ties", 0) + len(ties)
        self.reset()


def stage_network(world: World) -> None:
    builder = _Builder(world)
    total = len(world.partnerships)
    for index, partnership in enumerate(world.partnerships, start=1):
        builder.partnership(partnership)
        if index % CHUNK == 0 or index == total:
            builder.flush()
            world.progress("people, stays", index, total)


# The enabling conditions of the physical stays (issue 26). They are drawn after the activities and their outcomes,
# from a random stream of their own (the world's stream is left where it was, so every other seeded number is the
# same with or without them). The planted effect: a stay's chance of a named counterpart rises with the share of
# its trainees whose practice changed at follow-up (slope CONDITION_PLANT["named_counterpart"]), which is the same
# association as a counterpart raising the chance of practice change; 0 plants none. The other conditions are
# drawn without regard to the outcomes (prior contact is likelier on a repeat visit).
CONDITION_PLANT = {"named_counterpart": 1.5}
CONDITIONS_RECORDED = 0.85  # share of stays whose conditions the coordinator recorded at all
CONDITION_UNKNOWN = 0.05  # of those, each condition left unknown
CONDITION_RATES = {"protected_time": 0.6, "leave_backfill": 0.5, "shared_language": 0.7}


def _condition_stream(seed: int) -> random.Random:
    return random.Random(f"stay-conditions-{seed}")


def stage_stay_conditions(world: World) -> None:
    from django.db.models import Count, Q

    from healthlinks.activities.models import Outcome

    rng = _condition_stream(world.seed)
    slope = CONDITION_PLANT["named_counterpart"]
    ids = [p.pk for p in world.partnerships]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        stays = list(Stay.objects.filter(partnership_id__in=chunk, mode="physical").order_by("pk"))
        rates = {
            row["activity__stays"]: row["changed"] / row["n"]
            for row in Outcome.objects.filter(
                level=3, practice_changed__isnull=False, activity__stays__partnership_id__in=chunk
            )
            .values("activity__stays")
            .annotate(n=Count("pk"), changed=Count("pk", filter=Q(practice_changed=True)))
        }
        for stay in stays:
            recorded = rng.random() < CONDITIONS_RECORDED
            draws = [rng.random() for _ in range(10)]  # a fixed number per stay: one stay's draw never shifts another's
            if not recorded:
                continue
            rate = rates.get(stay.pk)
            p_counterpart = 0.55 if rate is None else min(max(0.55 + slope * (rate - 0.5), 0.05), 0.95)
            p_prior = 0.9 if stay.repeat_index >= 2 else 0.25
            chances = {
                "named_counterpart": p_counterpart,
                "protected_time": CONDITION_RATES["protected_time"],
                "leave_backfill": CONDITION_RATES["leave_backfill"],
                "prior_contact": p_prior,
                "shared_language": CONDITION_RATES["shared_language"],
            }
            for index, (name, chance) in enumerate(chances.items()):
                unknown = draws[2 * index] < CONDITION_UNKNOWN
                setattr(stay, name, None if unknown else draws[2 * index + 1] < chance)
        stays_conditions_save_many(
            by=None, stays=[s for s in stays if any(getattr(s, n) is not None for n in STAY_CONDITIONS)]
        )
        world.progress("stay conditions", min(start + CHUNK, len(ids)), len(ids))
