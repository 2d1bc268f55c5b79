"""The planning API: a partnership's plans with their lines (its members read; its coordinators and hub admins
write through planning.services), and the simulated figures with their intervals, per plan or compared,
reproducible with the same seed."""

from __future__ import annotations

import pytest

from healthlinks.planning.models import Plan
from tests.api.conftest import send

pytestmark = pytest.mark.django_db

PLANS = "/api/v1/plans/"
LINE = {"mode": "physical", "per_year": 2, "days": 14, "volunteers": 2, "cost_per_stay": "1500"}


def _body(world, **extra):
    return {"partnership": world["ids"]["a"], "name": "Two visits", "years": 2, "lines": [LINE]} | extra


def test_plans_are_read_by_the_partnerships_members_only(role_clients, api_world):
    ids = api_world["ids"]
    listed = role_clients["member"].get(PLANS).json()["results"]
    assert [(p["id"], p["partnership"], p["name"]) for p in listed] == [(ids["plan"], ids["a"], "Matrix plan")]
    assert listed[0]["lines"][0]["mode"] == "virtual" and listed[0]["lines"][0]["per_year"] == 4
    assert role_clients["member"].get(f"{PLANS}?partnership={ids['b']}").json()["count"] == 0
    for role in ("public", "researcher", "other_coordinator"):
        assert role_clients[role].get(PLANS).json()["results"] == [], role
        assert role_clients[role].get(f"{PLANS}{ids['plan']}/").status_code == 404, role
        assert role_clients[role].get(f"{PLANS}{ids['plan']}/simulate/").status_code == 404, role


def test_coordinators_write_plans_with_their_lines(role_clients, api_world):
    assert send(role_clients["public"], "POST", PLANS, _body(api_world)).status_code == 401
    assert send(role_clients["member"], "POST", PLANS, _body(api_world)).status_code == 403
    refused = send(role_clients["other_coordinator"], "POST", PLANS, _body(api_world))
    assert refused.status_code == 400 and "partnership" in refused.json()
    made = send(role_clients["coordinator"], "POST", PLANS, _body(api_world, budget="9000"))
    assert made.status_code == 201, made.content
    plan = Plan.objects.get(pk=made.json()["id"])
    assert (plan.name, plan.years, plan.lines.count(), plan.created_by.username) == ("Two visits", 2, 1, "m_coord")
    assert made.json()["lines"][0]["cost_per_stay"] == "1500.00"
    path = f"{PLANS}{plan.pk}/"
    assert send(role_clients["member"], "PATCH", path, {"budget": "1"}).status_code == 403
    kept = send(role_clients["coordinator"], "PATCH", path, {"budget": "8000", "notes": "cheaper"})
    assert kept.status_code == 200 and kept.json()["budget"] == "8000.00" and len(kept.json()["lines"]) == 1
    lines = [LINE, {"mode": "virtual", "per_year": 12, "days": 1}]
    replaced = send(role_clients["coordinator"], "PUT", path, _body(api_world, lines=lines))
    assert replaced.status_code == 200 and [line["mode"] for line in replaced.json()["lines"]] == [
        "physical",
        "virtual",
    ]
    assert replaced.json()["budget"] == "8000.00"  # an optional field left out is kept, as on every resource
    assert plan.lines.count() == 2
    assert send(role_clients["coordinator"], "DELETE", path).status_code == 204
    assert not Plan.objects.filter(pk=plan.pk).exists()


