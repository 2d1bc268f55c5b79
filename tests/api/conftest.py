from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from tests.api.world import build_api_world


@pytest.fixture(scope="module")
def api_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """tests/api/world.py, built once per module inside a transaction that is rolled back at the end (each test
    runs in a savepoint within it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_api_world()
        transaction.set_rollback(True)


@pytest.fixture
def role_clients(api_world: dict[str, Any]) -> dict[str, Any]:
    """A signed-in test client per role of the world, and "public" (no sign-in)."""
    from django.test import Client

    out = {"public": Client()}
    for role, user in api_world["users"].items():
        out[role] = Client()
        out[role].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return out


def send(client: Any, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """A JSON request (the API's bodies are JSON)."""
    import json

    return client.generic(method, path, json.dumps(body or {}), content_type="application/json", headers=headers)
