"""Writes of career records: one (`career_record_save`) or many (`career_records_save_many`), validated, atomic,
with history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from healthlinks import bulk, changes
from healthlinks.accounts.models import User
from healthlinks.careers.models import CareerRecord
from healthlinks.records import record_delete, record_save


@transaction.atomic
def career_record_save(*, by: User | None, record: CareerRecord | None = None, **fields: Any) -> CareerRecord:
    """Record (or correct) one observation of a person's career: validated with `full_clean`, its author in the
    history."""
    record = record or CareerRecord()
    for name, value in fields.items():
        setattr(record, name, value)
    return record_save(record, by=by)


@transaction.atomic
def career_records_save_many(
    *, by: User | None, records: Sequence[CareerRecord], rows: Sequence[int] | None = None
) -> list[CareerRecord]:
    """Record many new career records at once, all or nothing: the first refused raises `RowInvalid` with its index
    in `records` (or `rows[index]`, the caller's row number) and its fields' messages, before anything is written."""
    bulk.validate(records, rows=rows)
    created = bulk.create(records, by=by)
    changes.changed([CareerRecord])
    return created


@transaction.atomic
def career_record_delete(*, by: User | None, record: CareerRecord) -> None:
    """Delete one career record (a wrong observation), its author in the history."""
    record_delete(record, by=by)
