"""A volunteer fills the impact survey on a phone: skip logic, a constraint, a draft kept across a reload."""

import pytest

from healthlinks.accounts.models import Role
from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Response
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


def test_fill_the_survey_on_a_phone(live_server, page_factory, make_user, make_partnership):
    volunteer = make_user("nurse", Role.MEMBER)
    p = make_partnership(name="Leeds Gulu", member=volunteer)
    load_instruments()
    page = page_factory(360, 740)
    _login(page, live_server.url, "nurse")
    page.goto(f"{live_server.url}/surveys/trainee-followup/form/")
    # "What changed?" is asked only when practice changed (relevant)
    changes = page.locator("[data-name=changes]")
    assert changes.is_hidden()
    page.select_option("select[name=partnership]", p.slug)
    page.check("input[name=followup_point][value=m6]")
    page.check("input[name=respondent_role][value=nurse]")
    page.check("input[name=uses_skills][value=often]")
    page.check("input[name=practice_changed][value=yes]")
    assert changes.is_visible()
    page.check("input[name=changes][value=protocol]")
    page.fill("input[name=trained_others]", "900")  # constraint: 0 to 500
    box = page.locator("[data-name=trained_others]")
    assert "Between 0 and 500." in box.locator(".error").inner_text()
    page.fill("input[name=trained_others]", "4")
    assert box.locator(".error").is_hidden()
    # the half-filled form survives a reload (draft in localStorage)
    page.reload()
    page.wait_for_selector("#draft-note:not([hidden])")
    assert page.locator("input[name=practice_changed][value=yes]").is_checked()
    assert page.input_value("input[name=trained_others]") == "4"
    assert changes.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the form is {width}px wide on a 360px phone"
    shot(page, "phone_survey_form")
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#form-sent")
    response = Response.objects.get()
    assert response.partnership == p and response.source == "web"
    values = {a.question.name: a.value for a in response.answers.select_related("question")}
    assert values["changes"] == "protocol" and values["trained_others"] == "4" and values["followup_point"] == "m6"
    # after sending, the draft is gone
    assert page.evaluate("localStorage.getItem('healthlinks-draft-trainee-followup')") is None
    assert page.errors == []


def test_census_results_on_a_phone(live_server, page_factory, make_user, make_partnership):
    from healthlinks.evaluation.demo import census_demo

    make_user("lead", Role.HUB_ADMIN)
    make_partnership(name="Leeds Gulu")
    load_instruments()
    census_demo(seed=1, n=30)
    page = page_factory(360, 740)
    _login(page, live_server.url, "lead")
    page.goto(f"{live_server.url}/surveys/partnership-census/")
    page.wait_for_selector(".headline .chart svg")
    assert page.locator(".headline").count() == 6
    # the Likert item is drawn as a diverging bar: segments on both sides of zero
    page.wait_for_selector("[data-spec^=q-spec] svg .mark-rect path")
    assert page.inner_text("#total-responses") == "30"
    shot(page, "phone_census_results")
    assert page.errors == []


def test_repeat_instances_on_a_phone(live_server, page_factory, make_user, make_partnership):
    from healthlinks.evaluation.services import instrument_save
    from tests.evaluation.conftest import CHOICES, SETTINGS, SURVEY, workbook

    make_user("nurse2", Role.COORDINATOR)
    instrument_save(by=None, raw=workbook(SURVEY, CHOICES, SETTINGS), name="t.xlsx", slug="kids-survey")
    page = page_factory(360, 740)
    _login(page, live_server.url, "nurse2")
    page.goto(f"{live_server.url}/surveys/kids-survey/form/")
    page.check("input[name='org/org_type'][value=uni]")
    page.fill("textarea[name='kids/kid_name']", "Ann")
    page.fill("input[name='kids/kid_age']", "4")
    page.click("button.add-instance")
    page.fill("textarea[name='kids[2]/kid_name']", "Ben")
    age2 = page.locator("input[name='kids[2]/kid_age']")
    assert age2.is_visible()  # relevant: ${kid_name} of the same instance
    age2.fill("30")
    assert "A child" in page.locator(".instance[data-index='2'] [data-name=kid_age] .error").inner_text()
    age2.fill("6")
    page.reload()  # both instances come back from the draft
    assert page.input_value("textarea[name='kids[2]/kid_name']") == "Ben"
    page.click("#survey-form button[type=submit]")
    page.wait_for_selector("#form-sent")
    response = Response.objects.get()
    got = {(a.question.name, a.repeat_index): a.value for a in response.answers.select_related("question")}
    assert got[("kid_name", 2)] == "Ben" and got[("kid_age", 2)] == "6" and got[("kid_age", 1)] == "4"
    assert page.errors == []


def test_choosing_a_region_narrows_the_districts_and_facilities(live_server, page_factory, make_user):
    from healthlinks.evaluation.services import instrument_save
    from tests.evaluation.conftest import workbook
    from tests.evaluation.test_choice_filter import CHOICES, SURVEY

    make_user("cascader", Role.HUB_ADMIN)
    raw = workbook(SURVEY, CHOICES, [["form_title", "form_id"], ["Facilities", "facilities"]])
    instrument = instrument_save(by=None, raw=raw, name="cascade.xlsx")
    page = page_factory(360, 740)
    _login(page, live_server.url, "cascader")
    page.goto(f"{live_server.url}/surveys/{instrument.slug}/form/")
    district = page.locator("[data-name=district] label.choice:visible")
    page.check("input[name=region][value=north]")
    assert district.all_inner_texts() == ["Gulu"]
    page.check("input[name=district][value=gulu]")
    assert page.locator("[data-name=facilities] label.choice:visible").all_inner_texts() == ["Gulu RRH"]
    page.check("input[name=region][value=west]")  # another region: the district chosen is no longer offered
    assert district.all_inner_texts() == ["Mbarara"]
    assert not page.locator("input[name=district][value=gulu]").is_checked()
    assert page.errors == []
