"""The resources added to complete the API (roles, cascades, in kind, rates, memos, themes, funding schemes, stay
sessions), each scoped as its page; ordering on every list; JSON errors for bad input and unknown paths."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(api_world: dict[str, Any]) -> dict[str, Client]:
    out = {"public": Client()}
    for role, user in api_world["users"].items():
        out[role] = Client()
        out[role].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return out


def _rows(client: Client, path: str) -> list[dict[str, Any]]:
    resp = client.get(path)
    assert resp.status_code == 200, (path, resp.status_code, resp.content[:300])
    body = resp.json()
    return body["results"] if isinstance(body, dict) else body


def test_person_roles_only_of_people_and_partnerships_the_reader_may_see(clients, api_world):
    ids = api_world["ids"]
    assert _rows(clients["public"], "/api/v1/person-roles/") == []
    admin = _rows(clients["hub_admin"], f"/api/v1/person-roles/?partnership={ids['a']}")
    assert {(r["person"], r["role"]) for r in admin} >= {(ids["person"], "trainee"), (ids["person"], "volunteer")}
    assert _rows(clients["hub_admin"], "/api/v1/person-roles/?role=mentor") == []
    member = _rows(clients["member"], f"/api/v1/person-roles/?person={ids['person']}")
    assert member and all(r["person"] == ids["person"] and r["partnership"] == ids["a"] for r in member)
    assert _rows(clients["other_coordinator"], f"/api/v1/person-roles/?person={ids['person']}") == []


def test_cascades_are_person_level(clients, api_world):
    ids = api_world["ids"]
    rows = _rows(clients["coordinator"], f"/api/v1/cascades/?activity={ids['activity']}")
    assert rows == [
        {"id": ids["cascade"], "activity": ids["activity"], "person": ids["person"], "people_trained": 4,
         "reported_on": "2016-06-01"}
    ]  # fmt: skip
    assert _rows(clients["public"], "/api/v1/cascades/") == []
    assert clients["other_coordinator"].get(f"/api/v1/cascades/{ids['cascade']}/").status_code == 404


def test_in_kind_is_read_as_cash_costs(clients, api_world):
    ids = api_world["ids"]
    for role, n in (("public", 0), ("other_coordinator", 0), ("researcher", 1), ("member", 1), ("hub_admin", 1)):
        assert len(_rows(clients[role], "/api/v1/in-kind/")) == n, role
    row = _rows(clients["member"], f"/api/v1/in-kind/?partnership={ids['a']}")[0]
    assert row["value"] == "250.00" and row["partnership"] == ids["a"] and row["kind"] == "donated_equipment"
    assert _rows(clients["member"], f"/api/v1/in-kind/?partnership={ids['b']}") == []


def test_rate_tables_themes_and_funding_schemes_are_public(clients, api_world):
    public = clients["public"]
    assert _rows(public, "/api/v1/currency-rates/?currency=ugx&year=2016")[0]["rate"] == "0.00021000"
    assert _rows(public, "/api/v1/currency-rates/?year=1999") == []
    assert _rows(public, "/api/v1/day-rates/?cadre=2221&year=2016")[0]["day_rate"] == "250.00"
    assert public.get("/api/v1/themes/mobility/").json() == {"slug": "mobility", "name": "Mobility"}
    assert isinstance(_rows(public, "/api/v1/funding-schemes/"), list)
    assert public.get("/api/v1/day-rates/?year=twenty").status_code == 400


def test_memos_only_to_the_partnerships_members(clients, api_world):
    ids = api_world["ids"]
    assert [m["text"] for m in _rows(clients["member"], "/api/v1/memos/")] == ["Sentinel internal note"]
    for role in ("public", "researcher", "other_coordinator"):
        assert _rows(clients[role], "/api/v1/memos/") == [], role
    assert clients["researcher"].get(f"/api/v1/memos/{ids['memo']}/").status_code == 404


def test_stays_carry_their_sessions(clients, api_world):
    stay = clients["coordinator"].get(f"/api/v1/stays/{api_world['ids']['virtual_stay']}/").json()
    assert stay["sessions"] == [{"date": "2016-05-01", "hours": "1.5"}, {"date": "2016-05-08", "hours": "2.0"}]
    assert stay["start_date"] == "2016-05-01" and stay["end_date"] == "2016-05-08"


def test_results_periods_are_documented_and_computed(clients, api_world):
    rows = _rows(clients["public"], f"/api/v1/results/?partnership={api_world['ids']['a']}")
    periods = {i["title"]: i["periods"][0] for r in rows for i in r["indicators"]}
    checklist = periods["Checklist use"]
    assert (checklist["numerator"], checklist["denominator"], checklist["actual"]) == ("3.00", "4.00", "75.00")
    assert checklist["computed"] is False
    trained = next(p for p in periods.values() if p["computed"])
    assert trained["target"] == "10.00" and {"dimension": "sex", "category": "female", "target": "6.00"}.items() <= (
        next(d for d in trained["disaggregations"] if d["category"] == "female").items()
    )


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/partnerships/?ordering=-name", "name"),
        ("/api/v1/stays/?ordering=-start_date", "start_date"),
        ("/api/v1/institutions/?ordering=-name", "name"),
        ("/api/v1/countries/?ordering=-iso3&page_size=5", "iso3"),
        ("/api/v1/person-roles/?ordering=role", "role"),
    ],
)
def test_lists_are_ordered_on_request(clients, api_world, path, field):
    values = [r[field] for r in _rows(clients["hub_admin"], path)]
    assert len(set(values)) >= 2
    descending = "=-" in path
    assert values == sorted(values, reverse=descending)


def test_an_unknown_ordering_field_is_refused_naming_the_parameter(clients, api_world):
    """Ordering by a private field would leak it through the order: it is refused like any field not listed."""
    resp = clients["hub_admin"].get("/api/v1/stays/?ordering=notes,-person__personal__email")
    assert resp.status_code == 400 and "ordering" in resp.json()
    assert clients["hub_admin"].get("/api/v1/stays/?ordering=-end_date,start_date").status_code == 200


def test_bad_input_is_a_400_naming_the_parameter(clients, api_world):
    admin = clients["hub_admin"]
    for path, name in (
        ("/api/v1/segments/?code=%C2%B2", "code"),  # a superscript two is a digit to Python, not a number
        ("/api/v1/references/?year=1e3", "year"),
        ("/api/v1/analytics/network/?year=2020&year=2021", "year"),
        ("/api/v1/stays/?start_after=", "start_after"),
        ("/api/v1/countries/?who_region=XYZ", "who_region"),
        ("/api/v1/people/?page_size=0", "page_size"),
        ("/api/v1/segments/?source=14352487789481672996771881549824", "source"),  # past 64 bits: was a 500
        ("/api/v1/analytics/impact/?year_from=-5", "year_from"),
        ("/api/v1/analytics/network/?year=99999", "year"),
    ):
        resp = admin.get(path)
        assert resp.status_code == 400 and name in resp.json(), (path, resp.content)


def test_a_year_to_before_year_from_selects_nothing(clients, api_world):
    resp = clients["hub_admin"].get("/api/v1/analytics/network/?year_from=2020&year_to=2010")
    assert resp.status_code == 200 and resp.json()["years"] == []


def test_unknown_api_paths_are_json_404s(clients):
    for path in ("/api/v1/no-such-thing/", "/api/v1/partnerships/a.b/c/", "/api/v1/countries/U.G/"):
        resp = clients["public"].get(path)
        assert resp.status_code == 404 and resp["Content-Type"] == "application/json", path
        assert resp.json() == {"detail": "Not found."}


def test_a_nul_character_never_reaches_the_database(clients, api_world):
    """PostgreSQL refuses NUL in text: the API answers 404 (path) or 400 (query, body) before any query."""
    admin = clients["hub_admin"]
    assert admin.get("/api/v1/partnerships/a%00b/").status_code == 404
    resp = admin.get("/api/v1/partnerships/?q=a%00b")
    assert resp.status_code == 400 and "NUL" in resp.json()["detail"]
    body = {"name": "X", "country": "GB\u0000R", "kind": "hospital"}
    resp = admin.post("/api/v1/institutions/", body, content_type="application/json")
    assert resp.status_code == 400 and "NUL" in resp.json()["detail"]
    resp = admin.patch(
        f"/api/v1/activities/{api_world['ids']['activity']}/", '{"title": "ok", "x": {"k\\u0000": 1}}',
        content_type="application/json",
    )  # fmt: skip
    assert resp.status_code == 400


def test_a_year_range_without_stays_is_an_empty_network_not_an_error(api_world):
    client = Client(raise_request_exception=False)
    assert client.get("/api/v1/analytics/network/?year_from=2017&year_to=2017").status_code == 200
