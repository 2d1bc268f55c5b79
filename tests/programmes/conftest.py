"""Two partnerships in one programme, with a person trained by both: figures that can be counted by hand."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from healthlinks.accounts.models import Role
from healthlinks.activities.services import activity_save, aggregate_set, assessment_save, trainee_add
from healthlinks.network.services import person_save, stay_create
from healthlinks.programmes.services import partnership_add, programme_save, target_set


@pytest.fixture
def programme_world(make_partnership: Any, make_user: Any) -> dict[str, Any]:
    coordinator = make_user("progcoord", Role.COORDINATOR)
    other = make_user("othercoord", Role.COORDINATOR)
    a = make_partnership(name="Leeds Gulu", coordinator=coordinator, start_date=date(2015, 1, 1))
    b = make_partnership(name="Bristol Mbarara", countries=("GBR", "UGA"), start_date=date(2015, 1, 1))
    c = make_partnership(name="Draft Kisumu", countries=("GBR", "KEN"), publication="draft", coordinator=other)
    inst = {
        p.slug: {m.institution.country_id: m.institution for m in p.members.select_related("institution")}
        for p in (a, b, c)
    }
    shared = person_save(by=None, external_id="S1", cadre_id="2221", sex="female")  # trained by a and b
    only_a = person_save(by=None, external_id="A1", cadre_id="2212", sex="male")
    only_b = person_save(by=None, external_id="B1", sex="female")
    in_c = person_save(by=None, external_id="C1", cadre_id="2221", sex="male")

    def training(p: Any, venue: Any, end: date, people: list[Any]) -> Any:
        activity = activity_save(
            by=None,
            partnership=p,
            title=f"Course {p.slug} {end}",
            kind="training_course",
            mode="in_person",
            start_date=end - timedelta(days=2),
            end_date=end,
            venue=venue,
        )
        for person in people:
            trainee_add(by=None, activity=activity, person=person)
        return activity

    ta = training(a, inst[a.slug]["UGA"], date(2023, 3, 10), [shared, only_a])
    tb = training(b, inst[b.slug]["UGA"], date(2023, 5, 10), [shared, only_b])
    training(b, inst[b.slug]["UGA"], date(2024, 2, 1), [shared])  # the next year: counted again there
    training(c, inst[c.slug]["KEN"], date(2023, 6, 1), [in_c])  # not in the programme
    # 4 counted women nurses at a's course, of whom the shared person is one named in the same cell
    aggregate_set(by=None, activity=ta, cadre_id="2221", sex="female", facility_level="not_recorded", count=4)
    assessment_save(by=None, activity=ta, person=shared, pre_score=40, post_score=85, max_score=100)
    assessment_save(by=None, activity=tb, person=shared, pre_score=40, post_score=60, max_score=100)
    assessment_save(by=None, activity=tb, person=only_b, pre_score=40, post_score=90, max_score=100)
    for p, person, start, days in [(a, shared, date(2023, 1, 5), 10), (b, shared, date(2023, 8, 1), 5)]:
        stay_create(
            by=None,
            person=person,
            partnership=p,
            host_institution=inst[p.slug]["UGA"],
            sending_institution=inst[p.slug]["GBR"],
            mode="physical",
            start_date=start,
            end_date=start + timedelta(days=days - 1),
        )
    programme = programme_save(
        by=None,
        name="Health Partnership Scheme round 3",
        slug="hps-3",
        period_start=date(2023, 1, 1),
        period_end=date(2024, 12, 31),
        currency="GBP",
    )
    partnership_add(by=None, programme=programme, partnership=a)
    partnership_add(by=None, programme=programme, partnership=b)
    target_set(by=None, programme=programme, library_code="TRN-01", period="2023", target=Decimal(10))
    target_set(by=None, programme=programme, library_code="TRN-01", period="2023", target=Decimal(4), sex="male")
    return {
        "programme": programme,
        "a": a,
        "b": b,
        "c": c,
        "coordinator": coordinator,
        "other": other,
        "shared": shared,
    }
