"""Every write method × every role, mixed memberships included: a write is accepted only where the user's role in
the record's partnership allows it (tests/security/matrix.py, WRITES). Each request is rolled back."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.security.matrix import WRITES
from tests.security.test_permission_matrix import _clients
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _send(client: Client, method: str, path: str, body: dict[str, Any]) -> int:
    if path.startswith("/api/"):
        return client.generic(method, path, json.dumps(body), content_type="application/json").status_code
    return client.post(path, body).status_code


def test_every_write_as_every_role_is_accepted_only_where_the_matrix_says():
    world = build_world()
    clients = _clients(world)
    problems = []
    logging.disable(logging.WARNING)
    try:
        for name, entry in WRITES.items():
            path, body = entry.path.format(**world["ids"]), _fill(entry.body, world["ids"])
            for role, expected in zip(ROLES, entry.codes, strict=True):
                with transaction.atomic():
                    code = _send(clients[role], entry.method, path, body)
                    transaction.set_rollback(True)
                if code != expected:
                    problems.append(f"{name}: {entry.method} {path} as {role}: {code}, expected {expected}")
    finally:
        logging.disable(logging.NOTSET)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
