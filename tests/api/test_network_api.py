from datetime import date

import pytest

from healthlinks.network.models import PersonRole
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def stays(network_world):
    w = network_world
    made = []
    for ext, person, start, days, mode in [
        ("S1", "alice", date(2016, 1, 1), 10, "physical"),
        ("S2", "alice", date(2017, 1, 1), 200, "physical"),
        ("S3", "bob", date(2016, 1, 5), 30, "physical"),
        ("S4", "bob", date(2018, 1, 1), 5, "virtual"),
    ]:
        made.append(
            stay_create(
                by=None,
                external_id=ext,
                person=w[person],
                partnership=w["p"],
                sending_institution=w["uk"],
                host_institution=w["ug"],
                mode=mode,
                start_date=start,
                end_date=date.fromordinal(start.toordinal() + days - 1),
            )
        )
    return made


def _ids(client, query):
    return sorted(s["external_id"] for s in client.get(f"/api/v1/stays/?{query}").json()["results"])


def test_stay_filters(client_for, admin_user, network_world, stays):
    c = client_for(admin_user)
    slug = network_world["p"].slug
    assert _ids(c, f"partnership={slug}") == ["S1", "S2", "S3", "S4"]
    assert _ids(c, "mode=virtual") == ["S4"]
    assert _ids(c, "continuum_class=long_term") == ["S2"]
    assert _ids(c, "continuum_class=visit") == ["S1", "S4"]
    assert _ids(c, "start_after=2017-01-01") == ["S2", "S4"]
    assert _ids(c, "end_before=2016-02-10") == ["S1", "S3"]
    assert _ids(c, f"person={network_world['alice'].pseudo_id}") == ["S1", "S2"]
    assert _ids(c, "person=A1") == ["S1", "S2"]
    assert c.get("/api/v1/stays/?start_after=yesterday").status_code == 400


def test_stays_carry_their_derived_fields(client_for, admin_user, stays):
    data = client_for(admin_user).get("/api/v1/stays/?continuum_class=long_term").json()["results"][0]
    assert {
        k: data[k]
        for k in (
            "external_id",
            "duration_days",
            "continuum_class",
            "repeat_index",
            "days_since_previous",
            "safeguard_flag",
        )
    } == {
        "external_id": "S2",
        "duration_days": 200,
        "continuum_class": "long_term",
        "repeat_index": 2,
        "days_since_previous": (date(2017, 1, 1) - date(2016, 1, 10)).days,
        "safeguard_flag": False,
    }


def test_inferred_ties_are_listed_once_and_marked(client_for, admin_user, network_world, stays):
    c = client_for(admin_user)
    slug = network_world["p"].slug
    assert c.get(f"/api/v1/ties/?partnership={slug}").json()["count"] == 0
    ties = c.get(f"/api/v1/ties/?partnership={slug}&include_inferred=true").json()["results"]
    assert len(ties) == 1 and ties[0]["inferred"] and ties[0]["kind"] == "co_presence"


def test_coordinator_creates_a_stay_but_not_in_another_partnership(client_for, network_world, make_partnership):
    w = network_world
    c = client_for(w["coordinator"])
    body = {
        "person": w["alice"].pseudo_id,
        "partnership": w["p"].slug,
        "host_institution": w["ug"].pk,
        "mode": "physical",
        "start_date": "2020-01-01",
        "end_date": "2020-01-31",
    }
    # a person outside the coordinator's partnerships cannot be referenced
    assert c.post("/api/v1/stays/", body, content_type="application/json").json() == {"person": ["no such person"]}
    PersonRole.objects.create(person=w["alice"], partnership=w["p"], role="volunteer")
    body = {
        "person": w["alice"].pseudo_id,
        "partnership": w["p"].slug,
        "host_institution": w["ug"].pk,
        "mode": "physical",
        "start_date": "2020-01-01",
        "end_date": "2020-01-31",
    }
    resp = c.post("/api/v1/stays/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["continuum_class"] == "short_stay"
    resp = c.post("/api/v1/stays/", {**body, "start_date": "2020-01-15"}, content_type="application/json")
    assert resp.status_code == 400 and "start_date" in resp.json()  # overlaps
    other = make_partnership(name="Not mine")
    resp = c.post(
        "/api/v1/stays/",
        {**body, "partnership": other.slug, "start_date": "2021-01-01", "end_date": "2021-01-02"},
        content_type="application/json",
    )
    assert resp.status_code == 400 and "partnership" in resp.json()


def test_a_virtual_engagement_recorded_as_sessions(client_for, admin_user, network_world, stays):
    c = client_for(admin_user)
    virtual = next(s for s in stays if s.mode == "virtual")
    body = [{"date": "2018-03-01", "hours": "1.5"}, {"date": "2018-01-10", "hours": "2"}]
    resp = c.put(f"/api/v1/stays/{virtual.pk}/sessions/", body, content_type="application/json")
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert (data["start_date"], data["end_date"], data["virtual_hours"]) == ("2018-01-10", "2018-03-01", "3.5")
    assert data["duration_days"] == 51
    bad = c.put(
        f"/api/v1/stays/{virtual.pk}/sessions/",
        [{"date": "2018-01-01", "hours": "30"}],
        content_type="application/json",
    )
    assert bad.status_code == 400 and "sessions" in bad.json()
    physical = next(s for s in stays if s.mode == "physical")
    resp = c.put(f"/api/v1/stays/{physical.pk}/sessions/", body, content_type="application/json")
    assert resp.status_code == 400
