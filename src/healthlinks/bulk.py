"""How services write many records at once: the one bulk writer, beside `records` (one record).

A service that writes many records builds them (`new`: `model(**values)`, a third faster), validates them with
`validate` and writes them with `create` (new records) or `update` (stored ones), then tells `healthlinks.changes`
what it wrote, in its transaction. Nothing else writes rows in bulk.

- `validate` checks each record as `full_clean` would (each field's `clean`, the model's `clean()`), each field's
  check once per distinct value (a plain text field's text by its length and validators, which is what its `clean`
  checks); each reference is looked up with one query per field for all the records, and
  each field declared unique with one query per field (a value also refused when an earlier record has it). The
  first refused record raises `RowInvalid` with its index (or the caller's row number) before anything is written.
  Other constraints (`Meta.constraints`) the service checks itself.
- `create` inserts the records and a '+' history row for each, `update` writes the named fields and a '~' history
  row for each, `by` their author, as `records.record_save` records one; `links`, when given, is called between the
  rows and their history rows, to link many-to-many fields that the history rows then show. `create_rows` is
  `create` for rows nobody reads back as records (given as values by column).
- `Table` is the level both are built on (and that `projects.services.projects_bulk_save` uses for the parts of
  projects): primary keys are reserved first (PostgreSQL's sequence, SQLite's AUTOINCREMENT), so that rows
  referring to each other are written without reading anything back; rows go as ready tuples, each value adapted
  for the database once (SQLite: as many rows per INSERT as its parameters allow; PostgreSQL: `COPY`); the history
  rows are copied by the database itself from the rows just written (`INSERT ... SELECT` on their ids), so each
  value crosses from Python once, and with a pipelined `Later` (`projects.later`) those copies are sent when the
  caller sends its statements.
- No model signal is sent.

Other databases than SQLite and PostgreSQL save record by record (`supported()` is False).
"""

from __future__ import annotations

import json
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Field, Q
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from healthlinks.records import RowInvalid, record_save

M = TypeVar("M", bound=models.Model)

HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")
BATCH = 1000


class Later(Protocol):
    """Statements whose results nobody reads, collected to be sent later (`projects.later.LaterWrites`)."""

    pipelined: bool
    statements: list[tuple[str, list[Any]]]


def supported() -> bool:
    """Whether this database is written in bulk (else record by record)."""
    return connections[DEFAULT_DB_ALIAS].vendor in ("sqlite", "postgresql")


