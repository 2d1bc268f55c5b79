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


def _period(p, code_or_title):
    for r in results_framework(p):
        for i in r["indicators"]:
            if (i["indicator"].library_code or i["indicator"].title) == code_or_title:
                return i["periods"][0]
    raise AssertionError(code_or_title)


def _split(period):
    return {(d["dimension"], d["category"]): (d["target"], d["actual"]) for d in period["disaggregations"]}


def test_library_actuals_are_split_by_sex_and_cadre_beside_typed_targets(world):
    p = world["p"]
    indicator_add(
        by=None,
        partnership=p,
        result_level=1,
        result_title="Skills",
        library_code="TRN-01",
        target=Decimal(10),
        targets_by={("sex", "female"): Decimal(6), ("cadre", "2221"): Decimal(4)},
        **YEAR,
    )
    split = _split(_period(p, "TRN-01"))
    # by hand: Bob and Dave named (sex and cadre not recorded); 3 counted women nurses (2221)
    assert split[("sex", "female")] == (Decimal(6), Decimal(3))
    assert split[("sex", "not_recorded")] == (None, Decimal(2))
    assert split[("cadre", "2221")] == (Decimal(4), Decimal(3))
    assert split[("cadre", "not_recorded")] == (None, Decimal(2))
    assert sum(a for (dim, _c), (_t, a) in split.items() if dim == "sex") == _period(p, "TRN-01")["actual"]


def test_percentage_library_indicators_carry_numerator_and_denominator(world):
    p = world["p"]
    activity = Activity.objects.get()
    indicator_add(by=None, partnership=p, result_level=2, result_title="Practice", library_code="TRN-05", **YEAR)
    for person, changed in ((world["alice"], True), (world["bob"], False), (world["alice"], True)):
        outcome_create(
            by=None,
            activity=activity,
            person=person,
            level=3,
            dimension="practice",
            practice_changed=changed,
            follow_up_months=6,
            recorded_on=date(2022, 9, 1),
        )
    period = _period(p, "TRN-05")
    assert (period["numerator"], period["denominator"]) == (Decimal(2), Decimal(3))
    assert round(period["actual"], 2) == Decimal("66.67")
    # the split holds the numerators: Alice is a woman nurse
    assert _split(period)[("sex", "female")] == (None, Decimal(2))


def test_typed_numerator_and_denominator_give_the_actual_and_are_checked(world):
    p = world["p"]
    args = {"by": None, "partnership": p, "result_level": 2, "result_title": "Care", "measure": 2, **YEAR}
    indicator_add(title="Protocol compliance", numerator=Decimal(3), denominator=Decimal(4), **args)
    assert _period(p, "Protocol compliance")["actual"] == Decimal(75)
    for bad, field in (
        ({"numerator": Decimal(3)}, "denominator"),
        ({"numerator": Decimal(5), "denominator": Decimal(4)}, "numerator"),
        ({"numerator": Decimal(1), "denominator": Decimal(0)}, "denominator"),
        ({"numerator": Decimal(1), "denominator": Decimal(4), "actual": Decimal(50)}, "actual"),
    ):
        with pytest.raises(ValidationError) as err:
            indicator_add(title="Bad", **args, **bad)
        assert field in err.value.message_dict
    assert IndicatorPeriod.objects.count() == 1
    with pytest.raises(ValidationError) as err:
        indicator_add(
            by=None,
            partnership=p,
            result_level=1,
            result_title="S",
            library_code="TRN-03",
            numerator=1,
            denominator=2,
            **YEAR,
        )
    assert "numerator" in err.value.message_dict


def test_disaggregation_categories_are_checked_and_library_actuals_not_typed(world):
    from healthlinks.results.services import disaggregation_set

    p = world["p"]
    own = indicator_add(by=None, partnership=p, result_level=1, result_title="S", title="Midwives mentored", **YEAR)
    disaggregation_set(by=None, period=own, dimension="sex", category="female", target=Decimal(5), actual=Decimal(2))
    assert _split(_period(p, "Midwives mentored")) == {("sex", "female"): (Decimal(5), Decimal(2))}
    for dimension, category in (("sex", "woman"), ("cadre", "9999")):
        with pytest.raises(ValidationError) as err:
            disaggregation_set(by=None, period=own, dimension=dimension, category=category, target=Decimal(1))
        assert "category" in err.value.message_dict
    library = indicator_add(by=None, partnership=p, result_level=1, result_title="S", library_code="TRN-01", **YEAR)
    with pytest.raises(ValidationError):
        disaggregation_set(by=None, period=library, dimension="sex", category="male", actual=Decimal(1))


def test_the_results_page_takes_targets_by_sex_and_cadre(world, client_for):
    p = world["p"]
    url = reverse("partnership-results", args=[p.slug])
    coordinator = client_for(world["coordinator"])
    form = {
        "result_level": "1",
        "result_title": "Skills",
        "library_code": "TRN-01",
        "measure": "1",
        "start": "2022-01-01",
        "end": "2022-12-31",
        "target": "10",
        "target_female": "6",
        "target_cadre": "2221",
    }
    resp = coordinator.post(url, form)
    assert "give the target for the cadre you chose" in resp.content.decode()
    resp = coordinator.post(url, {**form, "target_cadre_value": "4"})
    assert resp.status_code == 302
    page = coordinator.get(url).content.decode()
    assert "By sex and cadre" in page and "2221" in page
    api = coordinator.get("/api/v1/results/", {"partnership": p.slug}).json()
    period = api["results"][0]["indicators"][0]["periods"][0]
    split = {(d["dimension"], d["category"]): d for d in period["disaggregations"]}
    assert split[("sex", "female")]["target"] == "6.00" and split[("sex", "female")]["actual"] == "3"
