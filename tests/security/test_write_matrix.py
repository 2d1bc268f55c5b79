"""Every write method × every role, mixed memberships included: a write is accepted only where the user's role in
the record's partnership allows it (tests/security/matrix.py, WRITES). Each request is rolled back."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from tests.security.matrix import MATRIX, WRITES
from tests.security.test_permission_matrix import _clients
from tests.security.world import ROLES, build_world

pytestmark = pytest.mark.django_db


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
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


def _shape(path: str) -> str:
    return re.sub(r"{\w+}", "{}", path)


def test_every_write_operation_of_the_api_has_a_line_in_the_write_matrix():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {
        (method.upper(), _shape(path))
        for path, methods in schema["paths"].items()
        for method in methods
        if method in ("post", "put", "patch", "delete")
    }
    covered = {(entry.method, _shape(entry.path)) for entry in WRITES.values()}
    assert operations - covered == set(), "add these to WRITES in tests/security/matrix.py"


# Posting to these changes the session, not the data.
SESSION_ONLY = {"login", "logout", "set_language"}


def test_every_page_that_accepts_a_post_has_a_line_in_the_write_matrix():
    """Every page answers a POST with 405 unless the write matrix tries it as every role."""
    world = build_world()
    admin = _clients(world)["hub_admin"]
    ids = world["ids"]
    written = {resolve(e.path.format(**ids)).url_name for e in WRITES.values() if not e.path.startswith("/api/")}
    untried = []
    logging.disable(logging.WARNING)
    try:
        for name, entry in MATRIX.items():
            path = entry.paths[0].format(**ids)
            if path.startswith(("/api/", "/admin/")) or name in written | SESSION_ONLY:
                continue
            with transaction.atomic():
                code = admin.post(path, {}).status_code
                transaction.set_rollback(True)
            if code != 405:
                untried.append(f"{name}: POST {path} answers {code}")
    finally:
        logging.disable(logging.NOTSET)
    assert not untried, "add to WRITES (or make the view require_safe):\n" + "\n".join(untried)