class Table:
    """Raw multi-row writes of one model and of its history table (the same values plus the history columns):
    `executemany` of ready tuples, each value adapted once."""

    def __init__(self, model: type[models.Model], conn: BaseDatabaseWrapper) -> None:
        quote = conn.ops.quote_name
        fields = list(model._meta.concrete_fields)
        pk = model._meta.pk
        assert pk is not None
        self.model = model
        self.conn = conn
        self.table = model._meta.db_table
        self.names = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f, conn)) is not None]
        self.auto_now = [f.attname for f in fields if getattr(f, "auto_now", False)]
        self.auto_now_add = [f.attname for f in fields if getattr(f, "auto_now_add", False)]
        # other fields whose value `save` works out (pre_save), as it does
        self.stamped = [
            f
            for f in fields
            if type(f).pre_save is not Field.pre_save and f.attname not in {*self.auto_now, *self.auto_now_add}
        ]
        columns = [quote(f.column or f.attname) for f in fields]
        self.columns = ", ".join(columns)
        marks = ", ".join(["%s"] * len(columns))
        self.insert_sql = f"INSERT INTO {quote(self.table)} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        # SQLite: rows go `per_statement` at a time in one INSERT (a third faster than one row per execution),
        # as many as the database's limit of parameters allows
        self.per_statement = max(1, (conn.features.max_query_params or 999) // len(columns))
        self.insert_many_sql = self.insert_sql + f", ({marks})" * (self.per_statement - 1)
        self.pk_column = quote(pk.column or pk.attname)
        self.pk_index = self.names.index(pk.attname)
        self.id_index = self.pk_index  # (the projects' writer names it so)
        self.auto = isinstance(pk, AutoFieldMixin)
        self.history_table: str | None = None
        self.history_m2m: list[Any] = []
        self.historical: Any = None
        history: Any = getattr(model, "history", None)
        if history is not None:
            history_model = history.model
            self.historical = history_model
            self.history_table = history_model._meta.db_table
            self.history_m2m = list(getattr(history_model, "_history_m2m_fields", []))
            tracked = {f.attname for f in history_model.tracked_fields}
            if tracked != set(self.names):
                raise RuntimeError(f"{model.__name__}: the history table does not track every column")
            self.history_pk = quote(history_model._meta.pk.column)
        self.history_columns = ", ".join([*columns, *map(quote, HISTORY_COLUMNS)])
        self.select_columns = ", ".join(columns)
        self.getter = itemgetter(*self.names)
        self.attributes = attrgetter(*self.names)
        self.sequence: str | None = None  # PostgreSQL: the id sequence's name

    def row(self, values: Mapping[str, Any]) -> list[Any]:
        """The values of one row in column order, adapted for the database (missing ones take their default)."""
        return self.adapt(list(self.getter({**self.defaults, **values})))

    def record_row(self, record: models.Model) -> list[Any]:
        """The values of a record's row in column order, adapted for the database."""
        return self.adapt(list(self.attributes(record)))

    def adapt(self, row: list[Any]) -> list[Any]:
        for i, adapt in self.adapters:
            value = row[i]
            if value is not None:
                row[i] = adapt(value)
        return row

    def history(self, by: Any, kind: str, when: Any = None, reason: str | None = None) -> list[Any]:
        """The history columns of rows written now by `by`: '+' created, '~' changed, '-' deleted; `reason` as
        the change reason ("deleted", "restored" for a soft delete)."""
        when = timezone.now() if when is None else when
        return [self.conn.ops.adapt_datetimefield_value(when), reason, kind, by.pk if by is not None else None]

    def reserve_ids(self, count: int) -> list[int]:
        """`count` new primary keys, never used before (the caller holds the write transaction)."""
        if count == 0:
            return []
        quote = self.conn.ops.quote_name
        with self.conn.cursor() as cursor:
            if self.conn.vendor == "postgresql":
                if self.sequence is None:  # looked up once: per row it made reserving ids 10x slower
                    column = self.model._meta.pk.column  # type: ignore[union-attr,unused-ignore]
                    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [quote(self.table), column])
                    self.sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, count])
                return [r[0] for r in cursor.fetchall()]
            # SQLite (AUTOINCREMENT): past the largest id ever given, as sqlite_sequence records it
            cursor.execute(f"SELECT MAX({self.pk_column}) FROM {quote(self.table)}")  # noqa: S608 - quoted names
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
            seq = cursor.fetchone()
            start = max(top, seq[0] if seq else 0) + 1
            return list(range(start, start + count))

    def insert(self, rows: list[list[Any]], history: list[Any] | None, later: Later | None = None) -> None:
        """Insert `rows` and, for each, a history row with the `history` values (date, reason, type, user) unless
        it is None (`write_history`)."""
        if not rows:
            return
        with self.conn.cursor() as cursor:
            if self.conn.vendor == "postgresql":  # COPY: several times faster than INSERTs
                quote = self.conn.ops.quote_name
                with cursor.cursor.copy(f"COPY {quote(self.table)} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:  # always two statements (the query count of a chunk does not depend on its size)
                per = self.per_statement
                whole = len(rows) - len(rows) % per
                cursor.executemany(
                    self.insert_many_sql, [list(chain.from_iterable(rows[i : i + per])) for i in range(0, whole, per)]
                )
                cursor.executemany(self.insert_sql, rows[whole:])
        if history is not None:  # new rows have no many-to-many links yet: nothing to snapshot
            self.write_history([row[self.pk_index] for row in rows], history, later, links=False)

    def update(
        self, rows: list[list[Any]], names: Sequence[str], history: list[Any] | None = None, later: Later | None = None
    ) -> None:
        """Set the columns `names` of stored rows (`rows` as `row` gives them, with their ids) by id and, unless
        `history` is None, write a history row for each (`write_history`)."""
        if not rows:
            return
        index = {name: i for i, name in enumerate(self.names)}
        quote = self.conn.ops.quote_name
        assignments = ", ".join(f"{quote(name)} = %s" for name in names)
        with self.conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(self.table)} SET {assignments} WHERE {self.pk_column} = %s",  # noqa: S608 - quoted
                [[row[index[name]] for name in names] + [row[self.pk_index]] for row in rows],
            )
        if history is not None:
            self.write_history([row[self.pk_index] for row in rows], history, later)

    def write_history(
        self, ids: list[Any], history: list[Any], later: Later | None = None, *, links: bool = True
    ) -> None:
        """A history row (the row's values as stored and `history`) for each of the rows `ids`, copied by the
        database (with a pipelined `later`, when it sends its statements; otherwise at once). For a model whose
        history keeps many-to-many fields, each history row's snapshot of their links as they stand (unless
        `links` is False: rows just inserted, without links)."""
        if self.history_table is None:
            raise RuntimeError(f"{self.model.__name__} keeps no history")
        if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return
        quote = self.conn.ops.quote_name
        marks = ", ".join(["%s"] * len(history))
        pk = self.pk_column
        copy = (
            f"INSERT INTO {quote(self.history_table)} ({self.history_columns}) "  # noqa: S608 - quoted names
            f"SELECT {self.select_columns}, {marks} FROM {quote(self.table)} WHERE "
        )
        back = f" RETURNING {self.history_pk}, {pk}" if self.history_m2m and links else ""
        statements: list[tuple[str, list[Any]]] = []
        ids = sorted(ids)
        whole = all(type(i) is int for i in ids)
        if whole and ids[-1] - ids[0] + 1 == len(ids) == len(set(ids)):  # one range (ids reserved together)
            statements.append((f"{copy}{pk} BETWEEN %s AND %s ORDER BY {pk}{back}", [*history, ids[0], ids[-1]]))
        else:
            for start in range(0, len(ids), 500):
                some = ids[start : start + 500]
                in_list = f"{pk} IN ({', '.join(['%s'] * len(some))}) ORDER BY {pk}{back}"
                statements.append((copy + in_list, [*history, *some]))
        if later is not None and later.pipelined and not back:
            later.statements += statements
            return
        pairs: list[tuple[Any, Any]] = []
        with self.conn.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                if back:
                    pairs.extend(cursor.fetchall())
        if back:
            self._snapshot_links(pairs)

    def _snapshot_links(self, pairs: list[tuple[Any, Any]]) -> None:
        """The many-to-many links of the records as they stand, beside their new history rows (history id,
        record id), as simple-history snapshots them on `save`."""
        from simple_history.utils import get_m2m_field_name

        history_of = {record_id: history_id for history_id, record_id in pairs}
        ids = sorted(history_of)
        for field in self.history_m2m:
            snapshot_model = getattr(self.historical, field.name).model
            through = field.remote_field.through
            owner = get_m2m_field_name(field)
            link_columns = [f.attname for f in through._meta.fields]
            snapshots = []
            for start in range(0, len(ids), 500):
                rows_of = through._default_manager.filter(**{f"{owner}__in": ids[start : start + 500]})
                for link in rows_of.order_by("pk").values(*link_columns):
                    snapshots.append(snapshot_model(history_id=history_of[link[f"{owner}_id"]], **link))
            snapshot_model._default_manager.bulk_create(snapshots, batch_size=BATCH)

    def delete_where(self, condition: str, params: list[Any], history: list[Any]) -> None:
        """Record a '-' history row for every row matching `condition`, then delete them."""
        quote = self.conn.ops.quote_name
        with self.conn.cursor() as cursor:
            if self.history_table is not None:
                marks = ", ".join(["%s"] * len(history))
                cursor.execute(
                    f"INSERT INTO {quote(self.history_table)} ({self.history_columns}) "  # noqa: S608 - quoted names
                    f"SELECT {self.select_columns}, {marks} FROM {quote(self.table)} WHERE {condition}",
                    [*history, *params],
                )
            cursor.execute(f"DELETE FROM {quote(self.table)} WHERE {condition}", params)  # noqa: S608


