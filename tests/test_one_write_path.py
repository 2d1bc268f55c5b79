"""One path into the database: outside the apps' services (and the two modules they write with, records and bulk),
no module creates, bulk-writes or updates rows itself. Process-level housekeeping is named here, with its reason."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "healthlinks"
WRITES = re.compile(
    r"\.objects\.(create|bulk_create|bulk_update|update_or_create|get_or_create)\("
    r"|bulk_create_with_history\(|bulk_update_with_history\(|\.objects\.filter\([^)]*\)\.(update|delete)\("
)
# modules that are services in all but name, each with why
ALLOWED = {
    "records.py": "saves one record for the services",
    "bulk.py": "writes many records for the services",
    "changes.py": "the data version counters themselves",
    "api/tokens.py": "API tokens (rest_framework's own model) for the account page",
    "web/offline.py": "the idempotency keys of forms sent again from a phone",
    "ops/erasure.py": "the erasure service (hub administrators)",
    "ops/sessions.py": "revoking sessions and tokens (hub administrators)",
}


def test_no_module_writes_around_the_services():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if path.name == "services.py" or "/migrations/" in relative or relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if WRITES.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []


def test_the_check_would_see_a_write_around_the_services():
    assert WRITES.search("Person.objects.bulk_create(rows)")
    assert WRITES.search("Stay.objects.filter(pk=1).update(mode='x')")
    assert not WRITES.search("book.save(buffer)")


def test_services_write_many_rows_only_through_the_shared_bulk_writer():
    """simple-history's bulk helpers validate nothing and stamp nothing: every bulk write of a service goes through
    healthlinks.bulk (validated, auto_now stamped, a history row with its author and reason)."""
    helpers = re.compile(r"bulk_(create|update)_with_history")
    found = [
        f"{path.relative_to(SRC).as_posix()}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        if "/migrations/" not in path.as_posix()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if helpers.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []
