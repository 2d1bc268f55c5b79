"""Retention counted by hand on the careers_world fixture (today 2026-01-01: every anniversary has passed).

Starts: T1-T3 2020-06-30 (trainees); V1 2020-01-10 (visit); V2 2019-04-30 (medium stay).
First record on or after each anniversary:
  T1  1y 2021-07-01 in post (retained)  2y 2022-08-01 promoted (retained)  5y 2025-07-01 moved abroad
  T2  1y 2021-06-30 left health work    2y none                            5y none
  T3  (its only record is before the first anniversary: never followed up)
  V1  1y 2023-01-01 moved within (ret.)  2y 2023-01-01 (retained)          5y none
  V2  1y 2020-05-01 changed post (ret.)  2y 2024-05-01 in post (retained)  5y 2024-05-01 (retained)
"""

from datetime import date

from healthlinks.careers.selectors import anniversary, retention
from tests.careers.conftest import TODAY


def _cells(row):
    return [(c.due, c.followed_up, c.retained, c.moved_abroad) for c in row.cells]


def test_retention_by_partnership_and_kind_equals_the_hand_count(careers_world):
    data = retention(careers_world["coordinator"], today=TODAY)
    [p] = data["by_partnership"]  # W1 of the other partnership is not seen
    assert p.key == careers_world["p"] and p.people == 5
    assert _cells(p) == [(5, 4, 3, 0), (5, 3, 3, 0), (5, 2, 1, 1)]
    kinds = {r.key: (r.people, _cells(r)) for r in data["by_kind"]}
    assert kinds == {
        "trainee": (3, [(3, 2, 1, 0), (3, 1, 1, 0), (3, 1, 0, 1)]),
        "visit": (1, [(1, 1, 1, 0), (1, 1, 1, 0), (1, 0, 0, 0)]),
        "medium_stay": (1, [(1, 1, 1, 0), (1, 1, 1, 0), (1, 1, 1, 0)]),
    }
    assert [c.percent for c in p.cells] == [75, 100, 50]


def test_hub_admin_sees_both_partnerships_and_one_can_be_chosen(careers_world, admin_user):
    data = retention(admin_user, today=TODAY)
    assert [r.key.name for r in data["by_partnership"]] == ["Leeds Gulu", "Other pair"]
    w1 = data["by_partnership"][1]
    assert _cells(w1) == [(1, 1, 1, 0), (1, 0, 0, 0), (1, 0, 0, 0)]  # 2021-12-31 due, 2022-01-01 in post
    only = retention(admin_user, partnership=careers_world["q"], today=TODAY)
    assert [r.key for r in only["by_partnership"]] == [careers_world["q"]]
    assert [r.key for r in only["by_kind"]] == ["visit"]


def test_anniversaries_not_yet_reached_are_not_due(careers_world):
    data = retention(careers_world["coordinator"], today=date(2022, 7, 1))
    [p] = data["by_partnership"]
    assert [c.due for c in p.cells] == [5, 5, 0]  # T 2022-06-30, V1 2022-01-10, V2 2021-04-30 passed


def test_anniversary_of_29_february():
    assert anniversary(date(2020, 2, 29), 1) == date(2021, 2, 28)
