"""Shared parts of the tabular importers: error collection, lookups by name or identifier, permissions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from healthlinks.accounts.models import User
from healthlinks.interchange.tabular.reader import ImportRejected, RowError, Table
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Person
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution, Partnership


@dataclass
class ImportResult:
    kind: str
    file: str
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)

    def count(self, created: bool) -> None:
        if created:
            self.created += 1
        else:
            self.updated += 1

    def __str__(self) -> str:
        total = self.created + self.updated
        return f"{self.file}: {total} {self.kind} imported ({self.created} new, {self.updated} updated)"


# Columns whose text or number goes to the database as it is: the model field that bounds it. The databases refuse
# (PostgreSQL) or mangle (SQLite) a longer text or a number with more digits, so such a cell is an error of its row.
TEXT_FIELDS = {
    "external_id": ("network.Person", "external_id"),
    "title": ("activities.Activity", "title"),
    "description": ("results.CashCost", "description"),
    "email": ("network.PersonalData", "email"),
}
DECIMAL_FIELDS = {
    "hours": ("activities.Activity", "hours"),
    "virtual_hours": ("network.Stay", "virtual_hours"),
    "amount": ("results.CashCost", "amount"),
    "pre_score": ("activities.Assessment", "pre_score"),
    "post_score": ("activities.Assessment", "post_score"),
    "max_score": ("activities.Assessment", "max_score"),
    "value": ("activities.Outcome", "value"),
}
MAX_INTEGER = 2_147_483_647  # the largest value of an integer column (PostgreSQL integer)


@cache
def _model_field(column: str, table: str) -> Any:
    label, name = (TEXT_FIELDS if table == "text" else DECIMAL_FIELDS)[column]
    return apps.get_model(label)._meta.get_field(name)


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else f"{value[:20]!r}… ({len(value)} characters)"


class Rows:
    """Collects errors while rows are parsed. Texts longer than their database column are errors from the start."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.errors: list[RowError] = []
        for column in TEXT_FIELDS:
            limit = _model_field(column, "text").max_length
            for number, values in table.rows:
                if len(values.get(column, "")) > limit:
                    self.error(number, column, f"longer than {limit} characters")

    def cell(self, number: int, values: dict[str, str], column: str, parse: Any, **kwargs: Any) -> Any:
        try:
            value = parse(values[column], **kwargs)
        except ValueError as exc:
            self.errors.append(RowError(self.table.name, number, column, str(exc)))
            return None
        except ArithmeticError:  # int(float('inf')), an exponent past what Decimal can hold
            self.errors.append(
                RowError(
                    self.table.name, number, column, f"{_shown(values[column])} is too large or not a finite number"
                )
            )
            return None
        value, problem = _fit(column, value)
        if problem:
            self.errors.append(RowError(self.table.name, number, column, f"{_shown(values[column])} {problem}"))
            return None
        return value

    def error(self, number: int, column: str, reason: str) -> None:
        self.errors.append(RowError(self.table.name, number, column, reason))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportRejected(sorted(self.errors, key=lambda e: (e.row, e.column)))


class _Refused(Exception):
    pass


def write_rows(result: ImportResult, rows: Rows, writes: Iterable[tuple[int, bool, Callable[[], Any]]]) -> None:
    """Write parsed rows through their app's services, all in one transaction: each write is (row number, whether
    the record existed, the service call). A row the service refuses is reported with its columns, and nothing of
    the file is written."""
    try:
        with transaction.atomic():
            for number, existed, write in writes:
                try:
                    write()
                except ValidationError as exc:
                    messages = exc.message_dict if hasattr(exc, "error_dict") else {"row": exc.messages}
                    for column, texts in messages.items():
                        rows.error(number, "row" if column == "__all__" else column, " ".join(texts))
                    raise _Refused from None
                result.count(not existed)
    except _Refused:
        rows.raise_if_any()


def _fit(column: str, value: Any) -> tuple[Any, str]:
    """The parsed value as its column stores it (a decimal rounded to the column's places), or why it cannot be."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return None, f"is too large (at most {MAX_INTEGER})"
    if isinstance(value, Decimal) and value.is_finite() and column in DECIMAL_FIELDS:
        model_field = _model_field(column, "decimal")
        whole = model_field.max_digits - model_field.decimal_places
        too_large = f"is too large: at most {whole} digits before the decimal point"
        if value.adjusted() >= whole:
            return None, too_large
        value = value.quantize(Decimal(1).scaleb(-model_field.decimal_places))
        if value.adjusted() >= whole:  # 999.96 rounds up to 1000.0
            return None, too_large
    return value, ""


class Institutions:
    """Institutions by exact name, IATI organisation identifier or ROR id (one query)."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[Institution]] = defaultdict(list)
        for inst in Institution.objects.select_related("country"):
            for key in {inst.name.strip().lower(), (inst.iati_org_id or "").lower(), (inst.ror_id or "").lower()}:
                if key:
                    self.by_key[key].append(inst)

    def find(self, value: str) -> Institution:
        key = value.strip().lower()
        if key.startswith("https://ror.org/"):
            key = key[len("https://ror.org/") :]
        found = self.by_key.get(key, [])
        if not found:
            raise ValueError(f"no institution named {value!r} (give the exact name, IATI identifier or ROR id)")
        if len({i.pk for i in found}) > 1:
            raise ValueError(f"{value!r} names {len(found)} institutions; use its IATI identifier or ROR id")
        return found[0]


def editable_partnership_ids(user: User | None) -> set[int] | None:
    if user is None or registry_selectors.is_hub_admin(user):
        return None  # no restriction: the command line or a hub admin
    return set(registry_selectors.partnerships_editable_by(user).values_list("pk", flat=True))


def people_by_external_id(values: Iterable[str], user: User | None) -> dict[str, Person]:
    qs = Person.objects.filter(external_id__in=set(values))
    if user is not None and not registry_selectors.is_hub_admin(user):
        qs = qs.filter(pk__in=network_selectors.people_editable_by(user).values("pk"))
    return {p.external_id: p for p in qs if p.external_id}


def partnerships_by_reference(values: Iterable[str]) -> dict[str, Partnership]:
    """Partnerships by slug or exact name."""
    refs = set(values)
    found: dict[str, Partnership] = {}
    for p in Partnership.objects.filter(slug__in=refs) | Partnership.objects.filter(name__in=refs):
        found.setdefault(p.slug, p)
        found.setdefault(p.name, p)
    return found
