"""WCAG 2.2 AA as axe-core checks it (vendored: tests/browser/vendor), on the pages a coordinator and a hub analyst
use most, charts drawn, in English and in Arabic (right to left): zero violations of any impact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from healthlinks.accounts.models import Role
from healthlinks.analytics import engine
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _violations(page: Any) -> list[str]:
    page.evaluate(AXE)  # evaluated by the browser's debugger: the pages' CSP forbids inline scripts
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: tags})).violations.map("
        "v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)",
        TAGS,
    )
    return list(found)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_main_pages_have_no_axe_violations(
    live_server, browser, make_user, world, language  # noqa: F811
) -> None:
    engine.clear()
    slug = world["p"].slug
    world["p"].access.create(user=make_user("a11y-coord", Role.COORDINATOR), role="coordinator")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=language)
    page = context.new_page()
    base = live_server.url
    problems: list[str] = []
    try:
        for user, paths in (
            (None, ["/", "/accounts/login/", "/partnerships/", f"/partnerships/{slug}/"]),
            (
                "a11y-coord",
                [
                    "/me/",
                    f"/partnerships/{slug}/mobility/",
                    f"/partnerships/{slug}/outcomes/",
                    f"/partnerships/{slug}/stays/new/",
                    f"/partnerships/{slug}/people/new/",
                    f"/partnerships/{slug}/activities/new/",
                    "/people/",
                    "/activities/",
                    "/analytics/impact/",
                    "/analytics/mobility/",
                ],
            ),
        ):
            if user:
                page.goto(f"{base}/accounts/login/")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", "Correct-Horse-9")
                page.click("main button[type=submit]")
                page.wait_for_url(f"{base}/me/")
            for path in paths:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                if page.locator(".chart[data-spec]").count():
                    page.wait_for_selector(".chart[data-rendered]", state="attached")
                    page.wait_for_timeout(300)  # vega draws after the libraries load
                assert page.locator("html").get_attribute("lang") == language, path
                problems += [f"{path}: {v}" for v in _violations(page)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