# per connection (each thread has its own): the adapters are bound to its operations
_TABLES: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[models.Model], Table]] = weakref.WeakKeyDictionary()


def table(model: type[models.Model]) -> Table:
    """The bulk writer of `model` on the default database (built once per connection)."""
    conn = connections[DEFAULT_DB_ALIAS]
    tables = _TABLES.setdefault(conn, {})
    if model not in tables:
        tables[model] = Table(model, conn)
    return tables[model]


def new(model: type[M], values: Mapping[str, Any]) -> M:
    """`model(**values)`, a third faster when `values` name the fields by attribute (`country_id`): the bulk
    services make many records at once (each field's default is worked out once; a callable one for each
    record)."""
    names, defaults = _defaults(model)
    if not values.keys() <= names:  # a related object (`country`): as Django takes it
        return model(**values)
    plain = _PLAIN.get(model)
    if plain is None:
        plain = _PLAIN[model] = _plain(model)
    if not plain[0] or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model(*[values[name] if name in values else default() for name, default in defaults])
    # what `model(*values)` does when no signal listens and every field is a plain attribute: each value in the
    # record's __dict__ and a new state, without the descriptors' checks made for a record that already has values
    record = model.__new__(model)
    own = record.__dict__
    own.update(plain[1])  # the constant defaults, then those worked out for each record, then the values
    for name, default in plain[2]:
        if name not in values:
            own[name] = default()
    own.update(values)
    record._state = ModelState()
    return record


