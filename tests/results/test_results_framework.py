from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from healthlinks.activities.models import Activity
from healthlinks.activities.services import assessment_save, outcome_create
from healthlinks.results.models import IndicatorPeriod
from healthlinks.results.selectors import results_framework
from healthlinks.results.services import indicator_add

pytestmark = pytest.mark.django_db

YEAR = {"start": date(2022, 1, 1), "end": date(2022, 12, 31)}


def _actuals(p):
    return {
        i["indicator"].library_code or i["indicator"].title: i["periods"][0]["actual"]
        for r in results_framework(p)
        for i in r["indicators"]
    }


def test_library_actuals_are_computed_from_the_records(world):
    p = world["p"]
    activity = Activity.objects.get()
    for code in ("TRN-01", "VOL-01", "VOL-02", "TRN-03", "TRN-05"):
        indicator_add(
            by=None, partnership=p, result_level=1, result_title="Skills", library_code=code, target=Decimal(10), **YEAR
        )
    assessment_save(by=None, activity=activity, person=world["bob"], pre_score=Decimal(40), post_score=Decimal(85))
    assessment_save(by=None, activity=activity, person=world["alice"], pre_score=Decimal(40), post_score=Decimal(60))
    for changed in (True, True, False, True):
        outcome_create(
            by=None,
            activity=activity,
            level=3,
            dimension="practice",
            practice_changed=changed,
            follow_up_months=6,
            recorded_on=date(2022, 9, 1),
        )
    actuals = _actuals(p)
    # by hand: 2 named + 3 counted trained; Alice, Carol, Dave went (Alice twice); 10 + 5 + 3 physical days
    assert actuals["TRN-01"] == 5 and actuals["VOL-01"] == 3 and actuals["VOL-02"] == 18
    assert actuals["TRN-03"] == 50 and actuals["TRN-05"] == 75
    progress = results_framework(p)[0]["indicators"][0]["periods"][0]["progress"]
    assert progress == 50.0


def test_a_library_actual_cannot_be_typed_but_an_own_indicator_can(world):
    p = world["p"]
    with pytest.raises(ValidationError) as err:
        indicator_add(
            by=None,
            partnership=p,
            result_level=1,
            result_title="Skills",
            library_code="TRN-01",
            actual=Decimal(99),
            **YEAR,
        )
    assert "actual" in err.value.message_dict
    assert not IndicatorPeriod.objects.exists()
    indicator_add(
        by=None,
        partnership=p,
        result_level=2,
        result_title="Care",
        title="Protocols adopted",
        target=Decimal(4),
        actual=Decimal(3),
        **YEAR,
    )
    assert _actuals(p) == {"Protocols adopted": Decimal(3)}


def test_the_results_page_adds_indicators_for_coordinators_only(world, client_for, make_user):
    p = world["p"]
    url = reverse("partnership-results", args=[p.slug])
    coordinator = client_for(world["coordinator"])
    resp = coordinator.post(
        url,
        {
            "result_level": "1",
            "result_title": "Skills",
            "library_code": "TRN-01",
            "measure": "1",
            "start": "2022-01-01",
            "end": "2022-12-31",
            "target": "10",
        },
    )
    assert resp.status_code == 302
    page = coordinator.get(url).content.decode()
    assert "TRN-01" in page and "50%" in page
    resp = coordinator.post(
        url, {"result_level": "1", "result_title": "Skills", "measure": "1", "start": "2022-01-01", "end": "2021-12-31"}
    )
    assert "choose a library indicator or give your own title" in resp.content.decode()
    public = client_for(None).get(url).content.decode()
    assert "TRN-01" in public and "Add an indicator" not in public
