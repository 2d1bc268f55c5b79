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
