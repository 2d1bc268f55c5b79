"""Personal data of volunteers and trainees: who sees names, emails and external ids, through every door."""

from datetime import date

import pytest

from healthlinks.accounts.models import Role
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db

SECRETS = ("Alice", "Secretname", "alice@example.org", "Bob", "Hiddenname", "bob@example.org")


@pytest.fixture
def world(network_world):
    w = network_world
    for person, start in ((w["alice"], date(2016, 1, 1)), (w["bob"], date(2016, 1, 10))):
        stay_create(
            by=None,
            person=person,
            partnership=w["p"],
            sending_institution=w["uk"],
            host_institution=w["ug"],
            mode="physical",
            start_date=start,
            end_date=start.replace(day=28),
            notes="Private note about the stay",
        )
    return w


def _every_door(client, w):
    alice = w["alice"].pseudo_id
    urls = [
        "/api/v1/people/",
        f"/api/v1/people/{alice}/",
        "/api/v1/stays/",
        "/api/v1/ties/",
        f"/api/v1/stays/?partnership={w['p'].slug}",
        "/people/",
        f"/people/{alice}/",
        f"/partnerships/{w['p'].slug}/mobility/",
        f"/partnerships/{w['p'].slug}/network/",
        "/export/people.csv",
        "/export/stays.csv",
        "/export/people.xlsx",
        "/export/ties.csv",
    ]
    return {url: client.get(url) for url in urls}


def test_a_researcher_never_receives_a_name_email_or_external_id(world, client_for, researcher):
    responses = _every_door(client_for(researcher), world)
    for url, resp in responses.items():
        assert resp.status_code == 200, url
        body = resp.content.decode("utf-8", "replace") if not url.endswith(".xlsx") else ""
        for secret in (*SECRETS, "Private note"):
            assert secret not in body, f"{secret} leaked through {url}"
    people = responses["/api/v1/people/"].json()["results"]
    assert [p["pseudo_id"] for p in people] == [world["alice"].pseudo_id]  # only who consented
    assert "external_id" not in people[0] and "email" not in people[0]
    stays = responses["/api/v1/stays/"].json()["results"]
    assert [s["person"] for s in stays] == [world["alice"].pseudo_id]


def test_the_partnerships_coordinator_sees_personal_data(world, client_for):
    client = client_for(world["coordinator"])
    data = client.get(f"/api/v1/people/{world['alice'].pseudo_id}/").json()
    assert data["email"] == "alice@example.org" and data["external_id"] == "A1"
    assert "Alice Secretname" in client.get(f"/people/{world['alice'].pseudo_id}/").content.decode()
    assert b"bob@example.org" in client.get("/export/people.csv").content


def test_a_coordinator_of_another_partnership_sees_no_one(world, client_for, make_user, make_partnership):
    stranger = make_user("stranger", Role.COORDINATOR)
    make_partnership(name="Other", coordinator=stranger)
    client = client_for(stranger)
    assert client.get("/api/v1/people/").json()["count"] == 0
    assert client.get(f"/people/{world['alice'].pseudo_id}/").status_code == 404
    assert client.get("/api/v1/stays/").json()["count"] == 0
    body = client.get("/export/people.csv").content.decode()
    for secret in SECRETS:
        assert secret not in body


def test_the_public_gets_no_person_level_records(world, client):
    assert client.get("/api/v1/people/").json()["count"] == 0
    assert client.get("/api/v1/stays/").json()["count"] == 0
    assert client.get("/people/").status_code == 302  # to the login page
    mobility = client.get(f"/partnerships/{world['p'].slug}/mobility/").content.decode()
    assert world["alice"].pseudo_id not in mobility  # aggregate counts only, no person-level rows
    assert client.get(f"/partnerships/{world['p'].slug}/network/").status_code == 403
