"""A year of a partnership's record-keeping in the browser, never uploading a file (issue 21): from an empty
partnership, a coordinator adds two people, logs three stays (one on a 360-px phone), records an activity delivered
during one of them with 10 named and 5 counted trainees, enters the class's test scores in the grid, a 3-month
follow-up, a cash cost and an in-kind gift, adds TRN-01 with a target, and then finds exactly those figures in the
partnership's summary, its results framework and its report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from healthlinks.accounts.models import Role
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)

TRAINEES = [f"Trainee{i} Atim, {'2221' if i < 6 else '3221'}" for i in range(10)]


def _submit(page, text):
    page.click("main form.stack button[type=submit]" if text is None else f"main button:has-text('{text}')")


def _log_stay(page, base, slug, who, start, end, host):
    page.goto(f"{base}/partnerships/{slug}/stays/new/")
    page.fill("#id_person", who)
    page.select_option("#id_mode", "physical")
    page.select_option("#id_host_institution", label=host)
    page.fill("#id_start_date", start)
    page.fill("#id_end_date", end)
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Stay recorded")


def _report(page, tmp_path, fmt):
    page.click(f"button[name=format][value={fmt}]")
    page.wait_for_url("**/tasks/*/")
    page.wait_for_selector("#task-download:not([hidden]) a")
    with page.expect_download() as download:
        page.click("#task-download a")
    path = tmp_path / f"report.{fmt}"
    download.value.save_as(path)
    return path


def test_a_year_of_record_keeping_in_the_browser(
    live_server, page_factory, make_user, make_partnership, settings, tmp_path
):
    settings.TASKS_EAGER = True
    settings.VAR_DIR, settings.MEDIA_ROOT = tmp_path / "var", tmp_path / "media"
    make_user("keeper", Role.COORDINATOR)
    from healthlinks.accounts.models import User

    p = make_partnership(name="Gulu Leeds Nursing", coordinator=User.objects.get(username="keeper"))
    host = p.members.get(role="partner").institution.name
    base, slug = live_server.url, p.slug
    page = page_factory()
    _login(page, base, "keeper")

    # two people, from the partnership's page
    for given, family in (("Ann", "Okot"), ("Ben", "Lule")):
        page.goto(f"{base}/partnerships/{slug}/")
        page.click("text=Add a person")
        page.fill("#id_given_name", given)
        page.fill("#id_family_name", family)
        page.select_option("#id_role", "volunteer")
        page.click("main form button[type=submit]")
        page.wait_for_selector(f"text={given} {family}")

    # three stays: the picker suggests as one types, and the typed name is enough
    page.goto(f"{base}/partnerships/{slug}/stays/new/")
    page.fill("#id_person", "Oko")
    expect(page.locator("#id_person-options option")).to_have_count(1)  # htmx asked the server
    assert "Ann Okot" in page.inner_html("#id_person-options")
    _log_stay(page, base, slug, "Okot", "2024-02-01", "2024-02-14", host)
    _log_stay(page, base, slug, "Okot", "2024-09-01", "2024-09-10", host)
    phone = page_factory(360, 740)
    _login(phone, base, "keeper")
    _log_stay(phone, base, slug, "Lule", "2024-03-01", "2024-05-31", host)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "phone_stay_logged")

    # the activity, delivered during the first stay, with its attendance list typed in
    page.goto(f"{base}/partnerships/{slug}/")
    page.click("text=Record an activity")
    page.fill("#id_title", "Neonatal resuscitation")
    page.fill("#id_start_date", "2024-02-05")
    page.fill("#id_end_date", "2024-02-06")
    page.fill("#id_stays", "2024-02")  # the stays are found by typing: the February visit only
    expect(page.locator("#id_stays-found input")).to_have_count(1)
    page.locator("#id_stays-found input").check()
    expect(page.locator(".multi-picker .chosen input:checked")).to_have_count(1)  # kept, whatever is typed next
    page.fill("#id_new_trainees", "\n".join(TRAINEES))
    page.select_option("#id_facility_level", "district")
    page.fill("#id_counted", "5")
    page.select_option("#id_counted_cadre", "3221")
    page.select_option("#id_counted_sex", "female")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Activity recorded.")
    assert "15 (10 named, 5 counted)" in page.inner_text("main")
    activity_url = page.url

    # the class's scores in one grid
    page.click("text=Enter test scores")
    inputs = page.locator("table.scores tbody tr")
    assert inputs.count() == 10
    for i in range(10):
        row = inputs.nth(i)
        row.locator("input[name^=pre_score]").fill(str(40 + i))
        row.locator("input[name^=post_score]").fill(str(70 + i))
    page.click("text=Save all scores")
    page.wait_for_selector("text=Test scores saved.")
    assert "10 trainees tested" in page.inner_text("main")

    # a 3-month follow-up of one trainee
    page.click("text=Record an outcome or follow-up")
    page.select_option("#id_level", "3")
    page.select_option("#id_dimension", "practice")
    page.fill("#id_person", "Trainee0")
    page.select_option("#id_practice_changed", "true")
    page.select_option("#id_follow_up_months", "3")
    page.select_option("#id_method", "observed")
    page.fill("#id_recorded_on", "2024-05-06")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Outcome recorded.")
    assert page.url == activity_url

    # a cash cost and an in-kind gift
    page.goto(f"{base}/partnerships/{slug}/")
    page.click("text=Enter a cost")
    page.select_option("#id_category", "travel")
    page.fill("#id_amount", "1240")
    page.fill("#id_currency", "gbp")
    page.fill("#id_spent_on", "2024-01-20")
    page.click("main form.stack button[type=submit]")
    page.wait_for_selector("text=Cash cost saved.")
    page.click("text=Add an in-kind gift")
    page.select_option("#id_kind", "donated_equipment")
    page.fill("#id_value", "800")
    page.fill("#id_currency", "GBP")
    page.fill("#id_received_on", "2024-02-05")
    page.fill("#id_valuation_method", "invoice")
    page.click("main form.stack button[type=submit]")
    page.wait_for_selector("text=In-kind gift saved.")

    # TRN-01 with a target
    page.goto(f"{base}/partnerships/{slug}/results/")
    page.select_option("#id_result_level", "1")
    page.fill("#id_result_title", "Skilled staff")
    page.select_option("#id_library_code", "TRN-01")
    page.fill("#id_start", "2024-01-01")
    page.fill("#id_end", "2024-12-31")
    page.fill("#id_target", "20")
    page.click("#indicator-form button[type=submit]")
    page.wait_for_selector("text=Indicator added.")
    row = page.locator(".results-table tbody tr").first
    assert row.locator(".actual").inner_text().startswith("15") and "75%" in row.inner_text()

    # the summary and the report show exactly those figures
    page.goto(f"{base}/partnerships/{slug}/")
    stats = page.inner_text("ul.stats")
    for figure in ("15\nhealth workers trained", "116\nvolunteer days", "1\nactivities", "1,240.00 GBP",
                   "800.00 GBP"):  # fmt: skip
        assert figure in stats, (figure, stats)
    shot(page, "desk_journey_partnership")
    html = _report(page, tmp_path, "html").read_text()
    totals = re.sub(r"<[^>]+>", " ", html.split('class="stats"', 1)[1].split("</ul>", 1)[0])
    totals = " ".join(totals.split())
    assert "15 health workers trained" in totals and "116 volunteer days" in totals, totals
    assert "1 trainees whose practice changed" in totals and "1,240 GBP cash" in totals, totals
    page.goto(f"{base}/partnerships/{slug}/")
    assert _report(page, tmp_path, "pdf").read_bytes().startswith(b"%PDF")
    assert page.errors == [] and phone.errors == []
