"""A coordinator records visits in a ward with no signal (issue 22): with the connection gone, two stays and a
survey response are kept on the device ("waiting to send"), survive a reload of the page while offline, and are
saved exactly once each when the connection returns."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from healthlinks.accounts.models import Role, User
from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Response
from healthlinks.network.models import Stay
from healthlinks.network.services import RoleSpec, person_save
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


def _stay(page, who, start, end, host):
    page.fill("#id_person", who)
    page.select_option("#id_mode", "physical")
    page.select_option("#id_host_institution", label=host)
    page.fill("#id_start_date", start)
    page.fill("#id_end_date", end)
    page.click("main form button[type=submit]")


def test_stays_and_a_survey_response_entered_offline_are_saved_once_back_online(
    live_server, page_factory, make_user, make_partnership
):
    make_user("ward", Role.COORDINATOR)
    p = make_partnership(name="Maputo Leeds", coordinator=User.objects.get(username="ward"))
    person_save(by=None, given_name="Ana", family_name="Cossa", roles=[RoleSpec(partnership_id=p.pk, role="volunteer")])
    load_instruments()
    host = p.members.get(role="partner").institution.name
    base = live_server.url
    page = page_factory(360, 740, worker=True)
    _login(page, base, "ward")
    stay_form, survey = f"{base}/partnerships/{p.slug}/stays/new/", f"{base}/surveys/trainee-followup/form/"
    for url in (survey, stay_form):  # visited once online: the service worker keeps them
        page.goto(url)
    kept = "caches.open('healthlinks-offline-v1').then(c => c.keys()).then(k => k.map(r => r.url))"
    page.wait_for_function(f"{kept}.then(u => u.includes('{survey}') && u.includes('{stay_form}'))", polling=200)
    page.goto(stay_form)
    page.wait_for_function("navigator.serviceWorker.controller !== null")  # the worker answers this page

    page.context.set_offline(True)
    _stay(page, "Cossa", "2025-02-03", "2025-02-14", host)
    expect(page.locator("#outbox .outbox-count")).to_contain_text("(1)")
    _stay(page, "Cossa", "2025-06-02", "2025-06-13", host)
    expect(page.locator("#outbox .outbox-count")).to_contain_text("(2)")
    assert page.input_value("#id_person") == ""  # the form is ready for the next entry

    page.goto(survey)  # from the device, not the network
    page.select_option("select[name=partnership]", p.slug)
    page.check("input[name=followup_point][value=m6]")
    page.check("input[name=respondent_role][value=nurse]")
    page.check("input[name=uses_skills][value=often]")
    page.check("input[name=practice_changed][value=no]")
    page.click("#survey-form button[type=submit]")
    expect(page.locator("#outbox .outbox-count")).to_contain_text("(3)")

    page.reload()  # still offline: the page and the three entries are still there
    expect(page.locator("#outbox .outbox-count")).to_contain_text("(3)")
    shot(page, "phone_offline_waiting")
    assert Stay.objects.count() == 0 and Response.objects.count() == 0

    page.context.set_offline(False)
    expect(page.locator("#outbox")).to_contain_text("has been sent", timeout=20_000)
    assert Stay.objects.filter(person__personal__family_name="Cossa").count() == 2
    assert Response.objects.count() == 1
    assert page.evaluate("localStorage.getItem('healthlinks-outbox')") == "[]"


def test_an_entry_the_server_refuses_keeps_its_errors_and_can_be_corrected(
    live_server, page_factory, make_user, make_partnership
):
    make_user("ward2", Role.COORDINATOR)
    p = make_partnership(name="Beira Leeds", coordinator=User.objects.get(username="ward2"))
    person_save(
        by=None, given_name="Rui", family_name="Mabote", roles=[RoleSpec(partnership_id=p.pk, role="volunteer")]
    )
    host = p.members.get(role="partner").institution.name
    page = page_factory(worker=True)
    _login(page, live_server.url, "ward2")
    page.goto(f"{live_server.url}/partnerships/{p.slug}/stays/new/")
    page.context.set_offline(True)
    _stay(page, "Nobody", "2025-02-03", "2025-02-14", host)  # no such person: refused once sent
    page.context.set_offline(False)
    expect(page.locator("#outbox li")).to_contain_text("Nobody")
    page.click("#outbox li button")
    assert page.input_value("#id_person") == "Nobody"  # back in the form, to correct
    page.fill("#id_person", "Mabote")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Stay recorded")
    assert Stay.objects.count() == 1
    assert [e for e in page.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []  # the picker, asked offline
