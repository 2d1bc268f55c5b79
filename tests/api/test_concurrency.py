"""No lost updates through the API: a write that carries If-Match with a version that is no longer current is
refused with 412 and changes nothing; writes answer with the record as it now is and its new version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from healthlinks.network.models import Person, Stay

pytestmark = pytest.mark.django_db


def _client(world: dict[str, Any], role: str = "coordinator") -> APIClient:
    client = APIClient()
    client.force_authenticate(world["users"][role])
    return client


def _send(client: APIClient, method: str, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.generic(method, path, json.dumps(body), content_type="application/json", headers=headers)


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(api_world: dict[str, Any]) -> None:
    path = f"/api/v1/stays/{api_world['ids']['stay']}/"
    first, second = _client(api_world), _client(api_world, "hub_admin")
    read = first.get(path)
    version = read["ETag"]
    assert version and not version.startswith("W/")  # a strong validator: If-Match compares strongly
    # Someone else saves meanwhile (their own version was current).
    saved = _send(second, "PATCH", path, {"notes": "the other coordinator's notes"}, **{"If-Match": version})
    assert saved.status_code == 200
    assert saved["ETag"] != version
    # The stale full PUT that used to blank the other user's notes.
    body = {k: read.json()[k] for k in ("person", "partnership", "host_institution", "mode", "start_date")}
    stale = _send(
        first, "PUT", path, {**body, "end_date": read.json()["end_date"], "notes": ""}, **{"If-Match": version}
    )
    assert stale.status_code == 412
    assert "changed since you read it" in stale.json()["detail"]
    assert Stay.objects.get(pk=api_world["ids"]["stay"]).notes == "the other coordinator's notes"
    assert (
        _send(
            first, "DELETE", f"/api/v1/outcomes/{api_world['ids']['outcome']}/", {}, **{"If-Match": '"0"'}
        ).status_code
        == 412
    )


def test_the_current_version_and_star_are_accepted_and_the_new_version_is_answered(api_world: dict[str, Any]) -> None:
    path = f"/api/v1/stays/{api_world['ids']['stay']}/"
    client = _client(api_world)
    version = client.get(path)["ETag"]
    saved = _send(client, "PATCH", path, {"notes": "first"}, **{"If-Match": version})
    assert saved.status_code == 200
    assert client.get(path)["ETag"] == saved["ETag"]  # the answer's version is what a GET now gives
    assert _send(client, "PATCH", path, {"notes": "second"}, **{"If-Match": "*"}).status_code == 200
    assert _send(client, "PATCH", path, {"notes": "third"}).status_code == 200  # no If-Match: as before
    # If-None-Match with the record's version: 304
    assert client.get(path, headers={"If-None-Match": client.get(path)["ETag"]}).status_code == 304


def test_a_patch_answers_with_the_data_after_the_change(api_world: dict[str, Any]) -> None:
    pseudo = api_world["ids"]["person"]
    client = _client(api_world)
    response = _send(client, "PATCH", f"/api/v1/people/{pseudo}/", {"email": "after@example.org", "grade": "B7"})
    assert response.status_code == 200, response.content
    assert response.json()["email"] == "after@example.org"
    assert response.json()["grade"] == "B7"
    assert Person.objects.get(pseudo_id=pseudo).personal.email == "after@example.org"