_DEFAULTS: dict[type[models.Model], tuple[frozenset[str], list[tuple[str, Callable[[], Any]]]]] = {}
_PLAIN: dict[type[models.Model], tuple[bool, dict[str, Any], list[tuple[str, Callable[[], Any]]]]] = {}


def _plain(model: type[models.Model]) -> tuple[bool, dict[str, Any], list[tuple[str, Callable[[], Any]]]]:
    """Whether every field of `model` is stored in the record's __dict__ as given (Django's own attribute of a
    value or of a reference's id), so that `new` may set the values there itself (not for a file or any field with
    a descriptor of its own, nor for a model with its own `__init__` or `__setattr__`); its constant defaults, and
    the defaults worked out for each record (callables, and lists, dicts and sets: a new one each)."""
    _names, defaults = _defaults(model)
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    ok = (
        model.__init__ is models.Model.__init__
        and model.__setattr__ is object.__setattr__
        and all(type(model.__dict__.get(f.attname)) in plain for f in model._meta.concrete_fields)
    )
    constants = {name: default() for name, default in defaults if getattr(default, "constant", False)}
    return ok, constants, [(name, default) for name, default in defaults if name not in constants]


def _constant(value: Any) -> Callable[[], Any]:
    def default() -> Any:
        return value

    default.constant = True  # type: ignore[attr-defined]
    return default


def _defaults(model: type[models.Model]) -> tuple[frozenset[str], list[tuple[str, Callable[[], Any]]]]:
    if model not in _DEFAULTS:
        defaults: list[tuple[str, Callable[[], Any]]] = []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):  # worked out for each record
                defaults.append((f.attname, f.get_default))
                continue
            value = f.get_default()
            defaults.append((f.attname, f.get_default if isinstance(value, (list, dict, set)) else _constant(value)))
        _DEFAULTS[model] = (frozenset(name for name, _default in defaults), defaults)
    return _DEFAULTS[model]


# -- validation -------------------------------------------------------------------------------------------------------
# Values whose `clean` result depends on the value alone, compared by equality (a type per key: True is not 1) ...
_BY_VALUE = (str, int, bool, date, type(None))
# ... and by their text, where equal values differ in what is validated (Decimal("1.0") and Decimal("1.00") have
# different decimal places; two equal datetimes may carry different time zones).
_BY_TEXT = (Decimal, float, datetime, time)
_BY_VALUE_TYPES = frozenset(_BY_VALUE)  # exactly these types (a subclass, such as a model's choices, goes the long way)
_SKIPPED: tuple[bool, Any] = (True, None)  # a blank field's empty value: not cleaned, as full_clean skips it


