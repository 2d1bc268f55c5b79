"""The value-for-money page: short (one chart per comparison), costs in their currency and price year, financial
beside economic cost, comparators and what volunteers bring back; the comparison group in words (singular)."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.analytics import engine
from healthlinks.results.services import comparator_save
from tests.analytics.test_vfm import small  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_page_shows_costs_with_currency_and_year_and_one_chart_per_comparison(small, client_for, admin_user):  # noqa: F811
    comparator_save(
        by=admin_user, name="Fly-in ETAT", kind="fly_in", year=2022, currency="GBP", cash_cost=Decimal(4000),
        trainees=30, followed_up=30, practice_changed=6,
    )  # fmt: skip
    engine.clear()
    page = client_for(None).get(reverse("analytics-vfm"), {"partnership": small["p"].slug}).content.decode()
    assert "GBP, prices of 2022" in page
    assert "3,450 GBP" in page or "3450 GBP" in page  # the economic cost, by hand in tests/analytics/test_vfm.py
    assert "Compared with 1 partnership whose main activity is Training course" in page
    assert "1 partnerships" not in page
    specs = dict(re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', page, re.S))
    cost = json.loads(specs["vfm-cost-spec"])
    labels = {(r["label"], r["cost"]) for r in cost["data"]["values"]}
    assert ("Fly-in ETAT (Fly-in course, 2022)", "financial (cash)") in labels
    assert ("1 partnership in scope", "economic") in labels
    charts = [k for k in specs if k.startswith("vfm-") and k[4:].isdigit()]
    assert len(charts) <= 10  # one chart per comparison, whatever the number of partnerships
    trained = json.loads(specs["vfm-0"])
    assert {r["cost"] for r in trained["data"]["values"]} == {"financial (cash)", "economic"}
    assert "<details" in page and "No returning volunteer of these partnerships" in page
    assert "Add a comparator programme" not in page  # the public does not edit comparators
    admin_page = client_for(admin_user).get(reverse("analytics-vfm")).content.decode()
    assert reverse("comparator-create") in admin_page
