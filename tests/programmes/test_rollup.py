from datetime import date
from decimal import Decimal
from typing import Any

from healthlinks.programmes.rollup import programme_rollup
from healthlinks.results.library import trained


def value(rollup: Any, code: str, period: str, dimension: str = "", category: str = "") -> Any:
    [row] = [
        r
        for r in rollup.rows
        if (r.code, r.period.code, r.dimension, r.category) == (code, period, dimension, category)
    ]
    return row


def test_a_person_trained_by_two_partnerships_counts_once(programme_world: dict[str, Any]) -> None:
    w = programme_world
    rollup = programme_rollup(w["programme"])
    # 2023, by hand: named shared, only_a, only_b = 3 people; counted 4 women nurses at a's course less the one
    # named there in that cell (shared) = 3 more. The draft partnership c is not in the programme.
    row = value(rollup, "TRN-01", "2023")
    assert row.value == Decimal(6)
    assert row.target == Decimal(10)
    assert row.achieved == 60.0
    # each partnership on its own: a 2 named + 3 counted, b 2 named: 7 summed, 6 once de-duplicated
    a = trained(w["a"], date(2023, 1, 1), date(2023, 12, 31)).value
    b = trained(w["b"], date(2023, 1, 1), date(2023, 12, 31)).value
    assert (a, b) == (Decimal(5), Decimal(2))
    assert value(rollup, "TRN-01", "2023", "sex", "female").value == Decimal(5)  # shared, only_b, 3 counted
    male = value(rollup, "TRN-01", "2023", "sex", "male")
    assert (male.value, male.target, male.achieved) == (Decimal(1), Decimal(4), 25.0)
    assert value(rollup, "TRN-01", "2023", "cadre", "2221").value == Decimal(4)
    assert value(rollup, "TRN-01", "2023", "country", "UGA").value == Decimal(6)
    assert value(rollup, "TRN-01", "2024").value == Decimal(1)  # the shared person's 2024 course


def test_volunteers_and_days(programme_world: dict[str, Any]) -> None:
    rollup = programme_rollup(programme_world["programme"])
    assert value(rollup, "VOL-01", "2023").value == Decimal(1)  # one person, a stay in each partnership
    assert value(rollup, "VOL-02", "2023").value == Decimal(15)  # days are summed
    assert value(rollup, "VOL-01", "2024").value == Decimal(0)


def test_percentages_are_pooled(programme_world: dict[str, Any]) -> None:
    rollup = programme_rollup(programme_world["programme"])
    row = value(rollup, "TRN-03", "2023")
    assert (row.numerator, row.denominator) == (Decimal(2), Decimal(3))  # 85 and 90 reach 80; 60 does not
    assert round(row.value, 2) == Decimal("66.67")
    empty = value(rollup, "TRN-03", "2024")
    assert empty.value is None


def test_quarters(programme_world: dict[str, Any]) -> None:
    rollup = programme_rollup(programme_world["programme"], granularity="quarter")
    assert [p.code for p in rollup.periods][:2] == ["2023-Q1", "2023-Q2"]
    assert len(rollup.periods) == 8
    assert value(rollup, "TRN-01", "2023-Q1").value == Decimal(5)  # a's course in March
    assert value(rollup, "TRN-01", "2023-Q2").value == Decimal(2)  # b's in May: shared again, in another quarter
    # the year target is not a quarter's
    assert value(rollup, "TRN-01", "2023-Q1").target is None


def test_roll_up_counts_only_the_partnerships_the_user_sees(programme_world: dict[str, Any], make_user: Any) -> None:
    from healthlinks.programmes.services import partnership_add

    w = programme_world
    partnership_add(by=None, programme=w["programme"], partnership=w["c"])  # a draft
    everyone = programme_rollup(w["programme"])
    assert value(everyone, "TRN-01", "2023").value == Decimal(7)
    public = programme_rollup(w["programme"], user=make_user("nobody", "member"))
    assert value(public, "TRN-01", "2023").value == Decimal(6)
    assert (len(public.partnership_ids), public.partnerships_total) == (2, 3)