def validate(
    records: Sequence[models.Model], *, exclude: Iterable[str] = (), rows: Sequence[int] | None = None
) -> None:
    """Validate each record as `record.full_clean(exclude=exclude, validate_constraints=False)` would, and raise
    `RowInvalid` for the first one refused: its index in `records`, or `rows[index]` (the caller's numbering) when
    given, with its fields' messages. Each field's `clean` runs once per distinct value; the references of each
    field are looked up with one query for all the records (a related record assigned before it was saved gives
    its id, `references_resolved`); a value of a field declared unique is refused when a stored record (other than
    the record itself) or an earlier one of `records` has it. Cleaned values are set on the records, as
    `full_clean` sets them."""
    if not records:
        return
    excluded = set(exclude)
    references_resolved(records, exclude=excluded)
    plans: dict[type, list[tuple[Any, str, bool, Any, dict[Any, tuple[bool, Any]], set[Any] | None, Any]]] = {}
    clashes: dict[int, dict[str, list[ValidationError]]] = {}
    for model in {type(r) for r in records}:
        fields = [f for f in model._meta.fields if f.name not in excluded and not f.generated]
        of_model = [i for i, r in enumerate(records) if type(r) is model]
        plan: list[tuple[Any, str, bool, Any, dict[Any, tuple[bool, Any]], set[Any] | None, Any]] = []
        for field in fields:
            known: set[Any] | None = None
            if field.many_to_one or field.one_to_one:
                values = {getattr(records[i], field.attname) for i in of_model}
                values.discard(None)
                known = _references_found(field, values) if values else set()
            plan.append((field, field.attname, field.blank, field.empty_values, {}, known, _text_check(field)))
            if field.unique and not field.primary_key and not field.is_relation:
                _unique_clashes(model, field, records, of_model, clashes)
        plans[model] = plan
    by_value = _BY_VALUE_TYPES
    for index, record in enumerate(records):
        errors: dict[str, Any] = {}
        own = record.__dict__
        for field, attname, blank, empty, cache, known, text in plans[type(record)]:
            raw = own[attname] if attname in own else getattr(record, attname)
            kind = type(raw)
            # a text its field's `clean` keeps as it is (`_text_check`): most names and codes, checked here
            if (
                kind is str
                and text is not None
                and raw
                and len(raw) <= text[0]
                and "\x00" not in raw
                and _passes(text[1], raw)
            ):
                continue
            if kind in by_value:  # most values: one look-up answers for every record with the same value
                key: Any = (kind, raw)
                outcome = cache.get(key)
                if outcome is None:
                    outcome = _SKIPPED if blank and raw in empty else _cleaned(field, raw, record, known)
                    cache[key] = outcome
                if outcome is _SKIPPED:
                    continue
            else:
                if blank and raw in empty:
                    continue
                if isinstance(raw, DatabaseDefault):
                    continue
                key = _memo_key(raw)
                outcome = cache.get(key) if key is not None else None
                if outcome is None:
                    outcome = _cleaned(field, raw, record, known)
                    if key is not None:
                        cache[key] = outcome
            if not outcome[0]:
                errors[field.name] = list(outcome[1])  # a copy: clean()'s errors are added to it
            elif outcome[1] is not raw:
                setattr(record, attname, outcome[1])
        try:
            record.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, messages in clashes.get(index, {}).items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise RowInvalid(rows[index] if rows is not None else index, ValidationError(errors))


def _text_check(field: Any) -> tuple[int, tuple[Callable[[Any], None], ...]] | None:
    """For a text field whose `clean` keeps a text as it is (a `CharField`, `SlugField` or `TextField` itself,
    without choices): the longest text it takes (unlimited: `sys.maxsize`) and its validators other than those of
    that length and of NUL characters, which a non-empty text that passes them all passes as `clean` would pass
    it; else None (cleaned value by value)."""
    if type(field) not in (models.CharField, models.SlugField, models.TextField) or field.choices is not None:
        return None
    limit = field.max_length if field.max_length is not None else sys.maxsize
    others = []
    for validator in field.validators:
        if type(validator) is validators.ProhibitNullCharactersValidator:
            continue
        if type(validator) is validators.MaxLengthValidator and validator.limit_value == field.max_length:
            continue
        others.append(validator)
    return limit, tuple(others)


def _passes(checks: tuple[Callable[[Any], None], ...], value: Any) -> bool:
    """Whether `value` passes all these validators (the messages of one that refuses it are `clean`'s to give)."""
    try:
        for check in checks:
            check(value)
    except ValidationError:
        return False
    return True


def _references_found(field: Any, values: set[Any]) -> set[Any]:
    """Which of these values of a reference name a record that exists (with the field's `limit_choices_to`)."""
    remote = field.remote_field
    limit = field.get_limit_choices_to()
    where = (limit if isinstance(limit, Q) else Q(**limit)) if limit else None
    return existing(remote.model, remote.field_name or remote.model._meta.pk.name, values, where=where)


