"""A coordinator records a training with its trainees and sees the results table move."""

from datetime import date
from decimal import Decimal

import pytest

from healthlinks.accounts.models import Role
from healthlinks.network.models import PersonRole
from healthlinks.network.services import person_save
from healthlinks.results.services import indicator_add
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


def test_record_an_activity_and_see_the_results_table_update(live_server, page_factory, make_user, make_partnership):
    coordinator = make_user("trainer", Role.COORDINATOR)
    p = make_partnership(name="Mbarara Bristol", coordinator=coordinator)
    indicator_add(
        by=None,
        partnership=p,
        result_level=1,
        result_title="Skilled staff",
        library_code="TRN-01",
        start=date(2024, 1, 1),
        end=date(2024, 12, 31),
        target=Decimal(10),
    )
    for i in range(2):
        person = person_save(
            by=None, external_id=f"TR{i}", given_name=f"Nurse{i}", family_name="Atim", cadre_id="2221", sex="female"
        )
        PersonRole.objects.create(person=person, partnership=p, role="trainee")
    base = live_server.url
    page = page_factory()
    _login(page, base, "trainer")
    page.goto(f"{base}/partnerships/{p.slug}/results/")
    assert page.locator(".results-table .actual").first.inner_text().startswith("0")

    page.goto(f"{base}/partnerships/{p.slug}/activities/new/")
    page.fill("#id_title", "Neonatal resuscitation")
    page.fill("#id_start_date", "2024-05-06")
    page.fill("#id_end_date", "2024-05-07")
    page.locator("#id_trainees-found").get_by_label(
        "Nurse0 Atim (" + p.person_roles.first().person.pseudo_id + ")"
    ).check()
    page.fill("#id_new_trainees", "Grace Akello, 2221")
    page.select_option("#id_facility_level", "district")
    page.fill("#id_counted", "4")
    page.select_option("#id_counted_cadre", "2222")
    page.select_option("#id_counted_sex", "female")
    page.click("main form button[type=submit]")
    page.wait_for_selector("text=Activity recorded.")
    assert "6 (2 named, 4 counted)" in page.inner_text("main")  # Nurse0 ticked, Grace typed in

    page.goto(f"{base}/partnerships/{p.slug}/results/")
    row = page.locator(".results-table tbody tr").first
    assert row.locator(".actual").inner_text().startswith("6") and "60%" in row.inner_text()
    shot(page, "desk_results_table")
    page.goto(f"{base}/partnerships/{p.slug}/outcomes/")
    page.wait_for_selector("[data-spec=cadre-spec] svg")
    shot(page, "desk_outcomes")
    assert not page.errors, page.errors
