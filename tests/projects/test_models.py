from __future__ import annotations

import pytest
from django.db import connection

from healthlinks.projects.models import Project


@pytest.mark.django_db
def test_project_history_tables_index_the_record_id_and_not_the_lookup_keys():
    """History is read record by record: each project table's history indexes `id`; the copies of its foreign keys
    and unique identifier, never looked up there, are not indexed (each index slowed every IATI import)."""
    models = list(Project._meta.app_config.get_models())
    histories = [m for m in models if m._meta.db_table.startswith("projects_historical")]
    assert len(histories) == 7
    with connection.cursor() as cursor:
        for history in histories:
            tracked = {f.attname for f in history.tracked_fields}  # type: ignore[attr-defined]
            keys = {
                f.attname
                for f in history.instance_type._meta.concrete_fields  # type: ignore[attr-defined]
                if (f.is_relation or f.unique) and not f.primary_key
            }
            assert keys and keys <= tracked
            indexed = {
                columns[0]
                for info in connection.introspection.get_constraints(cursor, history._meta.db_table).values()
                if info["index"] and (columns := info["columns"]) and len(columns) == 1
            }
            assert "id" in indexed, history.__name__
            assert not keys & indexed, (history.__name__, keys & indexed)
