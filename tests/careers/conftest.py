from datetime import date
from typing import Any

import pytest

from healthlinks.accounts.models import Role
from healthlinks.activities.services import activity_save, trainee_add
from healthlinks.careers.services import career_record_save
from healthlinks.network.services import person_save, stay_create

TODAY = date(2026, 1, 1)

# person -> (recorded on, status) records; see test_selectors.py for the hand count
RECORDS = {
    "T1": [("2021-07-01", "in_post"), ("2022-08-01", "promoted"), ("2025-07-01", "moved_abroad")],
    "T2": [("2021-06-30", "left_health_work")],
    "T3": [("2021-01-01", "in_post")],
    "V1": [("2023-01-01", "moved_within_country")],
    "V2": [("2020-05-01", "changed_post"), ("2024-05-01", "in_post")],
    "W1": [("2022-01-01", "in_post")],
}


@pytest.fixture
def careers_world(network_world: dict[str, Any], make_partnership: Any, make_user: Any) -> dict[str, Any]:
    """Partnership p: 3 trainees of a course ending 2020-06-30 (T1-T3), a volunteer back from a 10-day visit on
    2020-01-10 (V1) and one back from a four-month stay on 2019-04-30 (V2). Partnership q (another coordinator):
    one volunteer W1 back 2020-12-31 from a visit."""
    w = dict(network_world)
    p = w["p"]
    other = make_user("qcoord", Role.COORDINATOR)
    member = make_user("pmember", Role.MEMBER)
    q = make_partnership(name="Other pair", coordinator=other, start_date=date(2015, 1, 1))
    from healthlinks.registry.models import AccessRole, PartnershipAccess

    PartnershipAccess.objects.create(user=member, partnership=p, role=AccessRole.MEMBER)
    course = activity_save(
        by=None,
        partnership=p,
        title="Emergency triage",
        kind="training_course",
        mode="in_person",
        start_date=date(2020, 6, 1),
        end_date=date(2020, 6, 30),
    )
    people = {name: person_save(by=None, external_id=name) for name in RECORDS}
    for name in ("T1", "T2", "T3"):
        trainee_add(by=None, activity=course, person=people[name])
    q_host = q.members.select_related("institution").first().institution
    for name, partnership, host, start, end in (
        ("V1", p, w["ug"], date(2020, 1, 1), date(2020, 1, 10)),
        ("V2", p, w["ug"], date(2019, 1, 1), date(2019, 4, 30)),
        ("W1", q, q_host, date(2020, 12, 25), date(2020, 12, 31)),
    ):
        stay_create(
            by=None,
            person=people[name],
            partnership=partnership,
            host_institution=host,
            mode="physical",
            start_date=start,
            end_date=end,
        )
    for name, records in RECORDS.items():
        for when, status in records:
            career_record_save(by=None, person=people[name], recorded_on=date.fromisoformat(when), status=status)
    return w | {"q": q, "qcoord": other, "member": member, "people": people}
