"""The test databases are made from the models (pyproject: --no-migrations; migrating them took about 15 s of CPU in
each test process), so that the migrations are what a real database gets, this test holds them equal to the models.
The migrations themselves are applied by the process-level tests (tests/security/test_production.py,
tests/ops/test_backup_restore.py and tests/ops/test_faults.py run `healthlinks migrate`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_its_migration(settings: Any) -> None:
    settings.MIGRATION_MODULES = {}  # the project's own migrations, not the ones pytest-django turns off
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as missing:
        hint = "run `DJANGO_SETTINGS_MODULE=healthlinks.settings django-admin makemigrations`"
        raise AssertionError(f"a model changed without its migration: {hint}") from missing