def _unique_clashes(
    model: type[models.Model],
    field: Any,
    records: Sequence[models.Model],
    of_model: list[int],
    clashes: dict[int, dict[str, list[ValidationError]]],
) -> None:
    """Note the records (by index) whose value of the unique `field` an earlier record or another stored record
    has, with the message `validate_unique` gives. Null values are never compared (as the database does not)."""
    seen: dict[Any, int] = {}
    for index in of_model:
        value = getattr(records[index], field.attname)
        if value is None:
            continue
        if value in seen:
            message = records[index].unique_error_message(model, (field.name,))
            clashes.setdefault(index, {}).setdefault(field.name, []).append(message)
            continue
        seen[value] = index
    for pk, value in _stored(model, field, list(seen)):
        first = seen.get(value)
        if first is not None and records[first].pk != pk:
            message = records[first].unique_error_message(model, (field.name,))
            clashes.setdefault(first, {}).setdefault(field.name, []).append(message)


def _stored(model: type[models.Model], field: Any, values: list[Any]) -> list[tuple[Any, Any]]:
    """(primary key, value) of the stored rows whose column `field` holds one of `values`, in batches."""
    found: list[tuple[Any, Any]] = []
    if not values:
        return found
    if field.get_internal_type() not in PLAIN_TYPES:
        for start in range(0, len(values), 500):
            stored = model._base_manager.filter(**{f"{field.attname}__in": values[start : start + 500]})
            found.extend(stored.values_list("pk", field.attname))
        return found
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    name = quote(field.column)
    with conn.cursor() as cursor:
        for start in range(0, len(values), 500):
            batch = values[start : start + 500]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"SELECT {quote(pk.column or pk.attname)}, {name} FROM {quote(model._meta.db_table)} "  # noqa: S608 - quoted
                f"WHERE {name} IN ({marks})",
                [field.get_db_prep_value(value, conn) for value in batch],
            )
            found.extend(cursor.fetchall())
    return found


def existing(model: type[models.Model], field: str, values: Iterable[Any], *, where: Any = None) -> set[Any]:
    """Which of `values` the column `field` of some row of `model` holds (and of those matching `where`, a Q), in
    batches (SQLite limits the parameters of a statement). Texts and whole numbers, the values of keys and unique
    fields, are looked up with plain SQL: Django's IN lookup prepares each value of its list one by one, which made
    it half of a bulk service's time."""
    values = list(values)
    found: set[Any] = set()
    column = model._meta.get_field(field)
    if not isinstance(column, models.Field):
        raise TypeError(f"{model.__name__}.{field} is not a column")
    if where or column.get_internal_type() not in PLAIN_TYPES:
        manager: Any = model._base_manager
        queryset = manager.filter(where) if where else manager.all()
        for start in range(0, len(values), 500):
            found.update(queryset.filter(**{f"{field}__in": values[start : start + 500]}).values_list(field, flat=True))
        return found
    conn = connections[DEFAULT_DB_ALIAS]
    quote = conn.ops.quote_name
    name = quote(column.column or field)
    with conn.cursor() as cursor:
        for start in range(0, len(values), 500):
            batch = values[start : start + 500]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f"SELECT {name} FROM {quote(model._meta.db_table)} WHERE {name} IN ({marks})",  # noqa: S608 - quoted
                [column.get_db_prep_value(value, conn) for value in batch],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found


PLAIN_TYPES = frozenset(
    {
        "CharField",
        "SlugField",
        "EmailField",
        "URLField",
        "TextField",
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    }
)