def test_bad_plans_are_refused_naming_the_field(role_clients, api_world):
    coordinator = role_clients["coordinator"]
    for body, field in (
        (_body(api_world, lines=[]), "lines"),
        (_body(api_world, lines=[LINE] * 7), "lines"),
        (_body(api_world, years=4), "years"),
        (_body(api_world, name=""), "name"),
        (_body(api_world, name="Matrix plan"), "name"),  # taken in the partnership
        (_body(api_world, budget="-1"), "budget"),
        (_body(api_world, partnership="nowhere"), "partnership"),
    ):
        response = send(coordinator, "POST", PLANS, body)
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    bad_line = send(coordinator, "POST", PLANS, _body(api_world, lines=[LINE, {**LINE, "mode": "by boat"}]))
    assert bad_line.status_code == 400 and "mode" in bad_line.json()["lines"]["1"]  # DRF names a line by its index
    # a line the model refuses (more volunteers than stays): the line and its field are named
    too_many = send(coordinator, "POST", PLANS, _body(api_world, years=1, lines=[LINE, {**LINE, "volunteers": 5}]))
    assert too_many.status_code == 400 and too_many.json() == {
        "lines": {"1": {"volunteers": ["more volunteers than stays: at most one stay a year times the years each"]}}
    }
    assert not Plan.objects.filter(name="Two visits").exists()


def test_the_simulation_is_reproducible_with_a_seed(role_clients, api_world):
    ids = api_world["ids"]
    member = role_clients["member"]
    path = f"{PLANS}{ids['plan']}/simulate/"
    first = member.get(path, {"seed": 5})
    assert first.status_code == 200, first.content
    data = first.json()
    assert data["seed"] == 5 and data["draws"] > 0
    figures = data["plans"][0]
    assert figures["plan"] == ids["plan"] and figures["stays"] == 4
    for key in ("reached", "practice_change", "trainers"):
        interval = figures[key]
        assert interval["low"] <= interval["median"] <= interval["high"], key
    assert member.get(path, {"seed": 5}).json() == data
    assert member.get(path).json()["seed"] == 2026  # the page's seed by default
    bad = member.get(path, {"seed": "-1"})
    assert bad.status_code == 400 and "seed" in bad.json()


def test_plans_are_compared_against_the_first(role_clients, api_world):
    ids = api_world["ids"]
    made = send(role_clients["coordinator"], "POST", PLANS, _body(api_world)).json()["id"]
    member = role_clients["member"]
    query = {"plans": f"{ids['plan']},{made}", "seed": 11}
    compared = member.get(f"{PLANS}compare/", query)
    assert compared.status_code == 200, compared.content
    first, second = compared.json()["plans"]
    assert (first["plan"], second["plan"]) == (ids["plan"], made)
    assert "rate_difference" not in first and {"rate_difference", "change_difference", "clear_difference"} <= set(
        second
    )
    assert member.get(f"{PLANS}compare/", query).json() == compared.json()
    for plans in ("", "1;2", ",".join(["1"] * 7)):
        response = member.get(f"{PLANS}compare/", {"plans": plans})
        assert response.status_code == 400 and "plans" in response.json(), plans
    unknown = member.get(f"{PLANS}compare/", {"plans": f"{ids['plan']},999999"})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no such plan: 999999"}
    hidden = role_clients["researcher"].get(f"{PLANS}compare/", {"plans": str(ids["plan"])})
    assert hidden.status_code == 404 and hidden.json() == {"detail": f"no such plan: {ids['plan']}"}


def test_a_line_states_the_conditions_it_assumes(role_clients, api_world):
    line = {**LINE, "named_counterpart": True, "shared_language": False}
    made = send(role_clients["coordinator"], "POST", PLANS, _body(api_world, name="With a counterpart", lines=[line]))
    assert made.status_code == 201, made.content
    saved = made.json()["lines"][0]
    assert (saved["named_counterpart"], saved["shared_language"], saved["protected_time"]) == (True, False, None)
    figures = role_clients["member"].get(f"{PLANS}{made.json()['id']}/simulate/").json()["plans"][0]
    assert "condition_gain" in figures and isinstance(figures["condition_gain_clear"], bool)
    plain = role_clients["member"].get(f"{PLANS}{api_world['ids']['plan']}/simulate/").json()["plans"][0]
    assert "condition_gain" not in plain  # a plan that states nothing is not set against itself
    bad = send(role_clients["coordinator"], "POST", PLANS, _body(api_world, lines=[{**LINE, "prior_contact": "often"}]))
    assert bad.status_code == 400 and "prior_contact" in bad.json()["lines"]["0"]
