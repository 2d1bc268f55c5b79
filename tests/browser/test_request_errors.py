"""An htmx form whose request fails says so where its result would appear: full disk, server error, no network."""

import pytest

from healthlinks.accounts.models import Role
from healthlinks.network.models import Stay
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"status": 507, "body": "The server's disk is full: nothing was saved.", "content_type": "text/plain"},
         "The server's disk is full: nothing was saved."),
        ({"status": 500, "body": "<h1>Server Error (500)</h1>", "content_type": "text/html"},
         "could not finish this request (HTTP 500). Imports and forms are saved whole or not at all"),
        (None, "did not reach the server"),
    ],
    ids=["disk-full", "server-error", "offline"],
)  # fmt: skip
def test_a_failed_upload_is_reported_in_place(live_server, page_factory, make_user, make_partnership, tmp_path,
                                               answer, expected):  # fmt: skip
    coordinator = make_user("kampala", Role.COORDINATOR)
    make_partnership(name="Leeds Gulu", coordinator=coordinator)
    upload = tmp_path / "stays.csv"
    upload.write_text("external_id\nS1\n")
    page = page_factory(390, 844)
    _login(page, live_server.url, "kampala")
    page.goto(f"{live_server.url}/import/")

    def fail(route):
        if route.request.method != "POST":
            return route.continue_()
        return route.abort("internetdisconnected") if answer is None else route.fulfill(**answer)

    page.route("**/import/", fail)
    page.select_option("#id_kind", "stays")
    page.set_input_files("#id_file", str(upload))
    page.click("#import-form button[type=submit]")
    alert = page.wait_for_selector("#import-result .request-error[role=alert]")
    assert expected in alert.inner_text()
    shot(page, f"phone_import_{'offline' if answer is None else answer['status']}")
    assert page.locator("#upload-progress").is_hidden()
    assert not Stay.objects.exists()
