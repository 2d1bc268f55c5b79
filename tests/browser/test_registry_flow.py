"""A hub analyst's first session: log in, create a partnership, find it, see it on the map; then on a phone."""

import json
import re

import pytest

from healthlinks.accounts.models import Role
from tests.browser.conftest import shot

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Correct-Horse-9")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/me/")  # signing in lands on My partnerships
    assert page.locator("h1").inner_text() == "My partnerships"
    page.goto(f"{base}/")


def test_create_find_and_map_a_partnership(live_server, page_factory, make_user, make_institution):
    make_user("analyst", Role.HUB_ADMIN)
    make_institution("GBR", name="Leeds Teaching Hospitals NHS Trust", latitude=53.8, longitude=-1.55)
    make_institution("UGA", name="Gulu Regional Referral Hospital", latitude=2.78, longitude=32.3)
    make_institution("KEN", name="Moi Teaching and Referral Hospital")
    base = live_server.url
    page = page_factory()
    _login(page, base, "analyst")

    page.goto(f"{base}/partnerships/new/")
    page.fill("#id_name", "Leeds–Gulu Anaesthesia Partnership")
    page.fill("#id_start_date", "2023-03-01")
    # institutions are picked by typing (the registry can hold thousands): the suggestions come from the server
    page.fill("#id_members-0-institution", "Leeds Teaching")
    leeds = "#id_members-0-institution-options option[value^='Leeds Teaching Hospitals NHS Trust']"
    page.wait_for_selector(leeds, state="attached")
    chosen = page.get_attribute(leeds, "value")  # what choosing it from the list puts in the box
    page.fill("#id_members-0-institution", chosen)
    page.select_option("#id_members-0-role", "lead")
    page.fill("#id_members-1-institution", "Gulu Regional")  # a unique part of the name is enough
    page.check("input[name=specialties][value=anaesthesia]")
    shot(page, "desk_partnership_form")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/partnerships/leeds-gulu-anaesthesia-partnership/")
    assert "North–South" in page.inner_text("main")
    shot(page, "desk_partnership_detail")

    # search (htmx swaps the results as one types) and a filter
    page.goto(f"{base}/partnerships/")
    page.fill("input[name=q]", "gulu")
    page.locator("#results", has_text="1 partnership").wait_for()  # no wait_for_function: the CSP forbids eval
    assert "Leeds–Gulu Anaesthesia Partnership" in page.inner_text("#results")
    page.fill("input[name=q]", "")
    page.select_option("select[name=specialty]", "surgery")
    page.locator("#results", has_text="0 partnerships").wait_for()  # no wait_for_function: the CSP forbids eval
    page.select_option("select[name=specialty]", "")
    page.locator("#results", has_text="1 partnership").wait_for()  # no wait_for_function: the CSP forbids eval
    page.select_option("select[name=country]", "UGA")
    page.wait_for_url(re.compile(r".*country=UGA.*"))
    page.locator("#results", has_text="1 partnership").wait_for()  # no wait_for_function: the CSP forbids eval
    assert "Leeds–Gulu Anaesthesia Partnership" in page.inner_text("#results")
    shot(page, "desk_partnership_list")

    # the dashboard map draws the new link
    page.goto(f"{base}/")
    page.wait_for_selector(".map svg .mark-rule line")
    assert page.locator(".map svg .mark-rule line").count() == 1
    spec = json.loads(page.inner_text("#map-spec"))
    link_layer = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert link_layer["data"]["values"][0]["partnership"] == "Leeds–Gulu Anaesthesia Partnership"
    shot(page, "desk_dashboard")
    assert not page.errors, page.errors


@pytest.mark.parametrize(
    "path", ["/", "/partnerships/", "/partnerships/p-one/", "/institutions/", "/partnerships/new/"]
)
def test_pages_fit_a_phone(live_server, page_factory, make_user, make_partnership, path):
    make_user("phoneuser", Role.HUB_ADMIN)
    make_partnership(name="P one", specialties=["surgery"])
    page = page_factory(375, 812)
    _login(page, live_server.url, "phoneuser")
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    shot(page, "phone_" + (path.strip("/").replace("/", "_") or "dashboard"))
    assert overflow <= 375, f"{path} is {overflow}px wide on a 375px phone"
    assert not page.errors, page.errors
