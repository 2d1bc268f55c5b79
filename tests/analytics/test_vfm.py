"""Value for money: the economic cost against a hand calculation (one stay, one day rate, one gift, one cash cost,
a currency conversion), practice change with its Wilson interval, comparator programmes beside the partnerships,
and what returning volunteers report bringing back."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from healthlinks.activities.services import activity_save, outcome_create, trainee_add
from healthlinks.analytics import engine
from healthlinks.analytics.impact import vfm
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import value_for_money
from healthlinks.analytics.stats import cost_per_event, wilson
from healthlinks.network.services import person_save, stay_create
from healthlinks.results.models import CashCost, CurrencyRate, DayRate, InKindContribution
from healthlinks.results.services import comparator_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(network_world):
    """Alice (NHS Band 6) stays 10 days in 2022; Band 6 is worth 250 USD a day, a USD 0.8 GBP and a EUR 0.9 GBP
    in 2022; 1,000 GBP cash; a 500 EUR gift; 4 trainees followed up at level 3, 2 of whom changed practice."""
    w = network_world
    p, alice = w["p"], w["alice"]
    alice.grade = "Band 6"
    alice.save()
    CurrencyRate.objects.create(currency="USD", year=2022, rate=Decimal("0.8"))
    CurrencyRate.objects.create(currency="EUR", year=2022, rate=Decimal("0.9"))
    CurrencyRate.objects.create(currency="UGX", year=2022, rate=Decimal("0.0002"))
    DayRate.objects.create(grade="Band 6", year=2022, currency="USD", day_rate=250, method="band_replacement")
    stay_create(
        by=None, person=alice, partnership=p, host_institution=w["ug"], sending_institution=w["uk"],
        mode="physical", start_date=date(2022, 3, 1), end_date=date(2022, 3, 10),
    )  # fmt: skip
    CashCost.objects.create(partnership=p, category="travel", amount=1000, currency="GBP", spent_on=date(2022, 4, 1))
    InKindContribution.objects.create(
        partnership=p, kind="donated_equipment", value=500, currency="EUR", received_on=date(2022, 5, 1),
        valuation_method="supplier invoice",
    )  # fmt: skip
    activity = activity_save(
        by=None, partnership=p, title="ETAT", kind="training_course", mode="in_person",
        start_date=date(2022, 3, 2), end_date=date(2022, 3, 4),
    )  # fmt: skip
    trainees = [w["bob"], *(person_save(by=None, external_id=f"T{i}") for i in range(3))]
    for i, person in enumerate(trainees):
        trainee_add(by=None, activity=activity, person=person)
        outcome_create(
            by=None, activity=activity, person=person, level=3, dimension="practice", practice_changed=i < 2,
            follow_up_months=6, recorded_on=date(2022, 9, 1),
        )  # fmt: skip
    engine.clear()
    return w


def test_economic_cost_equals_the_hand_calculation(small):
    snap = engine.load(engine.extract(), None)
    data = vfm(snap, [small["p"].pk], [small["p"].pk], 2022, 2022)
    row = data["partnerships"][0]
    time = 10 * 250 * 0.8  # 10 days at 250 USD, 0.8 GBP to the USD: 2,000 GBP
    gift = 500 * 0.9  # 450 GBP
    economic = 1000 + time + gift  # 3,450 GBP
    assert row["volunteer_time"] == pytest.approx(time) and row["gifts"] == pytest.approx(gift)
    assert row["cash"] == pytest.approx(1000) and row["economic_cost"] == pytest.approx(economic)
    assert row["cost_per_trained"] == pytest.approx(1000 / 4)  # financial: as before, cash only
    assert row["economic_cost_per_trained"] == pytest.approx(economic / 4)
    assert row["economic_cost_per_volunteer_day"] == pytest.approx(economic / 10)
    assert row["cost_per_practice_change"] == pytest.approx(500)
    assert row["economic_cost_per_practice_change"] == pytest.approx(economic / 2)
    assert data["currency"] == "GBP" and data["price_years"] == [2022, 2022]
    # effectiveness: 2 of the 4 followed up, with the Wilson interval, carried to the cost per practice change
    low, high = wilson(2, 4)
    assert row["practice_change_share"] == 0.5 and row["l3_assessed"] == 4
    assert (row["practice_change_share_low"], row["practice_change_share_high"]) == pytest.approx((low, high))
    assert row["economic_cost_per_practice_change_low"] == pytest.approx(economic / (4 * high))
    assert row["economic_cost_per_practice_change_high"] == pytest.approx(economic / (4 * low))
    assert data["pooled"]["economic_cost"] == pytest.approx(economic)


def test_cost_per_event_interval():
    assert cost_per_event(1000, 0, 10) == {"estimate": None, "low": None, "high": None}
    out = cost_per_event(1000, 10, 10)  # every one changed: the share's upper bound is 1, the cost's lower bound
    assert out["estimate"] == 100 and out["low"] == pytest.approx(100) and out["high"] > 100
    low, high = wilson(1, 50)
    out = cost_per_event(500, 1, 50)
    assert out["low"] == pytest.approx(500 / (50 * high)) and out["high"] == pytest.approx(500 / (50 * low))


def test_comparator_programmes_beside_the_partnerships(small, admin_user):
    comparator_save(
        by=admin_user, name="National ETAT course", kind="national_inservice", country_id="UGA", year=2022,
        currency="ugx", cash_cost=Decimal(10_000_000), economic_cost=Decimal(15_000_000), trainees=100,
        followed_up=40, practice_changed=10,
    )  # fmt: skip
    comparator_save(
        by=admin_user, name="Fly-in course", kind="fly_in", year=2022, currency="KES", cash_cost=Decimal(1),
        trainees=10, followed_up=10, practice_changed=5,
    )  # fmt: skip
    data = value_for_money(admin_user, Scope())
    fly, national = data["comparators"]
    assert national["currency"] == "UGX" and national["cash_cost"] == pytest.approx(2000)  # 10m UGX at 0.0002
    assert national["cost_per_practice_change"] == pytest.approx(200)
    assert national["economic_cost_per_practice_change"] == pytest.approx(300)
    assert national["cost_per_trained"] == pytest.approx(20) and national["practice_change_share"] == 0.25
    low, high = wilson(10, 40)
    assert national["cost_per_practice_change_low"] == pytest.approx(2000 / (40 * high))
    assert national["cost_per_practice_change_high"] == pytest.approx(2000 / (40 * low))
    assert fly["unconverted"] and fly["cost_per_practice_change"] is None  # no KES rate: no cost, said so
    assert data["pooled"]["cost_per_practice_change"] == pytest.approx(500)


def test_comparator_refuses_impossible_counts(admin_user):
    from django.core.exceptions import ValidationError

    from healthlinks.results.models import ComparatorProgramme

    with pytest.raises(ValidationError) as exc:
        comparator_save(
            by=admin_user, name="E-learning", kind="e_learning", year=2022, currency="GBP", cash_cost=Decimal(100),
            economic_cost=Decimal(50), trainees=10, followed_up=20, practice_changed=30,
        )  # fmt: skip
    assert {"followed_up", "practice_changed", "economic_cost"} <= set(exc.value.message_dict)
    assert not ComparatorProgramme.objects.exists()


def test_what_volunteers_bring_back(small, admin_user):
    from healthlinks.evaluation.demo import load_instruments
    from healthlinks.evaluation.models import Instrument
    from healthlinks.evaluation.selectors import volunteer_benefits
    from healthlinks.evaluation.services import AnswerIn, normalise, response_upsert

    load_instruments()
    instrument = Instrument.objects.get(form_id="volunteer_impact")
    questions = {q.name: q for q in instrument.questions.all()}
    for i in range(25):
        given = {"leadership": "agree" if i < 15 else "disagree", "applied_at_home": "clinical_skill team_working"}
        answers = [AnswerIn(questions[k], 0, normalise(questions[k], v)) for k, v in given.items()]
        response_upsert(
            by=None, instrument=instrument, uuid=f"v{i}", submitted_at=datetime(2023, 1, 1, tzinfo=UTC) + timedelta(i),
            source="web", answers=answers, links={"partnership": small["p"]},
        )  # fmt: skip
    found = volunteer_benefits(admin_user, [small["p"].pk])
    leadership = next(r for r in found["agreement"] if r["key"] == "leadership")
    assert found["respondents"] == 25 and (leadership["events"], leadership["n"]) == (15, 25)
    applied = {r["key"]: r["events"] for r in found["applied"]}
    assert applied["clinical_skill"] == 25 and applied["frugal"] == 0
    assert volunteer_benefits(admin_user, [])["respondents"] == 0
