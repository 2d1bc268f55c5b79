"""How one record is written by a service: validated with ``full_clean`` and saved with its author in the
record's history (django-simple-history reads ``_history_user``). Services call these; nothing else does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

M = TypeVar("M", bound=models.Model)


def record_save(
    record: M,
    *,
    by: Any,
    exclude: Iterable[str] | None = None,
    validate_unique: bool = True,
    validate: bool = True,
    **save: Any,
) -> M:
    """Validate (unless the caller has, `validate=False`) and save, the author in the history."""
    if validate:
        record.full_clean(exclude=list(exclude) if exclude else None, validate_unique=validate_unique)
    record._history_user = by  # type: ignore[attr-defined]
    record.save(**save)
    return record


def record_delete(record: models.Model, *, by: Any) -> None:
    record._history_user = by  # type: ignore[attr-defined]
    record.delete()


class RowInvalid(ValidationError):
    """A service that writes many records refused the one at `index` of its input; the message dict names the
    fields. Nothing was written."""

    def __init__(self, index: int, error: ValidationError) -> None:
        super().__init__(error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages})
        self.index = index


def lean_history(*unindexed: str, **options: Any) -> HistoricalRecords:
    """The history of a table written in bulk by imports. History is read record by record (by `id`, indexed) or
    by `history_id`, never by the other keys: their copies in the history table (`unindexed`: foreign keys, unique
    identifiers, slugs) are not indexed. Every imported row writes a history row, and those indexes cost an IATI
    import several per cent of its throughput into PostgreSQL (docs/benchmarks.md)."""
    return HistoricalRecords(no_db_index=list(unindexed), **options)
