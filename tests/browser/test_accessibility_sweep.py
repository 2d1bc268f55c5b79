"""axe-core on every page of the permission matrix (WCAG 2.2 AA, zero violations), each as the public, a
coordinator of the partnership and a hub administrator wherever that role may open it: the forms, lists and
record pages a role reaches, not only the main ones (tests/browser/test_accessibility.py also runs them in
Arabic, charts drawn)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

from tests.browser.test_accessibility import _violations
from tests.security.matrix import MATRIX
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db(transaction=True)

SWEPT = ("public", "coordinator", "hub_admin")


def _signed_in(browser: Any, base: str, user: Any, language: str, width: int = 1280) -> Any:
    """A browser context holding the session of `user` (signed in by the test client, not by the login form)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=language)
    if user is not None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])
    return context


def _wider_than_the_screen(page: Any) -> list[str]:
    """The page is wider than the phone it is shown on (something would have to be scrolled sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return [f"{width} px wide on a {PHONE} px screen"] if width > PHONE else []


PHONE = 360


def sweep(
    live_server: Any, browser: Any, language: str, check: Callable[[Any], list[str]] = _violations, width: int = 1280
) -> None:
    world = build_world()
    base = live_server.url
    problems: list[str] = []
    checked = 0
    for role in SWEPT:
        context = _signed_in(browser, base, world["users"].get(role) if role != "public" else None, language, width)
        page = context.new_page()
        try:
            for name, entry in MATRIX.items():
                if entry.method != "GET" or entry.pending or name.startswith(("api", "pick", "service")):
                    continue
                code = dict(zip(ROLES, entry.codes, strict=True))[role]
                for template in entry.paths if code == 200 else ():
                    if re.search(r"\.\w+$", template.split("?")[0]) or template == "/api/schema/":
                        continue  # a file to download, not a page
                    try:
                        response = page.goto(base + template.format(**world["ids"]), wait_until="load")
                    except PlaywrightError as error:
                        if "Download is starting" in str(error):
                            continue  # a file to download (an attachment), not a page
                        raise
                    if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                        continue
                    assert page.locator("html").get_attribute("lang") == language, template
                    checked += 1
                    problems += [f"{template} as {role}: {v}" for v in check(page)]
        finally:
            context.close()
    assert checked > 100, checked  # the sweep did visit the pages
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems)


def test_every_page_as_every_role_has_no_axe_violations_in_english(live_server, browser) -> None:
    sweep(live_server, browser, "en")


def test_every_page_as_every_role_fits_a_small_phone(live_server, browser) -> None:
    """At 360 px no page is wider than the screen: wide tables scroll inside their own box."""
    sweep(live_server, browser, "en", check=_wider_than_the_screen, width=PHONE)
