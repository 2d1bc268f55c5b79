from datetime import date, timedelta

import pytest
from django.test import override_settings

from healthlinks.network.models import continuum_class_of
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, "visit"),
        (13, "visit"),
        (14, "short_stay"),
        (89, "short_stay"),
        (90, "medium_stay"),
        (179, "medium_stay"),
        (180, "long_term"),
        (364, "long_term"),
        (365, "settlement"),
        (2000, "settlement"),
    ],
)
def test_continuum_class_at_every_boundary(network_world, days, expected):
    w = network_world
    start = date(2016, 1, 1)
    stay = stay_create(
        by=None,
        person=w["alice"],
        partnership=w["p"],
        sending_institution=w["uk"],
        host_institution=w["ug"],
        mode="physical",
        start_date=start,
        end_date=start + timedelta(days=days - 1),
    )
    assert stay.duration_days == days
    assert stay.continuum_class == expected


@override_settings(HEALTHLINKS_CONTINUUM_BOUNDS=[7, 30, 90, 180])
def test_bounds_are_configurable():
    assert continuum_class_of(6) == "visit"
    assert continuum_class_of(7) == "short_stay"
    assert continuum_class_of(100) == "long_term"
    assert continuum_class_of(180) == "settlement"


def test_repeat_index_gap_and_circular_pattern_per_host(network_world):
    w = network_world
    kwargs = {"person": w["alice"], "partnership": w["p"], "sending_institution": w["uk"], "mode": "physical"}
    second = stay_create(
        by=None, host_institution=w["ug"], start_date=date(2017, 3, 1), end_date=date(2017, 3, 10), **kwargs
    )
    first = stay_create(
        by=None, host_institution=w["ug"], start_date=date(2016, 1, 1), end_date=date(2016, 1, 10), **kwargs
    )
    elsewhere = stay_create(
        by=None, host_institution=w["uk"], start_date=date(2018, 1, 1), end_date=date(2018, 1, 5), **kwargs
    )
    for stay in (first, second, elsewhere):
        stay.refresh_from_db()
    assert (first.repeat_index, first.days_since_previous) == (1, None)
    assert (second.repeat_index, second.days_since_previous) == (2, (date(2017, 3, 1) - date(2016, 1, 10)).days)
    assert first.circular and second.circular
    assert (elsewhere.repeat_index, elsewhere.circular) == (1, False)


def test_virtual_engagements_do_not_make_a_circular_pattern(network_world):
    w = network_world
    for month in (1, 2):
        stay = stay_create(
            by=None,
            person=w["bob"],
            partnership=w["p"],
            host_institution=w["ug"],
            mode="virtual",
            start_date=date(2019, month, 1),
            end_date=date(2019, month, 20),
            virtual_hours=5,
        )
    assert stay.repeat_index == 2 and not stay.circular