def references_resolved(records: Iterable[models.Model], *, exclude: Iterable[str] = ()) -> None:
    """Give each record the id of a related record assigned before it was saved, as `save` and `bulk_create` do
    (`Model._prepare_related_fields_for_save`, without its cost per row): a related record still unsaved raises
    ValueError, unless its field is excluded (written later); an id set apart from the related record wins."""
    excluded = set(exclude)
    plans: dict[type, list[tuple[str, str, str]]] = {}
    for record in records:
        model = type(record)
        plan = plans.get(model)
        if plan is None:
            plan = plans[model] = [
                (f.cache_name, f.attname, f.target_field.attname)
                for f in _relations(model)
                if (f.many_to_one or f.one_to_one) and f.name not in excluded
            ]
        cached = record._state.__dict__.get("fields_cache")  # (made on first use: none, nothing cached)
        if not cached:
            continue
        for cache_name, attname, target in plan:
            related = cached.get(cache_name)
            if related is None:
                continue
            related_id = getattr(related, target)
            if related_id is None:
                raise ValueError(
                    f"save() prohibited to prevent data loss due to unsaved related object '{cache_name}'."
                )
            own = record.__dict__.get(attname)
            if own is None or own == "":
                record.__dict__[attname] = related_id
            elif own != related_id:
                del cached[cache_name]


def _relations(model: type[models.Model]) -> list[Any]:
    return [f for f in model._meta.concrete_fields if f.is_relation]


def _memo_key(value: Any) -> tuple[type, Any] | None:
    kind = type(value)
    if kind in _BY_VALUE:
        return kind, value
    if kind in _BY_TEXT:
        return kind, repr(value)
    return None  # lists, dicts (JSON fields): cleaned row by row


def _cleaned(field: Any, raw: Any, record: models.Model, known: set[Any] | None) -> tuple[bool, Any]:
    """`field.clean(raw, record)`: (True, the cleaned value) or (False, its errors). A reference among `known`
    (found to exist) is checked as `ForeignKey.validate` checks it, without its query."""
    try:
        if known is not None and raw in known:
            value = field.to_python(raw)
            Field.validate(field, value, record)
            field.run_validators(value)
        else:
            value = field.clean(raw, record)
    except ValidationError as exc:
        return False, exc.error_list
    return True, value


# -- writing ----------------------------------------------------------------------------------------------------------


def create(
    records: Sequence[M], *, by: Any, later: Later | None = None, links: Callable[[], None] | None = None
) -> list[M]:
    """Insert validated new `records` of one model and, when the model keeps a history, a '+' history row for each
    with `by` as its author. Their primary keys (reserved unless given) and the values `save` works out
    (`auto_now_add`, `auto_now`) are set on them. `links`, when given, is called between the rows and their history
    rows, to link their many-to-many fields, which the history rows then show. With a pipelined `later`, the history
    rows are copied when the caller sends its statements. Returns `records`."""
    if not records:
        return list(records)
    model = type(records[0])
    references_resolved(records)
    if not supported():  # record by record, each with its signals and history row
        for record in records:
            record_save(record, by=by, validate=False)
        if links is not None:
            links()
        return list(records)
    writer = table(model)
    now = timezone.now()
    if any(type(record) is not model for record in records):
        raise TypeError(f"bulk.create writes records of one model, {model.__name__}")
    missing = [record for record in records if record.pk is None]
    if missing and not writer.auto:
        raise TypeError(f"bulk.create: a {model.__name__} without its primary key")
    for record, pk in zip(missing, writer.reserve_ids(len(missing)), strict=True):
        record.pk = pk
    rows = []
    for record in records:
        for name in writer.auto_now_add:
            setattr(record, name, now)
        for name in writer.auto_now:
            setattr(record, name, now)
        for field in writer.stamped:
            setattr(record, field.attname, field.pre_save(record, True))
        record._state.adding = False
        record._state.db = DEFAULT_DB_ALIAS
        rows.append(writer.record_row(record))
    history = writer.history(by, "+", now) if writer.history_table is not None else None
    if links is None:
        writer.insert(rows, history, later)
    else:
        writer.insert(rows, None)
        links()
        if history is not None:
            writer.write_history([record.pk for record in records], history, later)
    return list(records)


def create_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, by: Any, later: Later | None = None
) -> list[int]:
    """`create` for rows nobody reads back as records (the members of new partnerships), given as field values by
    column (`institution_id`; missing ones take their default), already validated. Returns their ids."""
    if not rows:
        return []
    if not supported():
        return [create([model(**values)], by=by)[0].pk for values in rows]
    writer = table(model)
    now = timezone.now()
    base = {**writer.defaults, **dict.fromkeys([*writer.auto_now_add, *writer.auto_now], now)}
    ids = writer.reserve_ids(len(rows))
    getter = writer.getter
    writer.insert(
        [writer.adapt(list(getter({**base, **values, "id": pk}))) for pk, values in zip(ids, rows, strict=True)],
        writer.history(by, "+", now) if writer.history_table is not None else None,
        later,
    )
    return ids


