"""The partnership summary against a hand count: trainees, volunteer days, costs and in-kind value."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from healthlinks.activities.services import activity_save, aggregate_set, trainee_add
from healthlinks.network.services import person_save, stay_create
from healthlinks.results.models import CashCost, CurrencyRate, DayRate, InKindContribution
from healthlinks.results.selectors import partnership_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(network_world):
    w = network_world
    p = w["p"]
    alice = w["alice"]
    alice.grade = "Band 6"
    alice.save()
    carol = person_save(by=None, external_id="C1", cadre_id="2212")
    dave = person_save(by=None, external_id="D1")
    CurrencyRate.objects.create(currency="UGX", year=2022, rate=Decimal("0.0002"))
    CurrencyRate.objects.create(currency="USD", year=2021, rate=Decimal("0.8"))
    DayRate.objects.create(grade="band 6", year=2020, currency="GBP", day_rate=200, method="band_replacement")
    DayRate.objects.create(cadre_id="2212", year=2020, currency="USD", day_rate=500, method="custom")

    def stay(person, start, days, mode="physical", hours=None):
        stay_create(
            by=None,
            person=person,
            partnership=p,
            host_institution=w["ug"],
            sending_institution=w["uk"],
            mode=mode,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            virtual_hours=hours,
        )

    stay(alice, date(2022, 3, 1), 10)
    stay(alice, date(2022, 3, 5), 30, mode="virtual", hours=Decimal(15))
    stay(carol, date(2022, 5, 1), 5)
    stay(dave, date(2022, 6, 1), 3)
    stay(alice, date(2019, 1, 1), 7)  # before the period
    for amount, currency, when in [
        (1_000_000, "UGX", date(2022, 4, 1)),
        (300, "GBP", date(2022, 4, 2)),
        (50_000, "KES", date(2022, 4, 3)),
        (999, "GBP", date(2019, 1, 1)),
    ]:
        CashCost.objects.create(partnership=p, category="travel", amount=amount, currency=currency, spent_on=when)
    InKindContribution.objects.create(
        partnership=p,
        kind="donated_equipment",
        value=1000,
        currency="GBP",
        received_on=date(2022, 7, 1),
        valuation_method="supplier invoice",
    )
    activity = activity_save(
        by=None,
        partnership=p,
        title="ETAT",
        kind="training_course",
        mode="in_person",
        start_date=date(2022, 3, 2),
        end_date=date(2022, 3, 4),
    )
    trainee_add(by=None, activity=activity, person=w["bob"])
    trainee_add(by=None, activity=activity, person=dave)
    aggregate_set(by=None, activity=activity, cadre_id="2221", sex="female", facility_level="district", count=3)
    return w


def test_summary_for_a_period_equals_the_hand_count(world):
    s = partnership_summary(world["p"], date(2022, 1, 1), date(2022, 12, 31))
    assert s["health_workers_trained"] == 5
    assert s["volunteer_days"] == 10 + 5 + 3
    assert s["activities"] == 1
    # 1,000,000 UGX at 0.0002 + 300 GBP; the KES cost has no rate and is reported, not guessed
    assert s["cost_total"] == "500.00" and s["missing_currency_rates"] == ["KES 2022"]
    # Alice: (10 days + 15 h / 7.5) x 200 GBP = 2400; Carol: 5 x 500 USD x 0.8 = 2000; Dave has no rate
    assert s["volunteer_time_value"] == "4400.00" and s["unvalued_volunteer_days"] == "3.0"
    assert s["in_kind_total"] == "5400.00"
    assert s["volunteer_time_methods"] == ["band_replacement", "custom"]


def test_summary_over_all_time_includes_earlier_records(world):
    s = partnership_summary(world["p"])
    assert s["volunteer_days"] == 25 and s["cost_total"] == "1499.00"


def test_the_api_serves_the_summary_with_a_period_filter(world, client):
    slug = world["p"].slug
    data = client.get(f"/api/v1/partnerships/{slug}/summary/?from=2022-01-01&to=2022-12-31").json()
    assert data["health_workers_trained"] == 5 and data["reporting_currency"] == "GBP"
    assert set(data) >= {
        "trainees_by_cadre",
        "trainees_by_sex",
        "volunteer_days",
        "activities",
        "cost_total",
        "in_kind_total",
    }
    assert client.get(f"/api/v1/partnerships/{slug}/summary/?from=last-year").status_code == 400


def test_the_partnership_page_shows_the_same_figures(world, client):
    page = client.get(f"/partnerships/{world['p'].slug}/").content.decode()
    summary = partnership_summary(world["p"])
    assert f"<strong>{summary['health_workers_trained']}</strong> health workers trained" in page
    assert f"<strong>{summary['cost_total']} GBP</strong> cash costs" in page
    assert "KES 2022" in page
