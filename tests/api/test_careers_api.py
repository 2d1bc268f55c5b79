"""The careers API: career records of the people the user may see (by pseudonymous id; the note only to those who
may see the person's personal data), written through careers.services by those who may edit the person; and
retention at 1, 2 and 5 years by partnership and by kind, as JSON and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from healthlinks.careers.models import CareerRecord
from tests.api.conftest import send

pytestmark = pytest.mark.django_db

RECORDS = "/api/v1/career-records/"
RETENTION = "/api/v1/analytics/retention/"


def test_records_are_scoped_as_people_and_the_note_only_to_personal_readers(role_clients, api_world):
    ids = api_world["ids"]
    path = f"{RECORDS}{ids['career_record']}/"
    member = role_clients["member"].get(path).json()
    assert member["person"] == ids["person"] and member["status"] == "in_post"
    assert member["note"] == "Sentinel private stay note"
    researcher = role_clients["researcher"].get(path)
    assert researcher.status_code == 200 and "note" not in researcher.json()  # a consenting person, pseudonymous
    assert "Sentinel" not in researcher.content.decode()
    for role in ("public", "other_coordinator"):
        assert role_clients[role].get(path).status_code == 404, role
        assert role_clients[role].get(RECORDS).json()["results"] == [], role
    listed = role_clients["member"].get(f"{RECORDS}?person={ids['person']}").json()["results"]
    assert [r["id"] for r in listed] == [ids["career_record"]]
    assert role_clients["member"].get(f"{RECORDS}?partnership={ids['a']}").json()["count"] == 1
    assert role_clients["member"].get(f"{RECORDS}?partnership={ids['b']}").json()["count"] == 0


def test_those_who_may_edit_the_person_write_through_the_service(role_clients, api_world):
    ids = api_world["ids"]
    body = {"person": ids["person"], "recorded_on": "2019-05-01", "status": "moved_abroad", "country": "KEN"}
    assert send(role_clients["public"], "POST", RECORDS, body).status_code == 401
    assert send(role_clients["member"], "POST", RECORDS, body).status_code == 403
    assert send(role_clients["researcher"], "POST", RECORDS, body).status_code == 403
    refused = send(role_clients["other_coordinator"], "POST", RECORDS, body)
    assert refused.status_code == 400 and refused.json() == {"person": ["no such person"]}
    made = send(role_clients["coordinator"], "POST", RECORDS, body)
    assert made.status_code == 201, made.content
    record = CareerRecord.objects.get(pk=made.json()["id"])
    assert (record.status, record.country_id, record.source) == ("moved_abroad", "KEN", "form")
    assert record.history.get().history_user.username == "m_coord"
    path = f"{RECORDS}{record.pk}/"
    assert send(role_clients["member"], "PATCH", path, {"post": "x"}).status_code == 403
    changed = send(role_clients["coordinator"], "PATCH", path, {"post": "Head nurse", "grade": "B7"})
    assert changed.status_code == 200 and changed.json()["post"] == "Head nurse"
    assert send(role_clients["coordinator"], "DELETE", path).status_code == 204
    assert not CareerRecord.objects.filter(pk=record.pk).exists()


def test_bad_input_names_the_field(role_clients, api_world):
    person = api_world["ids"]["person"]
    coordinator = role_clients["coordinator"]
    for body, field in (
        ({"person": person, "recorded_on": "2019-05-01", "status": "retired"}, "status"),
        ({"person": person, "recorded_on": "May 2019", "status": "in_post"}, "recorded_on"),
        ({"person": person, "status": "in_post"}, "recorded_on"),
        ({"person": person, "recorded_on": "2019-05-01", "status": "in_post", "country": "XYZ"}, "country"),
        ({"person": "HL-NOBODY", "recorded_on": "2019-05-01", "status": "in_post"}, "person"),
        ({"person": person, "recorded_on": "2019-05-01", "status": "in_post", "grade": "x" * 61}, "grade"),
    ):
        response = send(coordinator, "POST", RECORDS, body)
        assert response.status_code == 400 and field in response.json(), (body, response.content)


def test_retention_by_partnership_and_kind_for_what_the_user_may_see(role_clients, api_world):
    ids = api_world["ids"]
    data = role_clients["member"].get(RETENTION).json()
    assert data["horizons"] == [1, 2, 5]
    row_a = next(r for r in data["by_partnership"] if r["partnership"] == ids["a"])
    # the sentinel's training ended 2016-01-12; a record on 2017-03-01 says in post: retained at one year
    one, two = row_a["cells"][0], row_a["cells"][1]
    assert (one["years"], one["followed_up"], one["retained"], one["percent"]) == (1, 1, 1, 100)
    assert two["followed_up"] == 0 and two["percent"] is None
    trainees = next(r for r in data["by_kind"] if r["kind"] == "trainee")
    assert trainees["kind_label"] == "Trainees" and trainees["cells"][0]["retained"] == 1
    public = role_clients["public"].get(RETENTION).json()
    assert public["by_partnership"] == [] and public["by_kind"] == []
    assert all(
        r["partnership"] != ids["a"] for r in role_clients["other_coordinator"].get(RETENTION).json()["by_partnership"]
    )
    only_b = role_clients["member"].get(f"{RETENTION}?partnership={ids['b']}").json()
    assert only_b["by_partnership"] == []
    bad = role_clients["member"].get(f"{RETENTION}?partnership=nowhere")
    assert bad.status_code == 400 and "partnership" in bad.json()


def test_retention_as_csv(role_clients, api_world):
    response = role_clients["member"].get(RETENTION, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and set(rows[0]) >= {
        "table",
        "partnership",
        "kind",
        "kind_label",
        "years",
        "due",
        "retained",
        "percent",
    }
    row = next(r for r in rows if r["table"] == "partnership" and r["partnership"] == api_world["ids"]["a"])
    assert (row["years"], row["retained"], row["percent"]) == ("1", "1", "100")
    json_rows = role_clients["member"].get(RETENTION).json()
    assert len(rows) == 3 * (len(json_rows["by_partnership"]) + len(json_rows["by_kind"]))
    empty = role_clients["public"].get(RETENTION, {"format": "csv"}).content.decode().splitlines()
    assert empty[0].startswith("table,partnership,name,kind") and len(empty) == 1
    bad = role_clients["public"].get(RETENTION, {"format": "csv", "partnership": "nowhere"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/json")
