"""Every route × every role: the status code of the matrix (tests/security/matrix.py), and no personal field of
the sentinel person (or private field of its partnership) in any response to a role that may not see it."""

from __future__ import annotations

import io
import logging
import os
import zipfile
from typing import Any

import pytest
from django.test import Client

from tests.security.matrix import MATRIX, routes
from tests.security.world import PERSONAL_ROLES, ROLES, SENTINELS, build_world

pytestmark = pytest.mark.django_db


def test_every_route_has_an_entry_in_the_matrix():
    found = routes()
    named = {name.split("#")[0] for name in MATRIX}
    missing = sorted(set(found) - named)
    assert not missing, "routes with no line in tests/security/matrix.py:\n" + "\n".join(
        f"  {name}: {found[name]}" for name in missing
    )
    stale = sorted(named - set(found))
    assert not stale, f"matrix lines for routes that no longer exist: {stale}"


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":  # XLSX: the text of every part
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return body.decode("utf-8", "replace")


def _clients(world: dict[str, Any]) -> dict[str, Client]:
    clients = {"public": Client()}
    for role, user in world["users"].items():
        clients[role] = Client()
        clients[role].force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return clients


def run_matrix() -> tuple[dict[tuple[str, str], int], list[str]]:
    """Request every path of the matrix as every role: observed codes and every problem found."""
    world = build_world()
    clients = _clients(world)
    observed: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    seen_by_allowed: set[str] = set()
    for name, entry in MATRIX.items():
        for template in entry.paths:
            path = template.format(**world["ids"])
            for role, expected in zip(ROLES, entry.codes, strict=True):
                client = clients[role]
                if entry.method == "GET":
                    response = client.get(path)
                elif path.startswith("/api/"):
                    response = client.generic(entry.method, path, "[]", content_type="application/json")
                else:
                    response = client.post(path)
                code = response.status_code
                observed[(path, role)] = code
                where = f"{entry.method} {path} as {role}"
                if code >= 500:
                    problems.append(f"{where}: server error {code}")
                elif expected is not None and code != expected:
                    problems.append(f"{where}: {code}, expected {expected} ({name})")
                login_expected = code == expected == 302 and role == "public" and entry.method == "GET"
                if login_expected and "/login/" not in response["Location"] and name != "set_language":
                    problems.append(f"{where}: redirected to {response['Location']}, not to log in")
                text = _text(response)
                leaked = [s for s in SENTINELS if s in text]
                if role in PERSONAL_ROLES:
                    seen_by_allowed.update(leaked)
                elif leaked:
                    problems.append(f"{where}: personal data leaked: {leaked}")
    # The leak check can fail: every sentinel reaches at least one role that may see it somewhere.
    unseen = sorted(set(SENTINELS) - seen_by_allowed)
    if unseen:
        problems.append(f"sentinels never shown even to allowed roles (leak check would be vacuous): {unseen}")
    return observed, problems


def test_every_role_gets_what_the_matrix_says_and_no_personal_data_leaks():
    logging.disable(logging.WARNING)  # thousands of expected 403/404 lines
    try:
        observed, problems = run_matrix()
    finally:
        logging.disable(logging.NOTSET)
    if os.environ.get("HEALTHLINKS_MATRIX_PROBE"):
        for (path, role), code in observed.items():
            print(f"PROBE {path} {role} {code}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
