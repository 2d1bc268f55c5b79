"""Under the Content-Security-Policy, charts still draw (Vega's CSP-safe interpreter) and the browser reports no
CSP violation on the pages that carry charts, the admin and the API docs."""

from __future__ import annotations

from datetime import date

import pytest

from healthlinks.accounts.models import Role
from healthlinks.network.services import stay_create
from tests.browser.test_registry_flow import _login

pytestmark = pytest.mark.django_db(transaction=True)


def _watch(page):  # type: ignore[no-untyped-def]
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(f"{page.url}: {m.text[:200]} @ {m.location.get('url')}")
        if "Content Security Policy" in m.text or "Refused to" in m.text
        else None,
    )
    return violations


def test_charts_render_with_no_csp_violation(live_server, page_factory, network_world, make_user):
    w = network_world
    stay_create(
        by=None,
        person=w["alice"],
        partnership=w["p"],
        sending_institution=w["uk"],
        host_institution=w["ug"],
        mode="physical",
        start_date=date(2016, 1, 1),
        end_date=date(2016, 3, 1),
    )
    make_user("cspadmin", Role.HUB_ADMIN, is_superuser=True)
    base = live_server.url
    page = page_factory()
    violations = _watch(page)
    _login(page, base, "cspadmin")
    for path in (
        "/",
        f"/partnerships/{w['p'].slug}/mobility/",
        f"/partnerships/{w['p'].slug}/network/",
        f"/people/{w['alice'].pseudo_id}/",
    ):
        page.goto(base + path)
        page.wait_for_selector(".chart svg", timeout=15000)
        assert page.locator(".chart svg").count() >= 1, path
        assert "Chart could not be drawn" not in page.inner_text("main"), path
    for path in ("/admin/", "/admin/network/person/", "/api/docs/", "/ops/users/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    page.goto(base + "/api/docs/")
    page.wait_for_selector(".swagger-ui .information-container", timeout=15000)
    assert violations == [], "\n".join(violations)
    assert [e for e in page.errors if "status of 404" not in e] == [], page.errors  # 404: /favicon.ico
