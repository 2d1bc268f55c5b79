"""The readiness API: the hub's checklist items (signed-in users read, hub admins write through readiness.services),
each stay's checklist (its partnership's readers; its coordinators record checks) and the overview with the stays
starting within 30 days that still miss items, scoped to the partnerships the user may read."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from healthlinks.network.models import Person, Stay
from healthlinks.network.services import stay_create
from healthlinks.readiness.models import ReadinessCheck, ReadinessItem
from healthlinks.registry.models import Institution, Partnership
from tests.api.conftest import send

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/readiness-items/"


def _checklist(world: dict[str, Any]) -> str:
    return f"/api/v1/stays/{world['ids']['stay']}/readiness/"


def test_items_are_read_by_signed_in_users_and_written_by_hub_admins(role_clients, api_world):
    ids = api_world["ids"]
    assert role_clients["public"].get(ITEMS).json()["results"] == []
    names = [i["name"] for i in role_clients["researcher"].get(ITEMS).json()["results"]]
    assert "Matrix indemnity" in names
    assert role_clients["public"].get(f"{ITEMS}{ids['readiness_item']}/").status_code == 404
    assert send(role_clients["public"], "POST", ITEMS, {"name": "Visa"}).status_code == 401
    for role in ("researcher", "member", "coordinator"):
        assert send(role_clients[role], "POST", ITEMS, {"name": "Visa"}).status_code == 403, role
        assert send(role_clients[role], "PATCH", f"{ITEMS}{ids['readiness_item']}/", {"position": 3}).status_code == 403
    admin = role_clients["hub_admin"]
    made = send(admin, "POST", ITEMS, {"name": "  Visa  ", "evidence_needed": True, "position": 7})
    assert made.status_code == 201, made.content
    item = made.json()
    assert (item["name"], item["kind"], item["active"]) == ("Visa", "general", True)
    changed = send(admin, "PATCH", f"{ITEMS}{item['id']}/", {"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert ReadinessItem.history.filter(id=item["id"]).count() == 2  # written through the service, with history
    assert send(admin, "DELETE", f"{ITEMS}{item['id']}/").status_code == 204
    assert not ReadinessItem.objects.filter(pk=item["id"]).exists()


def test_item_bad_input_names_the_field(role_clients, api_world):
    admin = role_clients["hub_admin"]
    assert "name" in send(admin, "POST", ITEMS, {"name": ""}).json()
    assert "name" in send(admin, "POST", ITEMS, {"name": "Matrix indemnity"}).json()  # taken
    bad = send(admin, "POST", ITEMS, {"name": "Visa", "kind": "someday"})
    assert bad.status_code == 400 and "kind" in bad.json()
    assert "position" in send(admin, "POST", ITEMS, {"name": "Visa", "position": -1}).json()


def test_an_item_recorded_for_a_stay_is_not_deleted_but_taken_out_of_use(role_clients, api_world):
    item = api_world["ids"]["readiness_item"]
    refused = send(role_clients["hub_admin"], "DELETE", f"{ITEMS}{item}/")
    assert refused.status_code == 400 and "out of use" in refused.json()["active"][0]
    assert ReadinessItem.objects.filter(pk=item).exists()


def test_the_stays_checklist_is_read_by_its_partnerships_readers_only(role_clients, api_world):
    path = _checklist(api_world)
    rows = role_clients["member"].get(path).json()["results"]
    row = next(r for r in rows if r["item"] == api_world["ids"]["readiness_item"])
    assert row["status"] == "done" and row["done_on"] == "2016-01-01" and row["evidence_needed"] is True
    assert row["evidence_file"] == f"/readiness/evidence/{api_world['ids']['readiness_check']}/"
    assert set(row) == {"item", "name", "kind", "evidence_needed", "status", "done_on", "note", "evidence_file",
                        "checked_by"}  # fmt: skip
    for role in ("public", "researcher", "other_coordinator"):
        assert role_clients[role].get(path).status_code == 404, role
        assert role_clients[role].get(f"{path}{api_world['ids']['readiness_item']}/").status_code == 404, role
    assert role_clients["member"].get("/api/v1/stays/999999/readiness/").status_code == 404


def test_coordinators_record_a_check_members_may_not(role_clients, api_world):
    ids = api_world["ids"]
    path = f"{_checklist(api_world)}{ids['readiness_item']}/"
    assert send(role_clients["public"], "PUT", path, {"done_on": None}).status_code == 401
    assert send(role_clients["member"], "PUT", path, {"done_on": None}).status_code == 403
    assert send(role_clients["coord_b_member_a"], "PATCH", path, {"note": "x"}).status_code == 403
    assert send(role_clients["other_coordinator"], "PATCH", path, {"note": "x"}).status_code == 404
    coordinator = role_clients["coordinator"]
    version = coordinator.get(path)["ETag"]
    cleared = send(coordinator, "PUT", path, {"done_on": None, "note": ""}, **{"If-Match": version})
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["status"] == "missing" and cleared.json()["done_on"] is None
    assert cleared["ETag"] != version
    stale = send(coordinator, "PATCH", path, {"note": "late"}, **{"If-Match": version})
    assert stale.status_code == 412
    done = send(coordinator, "PATCH", path, {"done_on": "2016-01-03"})
    assert done.json()["done_on"] == "2016-01-03" and done.json()["checked_by"] == "m_coord"
    noted = send(coordinator, "PATCH", path, {"note": "Policy 42"})  # a PATCH keeps the done date
    assert (noted.json()["done_on"], noted.json()["note"], noted.json()["status"]) == (
        "2016-01-03",
        "Policy 42",
        "done",
    )
    check = ReadinessCheck.objects.get(stay_id=ids["stay"], item_id=ids["readiness_item"])
    assert check.note == "Policy 42" and check.history.count() >= 3
    removed = send(coordinator, "PATCH", path, {"clear_evidence": True})
    assert removed.json()["evidence_file"] is None


def test_a_check_with_bad_input_names_the_field(role_clients, api_world):
    path = f"{_checklist(api_world)}{api_world['ids']['readiness_item']}/"
    coordinator = role_clients["coordinator"]
    bad = send(coordinator, "PUT", path, {"done_on": "soon"})
    assert bad.status_code == 400 and "done_on" in bad.json()
    missing = send(coordinator, "PUT", path, {"note": "only a note"})  # a PUT says the done date, null or not
    assert missing.status_code == 400 and "done_on" in missing.json()
    long = send(coordinator, "PATCH", path, {"note": "x" * 2001})
    assert long.status_code == 400 and "note" in long.json()
    assert send(coordinator, "PUT", f"{_checklist(api_world)}999999/", {"done_on": None}).status_code == 404


def test_the_overview_lists_stays_starting_soon_with_missing_items(role_clients, api_world):
    ids = api_world["ids"]
    a = Partnership.objects.get(slug=ids["a"])
    start = date.today() + timedelta(days=10)
    host = Institution.objects.get(pk=ids["institution"])
    soon = stay_create(
        by=None, person=Person.objects.get(pseudo_id=ids["person"]), partnership=a,
        host_institution=host, mode="physical", start_date=start, end_date=start + timedelta(days=20),
    )  # fmt: skip
    later = stay_create(
        by=None, person=Person.objects.get(pseudo_id=ids["person"]), partnership=a,
        host_institution=host, mode="physical", start_date=start + timedelta(days=60),
        end_date=start + timedelta(days=70),
    )  # fmt: skip
    for role in ("member", "coordinator", "hub_admin"):
        data = role_clients[role].get("/api/v1/readiness/").json()
        assert data["soon_days"] == 30
        rows = {r["stay"]: r for r in data["starting_soon"]}
        assert soon.pk in rows and later.pk not in rows, role
        assert rows[soon.pk]["missing"] == [i["id"] for i in data["items"]]  # nothing done yet
        assert rows[soon.pk]["person"] == ids["person"] and rows[soon.pk]["partnership"] == ids["a"]
        row_a = next(r for r in data["partnerships"] if r["partnership"] == ids["a"])
        assert row_a["stays"] == 2 and row_a["ready"] == 0 and len(row_a["missing"]) == len(data["items"])
    for role in ("public", "researcher", "other_coordinator"):
        data = role_clients[role].get("/api/v1/readiness/").json()
        assert data["starting_soon"] == [] and all(r["partnership"] != ids["a"] for r in data["partnerships"]), role
    assert role_clients["member"].get(f"/api/v1/readiness/?partnership={ids['b']}").json()["starting_soon"] == []
    assert Stay.objects.filter(pk=soon.pk).exists()


def test_a_recorded_check_changes_the_checklists_validator(role_clients, api_world):
    """Readiness, careers and planning writes change the API's data version: no stale 304 after a write."""
    path = _checklist(api_world)
    member = role_clients["member"]
    before = member.get(path)
    assert member.get(path, headers={"If-None-Match": before["ETag"]}).status_code == 304
    item = f"{path}{api_world['ids']['readiness_item']}/"
    assert send(role_clients["coordinator"], "PATCH", item, {"note": "Renewed"}).status_code == 200
    after = member.get(path, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]


def test_an_item_due_on_return_is_not_yet_due_for_a_stay_not_ended(role_clients, api_world):
    from healthlinks.readiness.models import ItemKind
    from healthlinks.readiness.services import item_save

    ids = api_world["ids"]
    debrief = item_save(by=None, name="Matrix debrief", kind=ItemKind.DEBRIEF)
    start = date.today() + timedelta(days=10)
    coming = stay_create(
        by=None, person=Person.objects.get(pseudo_id=ids["person"]), partnership=Partnership.objects.get(slug=ids["a"]),
        host_institution=Institution.objects.get(pk=ids["institution"]), mode="physical", start_date=start,
        end_date=start + timedelta(days=20),
    )  # fmt: skip
    rows = role_clients["member"].get(f"/api/v1/stays/{coming.pk}/readiness/").json()["results"]
    status = {r["item"]: r["status"] for r in rows}
    assert status[debrief.pk] == "not_due" and status[ids["readiness_item"]] == "missing"
    data = role_clients["member"].get("/api/v1/readiness/").json()
    missing = next(r["missing"] for r in data["starting_soon"] if r["stay"] == coming.pk)
    assert debrief.pk not in missing and ids["readiness_item"] in missing
