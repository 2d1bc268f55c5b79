"""How one record is written by a service: validated with ``full_clean`` and saved with its author in the
record's history (django-simple-history reads ``_history_user``). Services call these; nothing else does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models

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
