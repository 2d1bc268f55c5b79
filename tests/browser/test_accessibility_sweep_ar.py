"""The axe sweep of every page as every role (test_accessibility_sweep.py), in Arabic: right to left, every
text translated (a module of its own so that the two languages run side by side)."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility_sweep import sweep

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_page_as_every_role_has_no_axe_violations_in_arabic(live_server, browser) -> None:
    sweep(live_server, browser, "ar")
