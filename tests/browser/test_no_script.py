"""Without JavaScript a chart page shows its figures, not blank boxes; with it, the drawn chart leads and its
figures fold under it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_charts_without_javascript_are_tables_and_with_it_drawings(
    live_server, browser, page_factory, make_partnership
):
    make_partnership(name="Leeds Gulu")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/")
        expect(page.locator(".chart").first).to_be_hidden()
        expect(page.locator("details.figures table").first).to_be_visible()
    finally:
        context.close()
    page = page_factory()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector(".chart[data-spec=geography-spec] svg")
    expect(page.locator("details.figures").first).not_to_have_attribute("open", "")
    assert page.errors == []
