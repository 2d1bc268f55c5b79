"""Pages without a chart do not fetch the chart libraries (830 KB): the login page and a form weigh a few tens
of KB; a page with a chart fetches them once and draws it."""

from __future__ import annotations

import pytest

from healthlinks.accounts.models import Role
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


def _visit(page, url):
    fetched = []

    def seen(response):
        try:
            size = len(response.body()) if response.status == 200 else 0
        except Exception:  # a redirect has no body to read
            size = 0
        fetched.append((response.url, size))

    page.on("response", seen)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return fetched


def test_a_form_is_light_and_a_chart_page_draws_its_charts(live_server, page_factory, make_user, make_partnership):
    make_user("light", Role.COORDINATOR)
    base = live_server.url
    page = page_factory()
    login = _visit(page, f"{base}/accounts/login/")
    assert not [u for u, _n in login if "vega" in u and u.endswith(".js")]
    assert sum(n for _u, n in login) < 150_000, login
    _login(page, base, "light")
    chart_page = page_factory()
    _login(chart_page, base, "light")
    fetched = _visit(chart_page, f"{base}/analytics/impact/")
    assert [u for u, _n in fetched if "vega.min.js" in u]
    chart_page.wait_for_selector(".chart[data-rendered]")  # set only once vega-embed is there
    assert page.errors == [] and chart_page.errors == []
