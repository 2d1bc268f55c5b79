"""Demo stage: career records (docs/careers.md) of a share of the trained health workers and returning volunteers,
from follow-up surveys at about 1, 2 and 5 years after their training ended or they came back from a physical stay.

Each person followed is in post at first; at each survey they may have changed post, been promoted or moved within
the country (retained), or moved abroad or left health work (which they then stay). The yearly chance of leaving
differs by kind of start (RETENTION): trainees at the host leave a little more often (some for posts abroad),
volunteers back from long placements move abroad more often than short visitors. Drawn from a random stream of its
own (every other seeded number is the same with or without this stage), with dates up to the world's today.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from healthlinks.activities.models import Trainee
from healthlinks.careers.models import CareerRecord, CareerSource, CareerStatus
from healthlinks.careers.selectors import TRAINEE, anniversary
from healthlinks.careers.services import career_records_save_many
from healthlinks.network.models import Mode, Person, Stay, continuum_class_of

from . import places

if TYPE_CHECKING:
    from healthlinks.demo.world import World

FOLLOWED = {TRAINEE: 0.2, "volunteer": 0.4}  # share of the people of each kind with a follow-up at all
SURVEYS = {1: 0.8, 2: 0.7, 5: 0.55}  # chance that a person followed answers the survey at that many years
# yearly chance of moving abroad and of leaving health work, by kind of start
RETENTION = {
    TRAINEE: (0.05, 0.03),
    "visit": (0.015, 0.02),
    "short_stay": (0.02, 0.02),
    "medium_stay": (0.03, 0.025),
    "long_term": (0.05, 0.03),
    "settlement": (0.06, 0.03),
}
# among those retained at a survey: in post, changed post, promoted, moved within the country
MOVES = [CareerStatus.IN_POST, CareerStatus.CHANGED_POST, CareerStatus.PROMOTED, CareerStatus.MOVED_WITHIN_COUNTRY]
MOVE_WEIGHTS = {1: [70, 12, 10, 8], 2: [55, 17, 18, 10], 5: [35, 22, 30, 13]}
ABROAD = {"south": ["GBR", "USA", "CAN", "AUS", "SAU", "ZAF"], "north": ["AUS", "CAN", "NZL", "USA", "IRL"]}
POSTS = {
    "2221": "Nurse",
    "2222": "Midwife",
    "2240": "Clinical officer",
    "2211": "Medical officer",
    "2212": "Specialist doctor",
    "3221": "Enrolled nurse",
    "3253": "Community health worker",
    "2262": "Pharmacist",
    "2264": "Physiotherapist",
    "3212": "Laboratory technician",
    "1342": "Health services manager",
    "2310": "Lecturer",
}
SOUTH_LADDER = ["Enrolled nurse", "Registered nurse", "Nursing officer", "Senior nursing officer"]
NORTH_LADDER = ["Band 5", "Band 6", "Band 7", "Band 8a", "Band 8b"]
DOCTOR_LADDER = ["Medical officer", "Specialty registrar", "Senior consultant", "Consultant"]
CHUNK = 20000  # records per write


def _stream(seed: int) -> random.Random:
    return random.Random(f"careers-{seed}")


def _promoted(grade: str) -> str:
    for ladder in (SOUTH_LADDER, NORTH_LADDER, DOCTOR_LADDER):
        if grade in ladder:
            return ladder[min(ladder.index(grade) + 1, len(ladder) - 1)]
    return grade or "Senior grade"


def stage_careers(world: World) -> None:
    from healthlinks.demo.world import WORLD_TODAY

    rng = _stream(world.seed)
    starts: dict[int, tuple[date, str]] = {}  # person -> earliest start, its kind (whatever order the rows come in)
    for person_id, end in Trainee.objects.order_by().values_list(  # the registry holds only this world
        "person_id", "activity__end_date"
    ):
        if person_id not in starts or end < starts[person_id][0]:
            starts[person_id] = (end, TRAINEE)
    volunteers: set[int] = set()
    for person_id, end, days in (
        Stay.objects.filter(mode=Mode.PHYSICAL, end_date__lt=WORLD_TODAY)
        .order_by()
        .values_list("person_id", "end_date", "duration_days")
    ):
        if person_id in starts and starts[person_id][1] == TRAINEE:
            continue  # a trainee who also travelled is followed as a trainee
        volunteers.add(person_id)
        if person_id not in starts or end < starts[person_id][0]:
            starts[person_id] = (end, continuum_class_of(days))
    chosen = [
        pk
        for pk in sorted(starts)
        if rng.random() < FOLLOWED["volunteer" if pk in volunteers else TRAINEE]
        and anniversary(starts[pk][0], 1) <= WORLD_TODAY
    ]
    people: dict[int, tuple[Any, ...]] = {}
    for some in range(0, len(chosen), 5000):
        people.update(
            (row[0], row)
            for row in Person.objects.filter(pk__in=chosen[some : some + 5000]).values_list(
                "pk", "cadre_id", "grade", "home_institution_id", "home_institution__country_id"
            )
        )
    by_country: dict[str, list[int]] = {}
    for inst in world.institutions:
        by_country.setdefault(inst.country_id, []).append(inst.pk)
    records: list[CareerRecord] = []
    made = 0
    for pk in chosen:
        records.extend(_career(rng, people[pk], *starts[pk], by_country, WORLD_TODAY))
        if len(records) >= CHUNK:
            made += len(career_records_save_many(by=None, records=records))
            records = []
    made += len(career_records_save_many(by=None, records=records))
    world.stats["career records"] = made


def _career(
    rng: random.Random, person: tuple[Any, ...], start: date, kind: str, by_country: dict[str, list[int]], today: date
) -> list[CareerRecord]:
    """The follow-up records of one person: (pk, cadre, grade, home institution, its country)."""
    person_id, cadre_id, grade, institution_id, country = person
    abroad, leave = RETENTION.get(kind, RETENTION["short_stay"])
    status: str = CareerStatus.IN_POST
    post = POSTS.get(cadre_id or "", "")
    records = []
    last = 0
    for years, answers in SURVEYS.items():
        when = anniversary(start, years) + timedelta(days=rng.randint(0, 120))
        span = years - last
        leaving = rng.random()
        moving = rng.choices(MOVES, weights=MOVE_WEIGHTS[years])[0]
        answered = rng.random() < answers
        if when > today:
            break
        last = years
        if status in (CareerStatus.MOVED_ABROAD, CareerStatus.LEFT_HEALTH_WORK):
            pass  # who left stays gone
        elif leaving < 1 - (1 - abroad) ** span:
            status, institution_id = CareerStatus.MOVED_ABROAD, None
            north = country in places.NORTH
            country = rng.choice([c for c in ABROAD["north" if north else "south"] if c != country])
        elif leaving < 1 - (1 - abroad - leave) ** span:
            status, institution_id, post = CareerStatus.LEFT_HEALTH_WORK, None, ""
        else:
            status = moving
            if moving == CareerStatus.PROMOTED:
                grade = _promoted(grade)
            elif moving in (CareerStatus.CHANGED_POST, CareerStatus.MOVED_WITHIN_COUNTRY) and country:
                others = [i for i in by_country.get(country, []) if i != institution_id]
                institution_id = rng.choice(others) if others else institution_id
        if not answered:
            continue
        records.append(
            CareerRecord(
                person_id=person_id,
                recorded_on=when,
                status=status,
                grade=grade if status != CareerStatus.LEFT_HEALTH_WORK else "",
                post=post,
                institution_id=institution_id,
                country_id=country,
                source=CareerSource.FOLLOW_UP_SURVEY,
            )
        )
    return records
