"""Demo stage: activities delivered during stays, their trainees, assessments, outcomes, knowledge items,
costs and the rate tables that value them.

EFFECTS below are planted on purpose and are the ground truth the analytics must recover (issue 6):
  * Kirkpatrick L3 (practice changed at 6 months) is drawn from a logistic model whose log-odds rise when
    the activity was delivered during a repeat visit or a long-term placement, and rise less for
    virtual-only mentoring;
  * L2 normalised gain is higher after virtual mentoring than after a short physical visit;
  * trainees of training-of-trainers activities go on to train others far more often.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.activities.services import (
    activities_save_many,
    aggregates_save_many,
    cascades_save_many,
    knowledge_items_save_many,
    outcomes_save_many,
    scores_save_many,
    trainees_save_many,
)
from healthlinks.network.models import PSEUDO_ALPHABET, Person, PersonRole, Stay, continuum_class_of
from healthlinks.network.services import PersonIn, RoleSpec, people_save_many
from healthlinks.results.models import CashCost, CurrencyRate, DayRate
from healthlinks.results.services import costs_save_many, rate_save

if TYPE_CHECKING:
    from healthlinks.demo.world import World

EFFECTS = {
    # logistic model of L3 practice change at 6 months: log-odds = intercept + sum of the terms that apply
    "l3_intercept": -0.8,
    "l3_repeat_visit": 0.9,  # delivered during a physical stay with repeat_index >= 2
    "l3_long_term": 1.2,  # delivered during a physical stay of 180 days or more
    "l3_virtual_only": 0.3,  # delivered during a virtual engagement
    # L2 normalised gain: mean by mode of the stay behind the activity (sd 0.15, clipped to [-0.2, 1])
    "l2_gain_physical": 0.35,
    "l2_gain_virtual": 0.50,
    # cascade: chance that a trainee goes on to train others
    "cascade_tot": 0.45,
    "cascade_other": 0.10,
}
STAYS_PER_ACTIVITY = 8  # roughly one activity for every eight stays of volunteers
DAY_RATES_GBP = {  # replacement cost of a day by NHS grade (synthetic, 2015 prices)
    "Band 5": 150,
    "Band 6": 190,
    "Band 7": 230,
    "Band 8a": 280,
    "Specialty registrar": 260,
    "Consultant": 520,
    "Lecturer": 250,
}
CURRENCIES = {
    "UGX": Decimal("0.00021"),
    "KES": Decimal("0.0061"),
    "TZS": Decimal("0.00032"),
    "MWK": Decimal("0.00045"),
    "USD": Decimal("0.78"),
}
FACILITY_LEVELS = ["national_referral", "regional", "district", "primary"]
# trainees an activity takes, by kind (a course or a workshop fills a room; an attachment teaches a ward team)
CLASS_SIZE = {
    "training_course": (20, 45),
    "workshop": (15, 40),
    "clinical_attachment": (8, 20),
    "mentoring_programme": (10, 30),
    "e_learning_module": (25, 60),
}
RETURNING = 0.8  # chance that a seat goes to one of the partnership's health workers trained before
TRAINEE_CADRES = [("2221", 35), ("2222", 20), ("2240", 12), ("2211", 10), ("3221", 10), ("3253", 8), ("2262", 5)]


def l3_probability(*, repeat: bool, long_term: bool, virtual: bool) -> float:
    logit = EFFECTS["l3_intercept"]
    logit += EFFECTS["l3_repeat_visit"] if repeat else 0.0
    logit += EFFECTS["l3_long_term"] if long_term else 0.0
    logit += EFFECTS["l3_virtual_only"] if virtual else 0.0
    return 1 / (1 + math.exp(-logit))


def _pseudo(rng: random.Random, taken: set[str]) -> str:
    while True:
        value = "HL-" + "".join(rng.choice(PSEUDO_ALPHABET) for _ in range(10))
        if value not in taken:
            taken.add(value)
            return value


def _rate_tables() -> None:
    known_days = set(DayRate.objects.values_list("grade", "year"))
    for grade, day_rate in DAY_RATES_GBP.items():
        if (grade, 2015) not in known_days:
            rate_save(
                by=None,
                rate=DayRate(
                    grade=grade,
                    year=2015,
                    currency="GBP",
                    day_rate=day_rate,
                    method="band_replacement",
                    source="synthetic demo rates (replacement cost at own band)",
                ),
            )
    known_rates = set(CurrencyRate.objects.values_list("currency", "year"))
    for currency, rate in CURRENCIES.items():
        for year in range(2008, 2027):
            if (currency, year) not in known_rates:
                rate_save(
                    by=None,
                    rate=CurrencyRate(currency=currency, year=year, rate=rate, source="synthetic demo rate"),
                )


def stage_activities(world: World) -> None:
    rng = world.rng
    _rate_tables()
    taken = set(Person.objects.values_list("pseudo_id", flat=True))
    totals = {"activities": 0, "trainees": 0, "outcomes": 0}
    ids = [p.pk for p in world.partnerships]
    for start in range(0, len(ids), 200):
        chunk = ids[start : start + 200]
        stays = list(
            Stay.objects.filter(partnership_id__in=chunk, person__roles__role__in=["volunteer", "mentor"])
            .select_related("host_institution")
            .order_by("pk")
            .distinct()
        )
        by_partnership: dict[int, list[Stay]] = {}
        for stay in stays:
            by_partnership.setdefault(stay.partnership_id, []).append(stay)
        batch: dict[str, list[Any]] = {
            k: []
            for k in (
                "people",
                "roles",
                "activities",
                "links",
                "trainees",
                "aggregates",
                "assessments",
                "outcomes",
                "cascades",
                "knowledge",
                "costs",
            )
        }
        for pid in chunk:
            group = by_partnership.get(pid, [])
            chosen = [s for s in group if rng.random() < 1 / STAYS_PER_ACTIVITY]
            pool: list[Person] = []
            for stay in chosen:
                _activity(world, rng, stay, pool, batch, taken)
        _flush(batch)
        totals["activities"] += len(batch["activities"])
        totals["trainees"] += len(batch["trainees"])
        totals["outcomes"] += len(batch["outcomes"]) + len(batch["assessments"])
        world.progress("activities", min(start + 200, len(ids)), len(ids))
    world.stats.update(totals)


def _activity(
    world: World, rng: random.Random, stay: Stay, pool: list[Person], batch: dict[str, list[Any]], taken: set[str]
) -> None:
    virtual = stay.mode == "virtual"
    long_term = not virtual and continuum_class_of(stay.duration_days) in ("long_term", "settlement")
    repeat = not virtual and stay.repeat_index >= 2
    kind = (
        rng.choice(["mentoring_programme", "e_learning_module"])
        if virtual
        else rng.choice(["training_course", "workshop", "clinical_attachment", "training_course"])
    )
    tot = rng.random() < 0.2
    start = stay.start_date + timedelta(days=rng.randint(0, max(stay.duration_days - 3, 0)))
    activity = Activity(
        partnership_id=stay.partnership_id,
        title=f"{kind.replace('_', ' ').capitalize()} {start.year}",
        kind=kind,
        mode="remote" if virtual else "in_person",
        start_date=start,
        end_date=min(start + timedelta(days=rng.randint(0, 4)), stay.end_date),
        venue=stay.host_institution,
        purpose_code_id=rng.choice(["12181", "12281", "13081"]),
        training_of_trainers=tot,
        hours=Decimal(rng.choice([4, 8, 16, 24, 40])),
        is_synthetic=True,
    )
    batch["activities"].append(activity)
    batch["links"].append((activity, stay))
    # trainees: a pool of local health workers per partnership, most of whom come back to later activities
    seated: set[int] = set()
    for _ in range(rng.randint(*CLASS_SIZE[kind])):
        person = rng.choice(pool) if pool and rng.random() < RETURNING else None
        if person is None or id(person) in seated:
            person = Person(
                pseudo_id=_pseudo(rng, taken),
                cadre_id=rng.choices([c for c, _w in TRAINEE_CADRES], [w for _c, w in TRAINEE_CADRES])[0],
                sex=rng.choices(["female", "male"], weights=[62, 38])[0],
                home_institution=stay.host_institution,
                research_consent=rng.random() < 0.7,
                is_synthetic=True,
            )
            person.consent_date = start if person.research_consent else None
            pool.append(person)
            batch["people"].append(person)
            batch["roles"].append(PersonRole(person=person, partnership_id=stay.partnership_id, role="trainee"))
        seated.add(id(person))
        batch["trainees"].append(Trainee(activity=activity, person=person, facility_level=rng.choice(FACILITY_LEVELS)))
        mean_gain = EFFECTS["l2_gain_virtual"] if virtual else EFFECTS["l2_gain_physical"]
        gain = min(max(rng.gauss(mean_gain, 0.15), -0.2), 1.0)
        pre = Decimal(round(min(max(rng.gauss(45, 12), 0), 95)))
        post = Decimal(round(min(max(float(pre) + gain * (100 - float(pre)), 0), 100)))
        batch["assessments"].append(Assessment(activity=activity, person=person, pre_score=pre, post_score=post))
        changed = rng.random() < l3_probability(repeat=repeat, long_term=long_term, virtual=virtual)
        batch["outcomes"].append(
            Outcome(
                activity=activity,
                person=person,
                level=3,
                dimension="practice",
                practice_changed=changed,
                follow_up_months=6,
                method=rng.choice(["observed", "self_reported"]),
                recorded_on=activity.end_date + timedelta(days=183),
            )
        )
        if rng.random() < 0.9:  # most courses hand out an evaluation form at the end
            batch["outcomes"].append(
                Outcome(
                    activity=activity,
                    person=person,
                    level=1,
                    dimension="satisfaction",
                    rating=rng.choice([3, 4, 4, 5, 5]),
                    method="survey",
                    recorded_on=activity.end_date,
                )
            )
        if rng.random() < (EFFECTS["cascade_tot"] if tot else EFFECTS["cascade_other"]):
            batch["cascades"].append(
                CascadeReport(
                    person=person,
                    source_activity=activity,
                    people_trained=rng.randint(3, 25),
                    reported_on=activity.end_date + timedelta(days=rng.randint(60, 300)),
                )
            )
    if rng.random() < 0.3:
        batch["aggregates"].append(
            AggregateTrainees(
                activity=activity, cadre_id="3253", sex="female", facility_level="primary", count=rng.randint(5, 30)
            )
        )
    if rng.random() < 0.3:
        stage = 3 if long_term and rng.random() < 0.6 else rng.choice([1, 1, 2, 3])
        batch["knowledge"].append(
            KnowledgeItem(
                activity=activity,
                title=rng.choice(
                    [
                        "Sepsis protocol",
                        "Safe surgery checklist",
                        "Partograph use",
                        "Neonatal resuscitation",
                        "Triage guideline",
                    ]
                ),
                kind=rng.choice(["guideline", "protocol", "clinical_skill", "management_practice"]),
                direction="north_south" if rng.random() < 0.8 else "south_south",
                stage=stage,
                adaptation="Adapted to local drug availability and staffing" if stage >= 2 else "",
                sustained_at_follow_up=(rng.random() < 0.7) if stage == 3 else None,
                transferred_on=activity.end_date,
            )
        )
    if not virtual:
        when = activity.start_date
        batch["costs"].append(
            CashCost(
                partnership_id=stay.partnership_id,
                activity=activity,
                category="travel",
                amount=Decimal(rng.randint(500, 1500)),
                currency="GBP",
                spent_on=when,
            )
        )
        batch["costs"].append(
            CashCost(
                partnership_id=stay.partnership_id,
                activity=activity,
                category="training_materials",
                amount=Decimal(rng.randint(100, 900) * 1000),
                currency="UGX",
                spent_on=when,
            )
        )


def _flush(batch: dict[str, list[Any]]) -> None:
    """Write the chunk through the services. New trainees are drafts until `people_save_many` creates them; the
    records about them are then pointed at the people created."""
    people = [
        PersonIn(
            external_id=None,
            fields={
                "cadre_id": person.cadre_id,
                "sex": person.sex,
                "home_institution": person.home_institution,
                "research_consent": person.research_consent,
                "consent_date": person.consent_date,
            },
            personal={},
            roles=(RoleSpec(partnership_id=role.partnership_id, role=role.role),),
            pseudo_id=person.pseudo_id,
            synthetic=True,
        )
        for person, role in zip(batch["people"], batch["roles"], strict=True)
    ]
    created, _updated = people_save_many(by=None, people=people)
    saved = {person.pseudo_id: person for person in created}
    activities_save_many(by=None, activities=batch["activities"], stays=[[stay] for _activity, stay in batch["links"]])
    for key in ("trainees", "assessments", "outcomes", "cascades"):
        for record in batch[key]:
            record.person = saved[record.person.pseudo_id]
    trainees_save_many(by=None, trainees=batch["trainees"])
    aggregates_save_many(by=None, aggregates=batch["aggregates"])
    scores_save_many(by=None, assessments=batch["assessments"])
    outcomes_save_many(by=None, outcomes=batch["outcomes"])
    cascades_save_many(by=None, reports=batch["cascades"])
    knowledge_items_save_many(by=None, items=batch["knowledge"])
    costs_save_many(by=None, costs=batch["costs"])


def planted_l3_rates() -> dict[str, float]:
    """The L3 probabilities the generator uses, for the analytics to compare with (issue 6)."""
    return {
        "visit": l3_probability(repeat=False, long_term=False, virtual=False),
        "repeat_visit": l3_probability(repeat=True, long_term=False, virtual=False),
        "long_term": l3_probability(repeat=False, long_term=True, virtual=False),
        "virtual": l3_probability(repeat=False, long_term=False, virtual=True),
    }
