"""Soft delete: a deleted partnership or person vanishes for every role (hub admins too) from pages, lists,
exports and the API, loses nothing, and comes back when a hub admin restores it."""

from __future__ import annotations

import pytest

from healthlinks.network.models import Person, Stay
from healthlinks.ops.softdelete import partnership_delete, partnership_restore, person_delete, person_restore
from healthlinks.registry.models import Partnership
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client_for):
    w = build_world()
    w["clients"] = {role: client_for(user) for role, user in w["users"].items()}
    return w


def _sees_partnership(client, slug: str, name: str) -> bool:
    seen = [
        client.get(f"/partnerships/{slug}/").status_code == 200,
        client.get(f"/api/v1/partnerships/{slug}/").status_code == 200,
        name in client.get("/partnerships/").content.decode(),
        slug in client.get("/api/v1/partnerships/").content.decode(),
    ]
    assert len(set(seen)) == 1, f"pages and API disagree: {seen}"
    return seen[0]


def _sees_person(client, pseudo: str) -> bool:
    seen = [
        client.get(f"/people/{pseudo}/").status_code == 200,
        client.get(f"/api/v1/people/{pseudo}/").status_code == 200,
        pseudo in client.get("/api/v1/people/").content.decode(),
        pseudo in client.get("/api/v1/stays/").content.decode(),
        any(key in client.get("/export/stays.csv").content.decode() for key in (pseudo, "SENTINEL-EXT-1")),
    ]
    assert len(set(seen)) == 1, f"pages, API and export disagree: {seen}"
    return seen[0]


def test_a_deleted_partnership_is_hidden_from_everyone_and_restored_whole(world):
    slug, admin = world["ids"]["a"], world["users"]["hub_admin"]
    stays = Stay.objects.filter(partnership__slug=slug).count()
    for client in (world["clients"]["coordinator"], world["clients"]["hub_admin"]):
        assert _sees_partnership(client, slug, "Matrix Partnership A")

    partnership_delete(by=admin, slug=slug)

    for role, client in world["clients"].items():
        assert not _sees_partnership(client, slug, "Matrix Partnership A"), role
        assert client.get(f"/partnerships/{slug}/edit/").status_code in (403, 404), role
    assert world["ids"]["person"] not in world["clients"]["hub_admin"].get("/api/v1/stays/").content.decode()
    assert Stay.objects.filter(partnership__slug=slug).count() == stays  # nothing lost
    entry = Partnership.history.filter(slug=slug).first()
    assert entry.history_change_reason == "deleted" and entry.history_user == admin

    partnership_restore(by=admin, slug=slug)
    for role in ("coordinator", "member", "hub_admin", "researcher"):
        assert _sees_partnership(world["clients"][role], slug, "Matrix Partnership A"), role


def test_a_deleted_person_is_hidden_with_their_stays_and_restored(world):
    pseudo, admin = world["ids"]["person"], world["users"]["hub_admin"]
    assert _sees_person(world["clients"]["coordinator"], pseudo) and _sees_person(world["clients"]["hub_admin"], pseudo)
    person_delete(by=admin, pseudo_id=pseudo)
    for role, client in world["clients"].items():
        assert not _sees_person(client, pseudo), role
    assert Person.objects.filter(pseudo_id=pseudo, personal__given_name="Sentinel-Name").exists()
    person_restore(by=admin, pseudo_id=pseudo)
    assert _sees_person(world["clients"]["coordinator"], pseudo)


def test_the_deleted_records_page_is_for_hub_admins_and_deletes_and_restores(world):
    slug, pseudo = world["ids"]["a"], world["ids"]["person"]
    for role in ("coordinator", "member", "researcher", "other_coordinator"):
        client = world["clients"][role]
        assert client.post("/ops/deleted/", {"action": "delete_partnership", "key": slug}).status_code == 403
    assert not Partnership.objects.filter(deleted_at__isnull=False).exists()
    admin = world["clients"]["hub_admin"]
    admin.post("/ops/deleted/", {"action": "delete_partnership", "key": slug})
    admin.post("/ops/deleted/", {"action": "delete_person", "key": pseudo})
    page = admin.get("/ops/deleted/").content.decode()
    assert slug in page and pseudo in page
    again = admin.post("/ops/deleted/", {"action": "delete_person", "key": pseudo}).content.decode()
    assert "is already deleted" in again
    missing = admin.post("/ops/deleted/", {"action": "restore_partnership", "key": "x"}).content.decode()
    assert "no partnership with slug" in missing
    admin.post("/ops/deleted/", {"action": "restore_partnership", "key": slug})
    admin.post("/ops/deleted/", {"action": "restore_person", "key": pseudo})
    assert _sees_person(world["clients"]["coordinator"], pseudo)
    assert _sees_partnership(world["clients"]["coordinator"], slug, "Matrix Partnership A")
