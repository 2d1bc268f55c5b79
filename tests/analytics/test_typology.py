"""Typology: the published categories counted, the resilient combination, and the data-driven grouping."""

import numpy as np
import pytest
from django.urls import reverse

from healthlinks.analytics import engine, typology
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import typology_analysis


@pytest.mark.django_db
def test_published_categories_and_the_resilient_combination(make_partnership, admin_user, client_for):
    engine.clear()
    make_partnership(name="A", intervention="training_infrastructure", skills="generic")
    make_partnership(name="B", intervention="training_infrastructure", skills="specialist")
    make_partnership(name="C", intervention="training")
    data = typology_analysis(admin_user, Scope())
    assert data["distribution"]["intervention"] == {"training_infrastructure": 2, "training": 1}
    assert data["resilient"] == {"count": 1, "share": pytest.approx(1 / 3)}
    assert data["grouping"]["groups"] == [] and "Too few" in data["grouping"]["note"]
    page = client_for(None).get(reverse("analytics-typology")).content.decode()
    assert "resilient to staff mobility" in page
    assert client_for(None).get("/api/v1/analytics/typology/").json()["partnerships"] == 3


def test_the_grouping_finds_separated_groups_and_says_what_sets_them_apart(monkeypatch):
    rng = np.random.default_rng(1)
    virtual_heavy = np.column_stack([rng.normal(0.9, 0.02, 10), rng.normal(1.0, 0.1, 10)])
    visit_heavy = np.column_stack([rng.normal(0.1, 0.02, 10), rng.normal(5.0, 0.1, 10)])
    x = np.vstack([virtual_heavy, visit_heavy])
    pids = list(range(20))
    monkeypatch.setattr(typology, "_features", lambda snap, ids: (pids, ["virtual share", "median stay"], x))
    published = {
        i: {"slug": f"p{i}", "intervention": "training" if i < 10 else "training_infrastructure"} for i in pids
    }
    result = typology.grouping(None, pids, published)
    assert result["k"] == 2
    groups = sorted(result["groups"], key=lambda g: g["means"]["virtual share"])
    assert [g["partnerships"] for g in groups] == [10, 10]
    assert groups[1]["edwards_intervention"] == {"training": 10}
    top = groups[1]["distinguished_by"][0]
    assert top["feature"] in ("virtual share", "median stay") and abs(top["z"]) > 0.9