def update(
    records: Sequence[M],
    fields: Iterable[str],
    *,
    by: Any,
    later: Later | None = None,
    links: Callable[[], None] | None = None,
    reason: str | None = None,
) -> None:
    """Write these fields of stored, validated records of one model (an `auto_now` field is stamped, as `save`
    stamps it) and, when the model keeps a history, a '~' history row for each with `by` as its author (and
    `reason` as its change reason); `links` and `later` as for `create`."""
    if not records:
        return
    model = type(records[0])
    references_resolved(records)
    if not supported():
        for record in records:
            if reason is not None:
                record._change_reason = reason  # type: ignore[attr-defined]
            record_save(record, by=by, validate=False)
        if links is not None:
            links()
        return
    writer = table(model)
    now = timezone.now()
    names = {model._meta.get_field(name).attname for name in fields}  # type: ignore[union-attr]
    names.update(writer.auto_now)
    rows = []
    for record in records:
        if type(record) is not model or record.pk is None:
            raise TypeError(f"bulk.update writes stored records of one model, {model.__name__}")
        for name in writer.auto_now:
            setattr(record, name, now)
        rows.append(writer.record_row(record))
    history = writer.history(by, "~", now, reason) if writer.history_table is not None else None
    if links is None:
        writer.update(rows, sorted(names), history, later)
    else:
        writer.update(rows, sorted(names))
        links()
        if history is not None:
            writer.write_history([record.pk for record in records], history, later)


# -- JSON columns ------------------------------------------------------------------------------------------------------
# json.dumps builds a new encoder for each value; one encoder kept here writes the same text (default separators,
# ASCII, NaN allowed; the check for circular references is left out, as the values are trees) a quarter faster
_JSON = json.JSONEncoder(check_circular=False)
_ENCODE = _JSON.encode


def json_text(value: Any) -> str:
    """What json.dumps(value) returns."""
    if value == []:  # a transaction without description, an organisation without name
        return "[]"
    if type(value) is list and (narratives := _narratives_text(value)) is not None:
        return narratives
    return _ENCODE(value)


def _narratives_text(value: list[Any]) -> str | None:
    """A list of narratives (`{"lang": ..., "text": ...}`, most of the JSON values of an IATI activity) as
    json.dumps writes it, a third faster than the encoder; None for any other list."""
    parts = []
    encode = _ENCODE
    for item in value:
        if type(item) is not dict or len(item) != 2 or next(iter(item)) != "lang":
            return None
        lang, text = item.get("lang"), item.get("text")
        if type(lang) is not str or type(text) is not str:
            return None
        opening = _LANG_OPENINGS.get(lang)
        if opening is None:  # a few languages: each written once
            opening = '{"lang": ' + encode(lang) + ', "text": '
            if len(_LANG_OPENINGS) < 1000:
                _LANG_OPENINGS[lang] = opening
        parts.append(opening + encode(text) + "}")
    return "[" + ", ".join(parts) + "]"


_LANG_OPENINGS: dict[str, str] = {}


def _adapter(field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Callable[[Any], Any] | None:
    ops = conn.ops
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        # PostgreSQL's adapter wraps the value for psycopg, which calls json.dumps on it when the row is sent;
        # the text itself goes as well into COPY and into the quoted literals of Django's client-side binding
        if encoder is None and (
            conn.vendor == "postgresql" or type(ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
        ):
            return json_text
        return lambda value: ops.adapt_json_value(value, encoder)
    if isinstance(field, models.DateTimeField):
        return _same_as_last(ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        max_digits, places = field.max_digits, field.decimal_places
        return lambda value: ops.adapt_decimalfield_value(value, max_digits, places)
    return None


def _same_as_last(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`adapt`, answering from memory when given the same object again: the bulk rows of a save share one
    timestamp (created and updated), which SQLite's adapter converts to the connection's time zone each time."""
    last: list[Any] = [None, None]

    def adapted(value: Any) -> Any:
        if value is not last[0]:
            last[:] = [value, adapt(value)]
        return last[1]

    return adapted
