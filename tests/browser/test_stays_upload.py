"""A coordinator uploads a year of stays with one bad row, reads the error, fixes it, sees the timeline."""

import csv

import pytest

from healthlinks.accounts.models import Role
from healthlinks.interchange.tabular.network import STAY_COLUMNS, import_people
from healthlinks.network.models import Person, Stay
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_fix_and_see_the_timeline(live_server, page_factory, make_user, make_partnership, tmp_path):
    coordinator = make_user("kampala", Role.COORDINATOR)
    p = make_partnership(name="Leeds Gulu", coordinator=coordinator)
    uk, ug = (m.institution for m in p.members.order_by("role"))
    people = tmp_path / "people.csv"
    people.write_text("external_id,given_name,family_name\nV1,Amina,Okello\n")
    import_people(people, partnership=p)

    def write(rows):
        path = tmp_path / "stays.csv"
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(STAY_COLUMNS)
            w.writerows(rows)
        return path

    good = [p.slug, uk.name, ug.name, "physical"]
    rows = [
        ["S1", "V1", *good, "2024-02-05", "2024-02-16", "teaching", "", "partnership"],
        ["S2", "V1", *good, "2024-09-31", "2024-10-20", "mentoring", "", "partnership"],
    ]
    page = page_factory(390, 844)  # a phone in Kampala
    _login(page, live_server.url, "kampala")
    page.goto(f"{live_server.url}/import/")
    page.select_option("#id_kind", "stays")
    page.set_input_files("#id_file", str(write(rows)))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector(".import-errors")
    errors = page.inner_text(".import-errors")
    assert "stays.csv, row 3, column start_date" in errors and "2024-09-31" in errors
    shot(page, "phone_import_error")
    assert not Stay.objects.exists()

    rows[1][6] = "2024-09-30"
    page.set_input_files("#id_file", str(write(rows)))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result [role=status]")
    assert "2 stays imported" in page.inner_text("#import-result")

    person = Person.objects.get(external_id="V1")
    page.goto(f"{live_server.url}/people/{person.pseudo_id}/")
    page.wait_for_selector(".chart svg .mark-rect path")
    assert page.locator(".chart svg .mark-rect path").count() == 2
    assert "Amina Okello" in page.inner_text("h1")
    shot(page, "phone_person_timeline")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.errors, page.errors
