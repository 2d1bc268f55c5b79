"""A small partnership with stays, rates, costs and one training: figures that can be counted by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from healthlinks.activities.services import activity_save, aggregate_set, trainee_add
from healthlinks.network.services import person_save, stay_create
from healthlinks.results.models import CashCost, CurrencyRate, DayRate, InKindContribution


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
