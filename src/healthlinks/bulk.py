"""How services write many records at once: the one bulk writer, beside `records` (one record).

Validation: `full_clean_many` applies `full_clean`'s rules to every record (each field's check once per distinct
value, each reference checked with one query per field), and `validate` the registry's checks for the IATI
importer's institutions and partnerships; the first refused record is raised as `RowInvalid` with its index
before anything is written.

Writing: a service that writes many records validates them itself (`full_clean`, the checks that would need a query per
row done with a few queries for all of them), then hands them here. `create` inserts model instances and a
history row for each ('+', the acting user), the way one `records.record_save` per record would record them;
`Table` is the lower level it is built on, which `projects.services.projects_bulk_save` also uses for the
updates and deletions of its parts:

- primary keys are reserved first (`Table.reserve_ids`: PostgreSQL's sequence, SQLite's AUTOINCREMENT), so that
  rows referring to each other are written without reading anything back;
- rows go as ready tuples, each value adapted for the database once: SQLite takes as many rows per INSERT as its
  999 parameters allow, PostgreSQL takes them by `COPY`;
- their history rows are copied by the database itself from the rows just written (`INSERT ... SELECT` on their
  ids), so each value crosses from Python once; with a pipelined `Later` (`projects.later`), those copies are
  sent when the caller sends its statements;
- no model signal is sent: the service calls `changes.changed` for what it wrote, in its transaction.

Other databases than SQLite and PostgreSQL save record by record (`supported()` is False).

`create_many` and `update_many` write records with their history rows (many-to-many fields included) for the
network, activities and results services.

Batches send no model signals: the calling service tells `healthlinks.changes` what changed, in its transaction.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import NOT_PROVIDED, Field, Q
from django.db.models.expressions import DatabaseDefault
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from healthlinks.records import RowInvalid, record_save

M = TypeVar("M", bound=models.Model)

HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


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
        self.model = model
        self.conn = conn
        self.table = model._meta.db_table
        self.names = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f, conn)) is not None]
        self.auto_now = [f.attname for f in fields if getattr(f, "auto_now", False)]
        self.auto_now_add = [f.attname for f in fields if getattr(f, "auto_now_add", False)]
        columns = [quote(f.column or f.attname) for f in fields]
        self.columns = ", ".join(columns)
        marks = ", ".join(["%s"] * len(columns))
        self.insert_sql = f"INSERT INTO {quote(self.table)} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        # SQLite: rows go `per_statement` at a time in one INSERT (a third faster than one row per execution),
        # as many as the database's limit of parameters allows
        self.per_statement = max(1, (conn.features.max_query_params or 999) // len(columns))
        self.insert_many_sql = self.insert_sql + f", ({marks})" * (self.per_statement - 1)
        self.history_table: str | None = None
        history: Any = getattr(model, "history", None)
        if history is not None:
            history_model = history.model
            self.history_table = history_model._meta.db_table
            tracked = {f.attname for f in history_model.tracked_fields}
            if tracked != set(self.names):
                raise RuntimeError(f"{model.__name__}: the history table does not track every column")
        self.history_columns = ", ".join([*columns, *map(quote, HISTORY_COLUMNS)])
        self.select_columns = ", ".join(columns)
        self.getter = itemgetter(*self.names)
        self.attributes = attrgetter(*self.names)
        self.id_index = self.names.index("id")
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

    def history(self, by: Any, kind: str, when: Any = None) -> list[Any]:
        """The history columns of rows written now by `by`: '+' created, '~' changed, '-' deleted."""
        when = timezone.now() if when is None else when
        return [self.conn.ops.adapt_datetimefield_value(when), None, kind, by.pk if by is not None else None]

    def reserve_ids(self, count: int) -> list[int]:
        """`count` new primary keys, never used before (the caller holds the write transaction)."""
        if count == 0:
            return []
        quote = self.conn.ops.quote_name
        with self.conn.cursor() as cursor:
            if self.conn.vendor == "postgresql":
                if self.sequence is None:  # looked up once: per row it made reserving ids 10x slower
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [quote(self.table)])
                    self.sequence = cursor.fetchone()[0]
                cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, count])
                return [r[0] for r in cursor.fetchall()]
            # SQLite (AUTOINCREMENT): past the largest id ever given, as sqlite_sequence records it
            cursor.execute(f"SELECT MAX(id) FROM {quote(self.table)}")  # noqa: S608 - quoted table name
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
            seq = cursor.fetchone()
            start = max(top, seq[0] if seq else 0) + 1
            return list(range(start, start + count))

    def insert(self, rows: list[list[Any]], history: list[Any] | None, later: Later | None = None) -> None:
        """Insert `rows` and, for each, a history row with the `history` values (date, reason, type, user) unless
        it is None. The history rows are copied from the new rows by the database itself (INSERT ... SELECT on
        their ids): each value is sent once; with a pipelined `later` (PostgreSQL), when it sends them."""
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
        if history is not None:
            self.copy_to_history([row[self.id_index] for row in rows], history, later)

    def update(self, rows: list[list[Any]], names: Sequence[str]) -> None:
        """Set the columns `names` of existing rows (`rows` as `row` gives them, with their ids) by id."""
        if not rows:
            return
        index = {name: i for i, name in enumerate(self.names)}
        quote = self.conn.ops.quote_name
        assignments = ", ".join(f"{quote(name)} = %s" for name in names)
        with self.conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(self.table)} SET {assignments} WHERE id = %s",  # noqa: S608 - quoted names
                [[row[index[name]] for name in names] + [row[self.id_index]] for row in rows],
            )

    def copy_to_history(self, ids: list[int], history: list[Any], later: Later | None = None) -> None:
        """A history row (the row's values and `history`) for each of the rows `ids` (with a pipelined `later`,
        when it sends its statements; otherwise at once)."""
        if self.history_table is None:
            raise RuntimeError(f"{self.model.__name__} keeps no history")
        quote = self.conn.ops.quote_name
        marks = ", ".join(["%s"] * len(history))
        copy = (
            f"INSERT INTO {quote(self.history_table)} ({self.history_columns}) "  # noqa: S608 - quoted names
            f"SELECT {self.select_columns}, {marks} FROM {quote(self.table)} WHERE "
        )
        statements: list[tuple[str, list[Any]]] = []
        ids = sorted(ids)
        if ids[-1] - ids[0] + 1 == len(ids) == len(set(ids)):  # one range (ids reserved together)
            statements.append((copy + "id BETWEEN %s AND %s ORDER BY id", [*history, ids[0], ids[-1]]))
        else:
            for start in range(0, len(ids), 500):
                some = ids[start : start + 500]
                in_list = f"id IN ({', '.join(['%s'] * len(some))}) ORDER BY id"
                statements.append((copy + in_list, [*history, *some]))
        if later is not None and later.pipelined:
            later.statements += statements
            return
        with self.conn.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)

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
    return model(*[values[name] if name in values else default() for name, default in defaults])


_DEFAULTS: dict[type[models.Model], tuple[frozenset[str], list[tuple[str, Callable[[], Any]]]]] = {}


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


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


def validate(records: Sequence[models.Model], *, exclude: Sequence[str] = ()) -> None:
    """What `full_clean` checks of each record (fields, `clean()`), without its queries per record: the foreign
    keys are looked up with one query per field for all records, and the fields declared unique with one query per
    field, a value also refused when an earlier record of `records` has it. The service checks any other
    constraint itself. Raises `RowInvalid` for the first refused record, naming its fields and its index."""
    if not records:
        return
    model = type(records[0])
    fields = [f for f in model._meta.concrete_fields if f.name not in exclude]
    keys = [f for f in fields if isinstance(f, models.ForeignKey) and not f.remote_field.parent_link]
    unique = [f for f in fields if f.unique and not f.primary_key and not f.is_relation]
    skipped = {*exclude, *(f.name for f in keys)}
    errors: dict[int, dict[str, list[ValidationError]]] = {}

    def refuse(index: int, name: str, error: ValidationError) -> None:
        errors.setdefault(index, {}).setdefault(name, []).extend(error.error_list)

    referred: dict[models.ForeignKey[Any, Any], dict[Any, list[int]]] = {f: {} for f in keys}
    taken: dict[models.Field[Any, Any], dict[Any, list[int]]] = {f: {} for f in unique}
    for index, record in enumerate(records):
        try:
            record.full_clean(exclude=skipped, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.update_error_dict({}).items():
                refuse(index, name, ValidationError(messages))
        for key in keys:
            value = getattr(record, key.attname)
            if value is None or value == "":
                if key.blank:
                    continue
                try:  # null and blank, as full_clean would say
                    models.Field.validate(key, value, record)
                except ValidationError as exc:
                    refuse(index, key.name, exc)
                continue
            if key.validators or key.choices:
                try:
                    models.Field.validate(key, value, record)  # choices: not the query for the row
                    key.run_validators(value)
                except ValidationError as exc:
                    refuse(index, key.name, exc)
                    continue
            referred[key].setdefault(value, []).append(index)
        for field in unique:
            value = getattr(record, field.attname)
            if value is None or field.name in errors.get(index, {}):
                continue
            seen = taken[field].setdefault(value, [])
            if seen:  # an earlier record of these has it
                refuse(index, field.name, ValidationError(record.unique_error_message(model, (field.name,))))
            seen.append(index)
    for key, values in referred.items():
        if values:
            related: Any = key.remote_field.model
            target: str = key.remote_field.field_name or related._meta.pk.name
            limit = key.get_limit_choices_to()
            where = (limit if isinstance(limit, Q) else Q(**limit)) if limit else None
            found = existing(related, target, values, where=where)
            for value in values.keys() - found:
                params = {"model": related._meta.verbose_name, "pk": value, "field": target, "value": value}
                for index in values[value]:
                    refuse(
                        index, key.name, ValidationError(key.error_messages["invalid"], code="invalid", params=params)
                    )
    for field, values in taken.items():
        for value in existing(model, field.name, values) if values else ():
            index = values[value][0]
            refuse(index, field.name, ValidationError(records[index].unique_error_message(model, (field.name,))))
    if errors:
        index = min(errors)
        raise RowInvalid(index, ValidationError(errors[index]))


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


def create(records: Sequence[M], *, by: Any, later: Later | None = None) -> list[M]:
    """Insert unsaved, already validated `records` of one model and, when the model keeps a history, a '+'
    history row for each with `by` as its author. Their primary keys (and `auto_now` dates) are set on them.
    Signals are not sent: the caller calls `changes.changed`. Returns `records`."""
    if not records:
        return list(records)
    model = type(records[0])
    if not supported():  # record by record, each with its signals and history row
        for record in records:
            record_save(record, by=by, validate=False)
        return list(records)
    writer = table(model)
    now = timezone.now()
    ids = iter(writer.reserve_ids(len(records)))
    rows = []
    for record in records:
        if type(record) is not model or record.pk is not None:
            raise TypeError(f"bulk.create writes new records of one model, not {type(record).__name__} {record.pk}")
        record.pk = next(ids)
        for name in writer.auto_now_add:
            if getattr(record, name) is None:
                setattr(record, name, now)
        for name in writer.auto_now:
            setattr(record, name, now)
        record._state.adding = False
        rows.append(writer.record_row(record))
    writer.insert(rows, writer.history(by, "+", now) if writer.history_table is not None else None, later)
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


# -- records written with their history (network, activities, results) ------------------------------------


BATCH = 1000
# Values whose `clean` result depends on the value alone, compared by equality (a type per key: True is not 1) ...
_BY_VALUE = (str, int, bool, date, type(None))
# ... and by their text, where equal values differ in what is validated (Decimal("1.0") and Decimal("1.00") have
# different decimal places; two equal datetimes may carry different time zones).
_BY_TEXT = (Decimal, float, datetime, time)


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
        cached = record._state.fields_cache
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


def _existing_references(field: Any, values: set[Any]) -> set[Any]:
    """Which of these values of a reference name a record that exists (with the field's `limit_choices_to`)."""
    remote = field.remote_field
    found: set[Any] = set()
    ordered = sorted(values, key=repr)
    size = max(connection.features.max_query_params or 999, 1)
    for start in range(0, len(ordered), size):
        rows = remote.model._base_manager.filter(**{f"{remote.field_name}__in": ordered[start : start + size]})
        found.update(rows.complex_filter(field.get_limit_choices_to()).values_list(remote.field_name, flat=True))
    return found


def full_clean_many(
    records: Sequence[models.Model], *, exclude: Iterable[str] = (), rows: Sequence[int] | None = None
) -> None:
    """Validate each record as `record.full_clean(exclude=exclude, validate_unique=False,
    validate_constraints=False)` would, and raise `RowInvalid` for the first one refused: its index in `records`,
    or `rows[index]` (the caller's numbering) when given. Cleaned values are set on the records, as `full_clean`
    sets them."""
    if not records:
        return
    excluded = set(exclude)
    references_resolved(records, exclude=excluded)
    fields_of: dict[type, list[Field[Any, Any]]] = {}
    found: dict[tuple[type, str], set[Any]] = {}
    for model in {type(r) for r in records}:
        fields_of[model] = [f for f in model._meta.fields if f.name not in excluded and not f.generated]
        for field in fields_of[model]:
            if field.many_to_one or field.one_to_one:
                values = {getattr(r, field.attname) for r in records if type(r) is model}
                values.discard(None)
                found[(model, field.attname)] = _existing_references(field, values) if values else set()
    plans: dict[type, list[tuple[Any, str, bool, Any, dict[Any, tuple[bool, Any]], set[Any] | None]]] = {
        model: [
            (field, field.attname, field.blank, field.empty_values, {}, found.get((model, field.attname)))
            for field in fields
        ]
        for model, fields in fields_of.items()
    }
    for index, record in enumerate(records):
        errors: dict[str, Any] = {}
        for field, attname, blank, empty, cache, known in plans[type(record)]:
            raw = getattr(record, attname)
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
        if errors:
            raise RowInvalid(rows[index] if rows is not None else index, ValidationError(errors))


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


def unique_many(records: Sequence[models.Model], field_name: str, *, rows: Sequence[int] | None = None) -> None:
    """Refuse (`RowInvalid`) the first record whose value of the unique field `field_name` another record of
    `records` or another stored record already has, with the message `validate_unique` gives. Empty values (null
    external ids) are never compared."""
    if not records:
        return
    model = type(records[0])
    field = model._meta.get_field(field_name)
    assert isinstance(field, Field)
    seen: dict[Any, int] = {}
    for index, record in enumerate(records):
        value = getattr(record, field.attname)
        if value in field.empty_values:
            continue
        if value in seen:
            error = record.unique_error_message(model, (field_name,))
            raise RowInvalid(rows[index] if rows is not None else index, ValidationError({field_name: [error]}))
        seen[value] = index
    if not seen:
        return
    values = list(seen)
    for start in range(0, len(values), 500):
        stored = model._base_manager.filter(**{f"{field.attname}__in": values[start : start + 500]})
        for pk, value in stored.values_list("pk", field.attname):
            index = seen[value]
            if records[index].pk != pk:
                error = records[index].unique_error_message(model, (field_name,))
                raise RowInvalid(rows[index] if rows is not None else index, ValidationError({field_name: [error]}))


def _converter(field: Any, connection: Any) -> Callable[[Any], Any]:
    """The field's value as the database takes it (`get_db_prep_save`, what `bulk_create` sends), worked out once per
    distinct value; text, whole numbers and booleans of text, integer and boolean fields go as they are."""
    prepare = field.get_db_prep_save
    target = field.target_field if field.is_relation else field
    same: tuple[type, ...] = ()
    if isinstance(target, models.BooleanField):
        same = (bool,)
    elif isinstance(target, (models.CharField, models.TextField)):
        same = (str,)
    elif isinstance(target, (models.IntegerField, models.AutoField)):
        same = (int,)
    if not isinstance(target, models.JSONField):
        same = (*same, type(None))
    cache: dict[tuple[type, Any], Any] = {}

    def convert(value: Any) -> Any:
        if type(value) in same:
            return value
        key = _memo_key(value)
        if key is None:
            return prepare(value, connection)
        try:
            return cache[key]
        except KeyError:
            cache[key] = converted = prepare(value, connection)
            return converted

    return convert


def _insert(
    model: type[models.Model], fields: Sequence[Any], rows: Sequence[Sequence[Any]], *, returning: Any = None
) -> list[Any]:
    """INSERT rows of Python values (converted as `bulk_create` converts them) into the model's table, without
    `bulk_create`'s per-value query compilation; the values of the `returning` column, in the rows' order (as
    `bulk_create` reads the ids back)."""
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    converters = [_converter(f, connection) for f in fields]
    values = [[convert(v) for convert, v in zip(converters, row, strict=True)] for row in rows]
    # identifiers from the model's own options, quoted; every value a query parameter
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    found: list[Any] = []
    with connection.cursor() as cursor:
        if returning is None:
            for start in range(0, len(values), BATCH):
                cursor.executemany(head + one, values[start : start + BATCH])
            return found
        tail, _params = connection.ops.return_insert_columns([returning])  # type: ignore[attr-defined]
        size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, values)))
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            cursor.execute(f"{head}{', '.join([one] * len(chunk))} {tail}", [v for row in chunk for v in row])
            found.extend(row[0] for row in connection.ops.fetch_returned_insert_rows(cursor))  # type: ignore[attr-defined]
    return found


def _fast_insert_applies(model: type[models.Model], records: Sequence[models.Model]) -> bool:
    """Whether `_insert` can write these records as `bulk_create` would: new records of a plain model on a database
    that returns the ids of the rows it inserts (SQLite >= 3.35, PostgreSQL)."""
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    return (
        connection.features.can_return_rows_from_bulk_insert
        and not meta.parents
        and all(f.db_default is NOT_PROVIDED and not f.generated for f in meta.concrete_fields)
        and (not isinstance(meta.pk, AutoFieldMixin) or all(r.pk is None for r in records))
    )


def _history(records: Sequence[models.Model], *, by: Any, update: bool) -> None:
    """One history row per record (`+` created, `~` changed) with its author, as simple-history writes one on
    `save` (the author given, never guessed from a request); for a model whose history keeps many-to-many fields,
    each row's snapshot of their links as they stand. The database copies each row into its history table itself
    (INSERT ... SELECT on the records' ids, as the IATI writer does): the values written are the values kept."""
    from django.conf import settings
    from simple_history.utils import get_m2m_field_name

    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    model = type(records[0])
    historical: Any = model.history.model  # type: ignore[attr-defined]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    m2m_fields = getattr(historical, "_history_m2m_fields", [])
    stamp = {
        "history_date": timezone.now(),
        "history_change_reason": None,
        "history_type": "~" if update else "+",
        "history_user": by.pk if by is not None else None,
    }
    tracked = list(historical.tracked_fields)
    names = {f.name for f in tracked} | set(stamp)
    extra = [f for f in historical._meta.concrete_fields if not f.primary_key and f.name not in names]
    if extra:  # pragma: no cover - a history model with fields of its own: simple-history's writer fills them
        written = model.history.bulk_history_create(  # type: ignore[attr-defined]
            list(records), batch_size=BATCH, update=update, default_user=by, default_change_reason=None
        )
        pairs = [(row.pk, record.pk) for row, record in zip(written or [], records, strict=True)]
    else:
        stamped = [historical._meta.get_field(name) for name in stamp]
        into = ", ".join(quote(historical._meta.get_field(f.name).column) for f in [*tracked, *stamped])
        select = ", ".join(quote(f.column) for f in tracked)
        params = [f.get_db_prep_save(value, connection) for f, value in zip(stamped, stamp.values(), strict=True)]
        own_pk = model._meta.pk
        assert own_pk is not None and own_pk.column is not None
        pk = quote(own_pk.column)
        copy = (
            f"INSERT INTO {quote(historical._meta.db_table)} ({into}) "  # noqa: S608 - quoted names
            f"SELECT {select}, {', '.join(['%s'] * len(params))} FROM {quote(model._meta.db_table)} WHERE "
        )
        back = ""
        if m2m_fields:
            back = f" RETURNING {quote(historical._meta.pk.column)}, {pk}"
        ids = sorted(r.pk for r in records)
        statements: list[tuple[str, list[Any]]] = []
        whole = all(type(i) is int for i in ids)
        if whole and ids[-1] - ids[0] + 1 == len(ids) == len(set(ids)):  # one run: every row between is one of them
            statements.append((f"{copy}{pk} BETWEEN %s AND %s ORDER BY {pk}{back}", [*params, ids[0], ids[-1]]))
        else:
            for start in range(0, len(ids), 500):
                some = ids[start : start + 500]
                marks = ", ".join(["%s"] * len(some))
                statements.append((f"{copy}{pk} IN ({marks}) ORDER BY {pk}{back}", [*params, *some]))
        pairs = []
        with connection.cursor() as cursor:
            for sql, values in statements:
                cursor.execute(sql, values)
                if back:
                    pairs.extend(cursor.fetchall())
    if not m2m_fields:
        return
    history_of = {record_id: history_id for history_id, record_id in pairs}
    ids = [r.pk for r in records]
    for field in m2m_fields:
        snapshot_model = getattr(historical, field.name).model
        through = field.remote_field.through
        owner = get_m2m_field_name(field)
        link_columns = [f.attname for f in through._meta.fields]
        snapshots = []
        for start in range(0, len(ids), 500):
            rows_of = through._default_manager.filter(**{f"{owner}__in": ids[start : start + 500]})
            for link in rows_of.values(*link_columns):
                snapshots.append(snapshot_model(history_id=history_of[link[f"{owner}_id"]], **link))
        snapshot_model._default_manager.bulk_create(snapshots, batch_size=BATCH)


def create_many(records: Sequence[M], *, by: Any, links: Callable[[], None] | None = None) -> list[M]:
    """Insert validated records in batches, each with its history row (created, by `by`). `links`, when given, is
    called between the two to link the records' many-to-many fields, which their history rows then show."""
    if not records:
        return []
    model = type(records[0])
    references_resolved(records)
    if _fast_insert_applies(model, records):
        meta = model._meta
        auto = isinstance(meta.pk, AutoFieldMixin)
        fields = [f for f in meta.concrete_fields if not (auto and f.primary_key)]
        stamped = [f for f in fields if type(f).pre_save is not Field.pre_save]  # auto_now and the like
        for record in records:
            for field in stamped:
                setattr(record, field.attname, field.pre_save(record, True))
        rows = [[getattr(r, f.attname) for f in fields] for r in records]
        ids = _insert(model, fields, rows, returning=meta.pk if auto else None)
        alias = router.db_for_write(model)
        for index, record in enumerate(records):
            if auto:
                record.pk = ids[index]
            record._state.adding = False
            record._state.db = alias
    else:  # pragma: no cover - other databases
        model._default_manager.bulk_create(list(records), batch_size=BATCH)
    if links is not None:
        links()
    _history(records, by=by, update=False)
    return list(records)


def update_many(
    records: Sequence[M], fields: Sequence[str], *, by: Any, links: Callable[[], None] | None = None
) -> None:
    """Write these fields of stored, validated records in batches (an `auto_now` field is stamped, as `save`
    does), each with a history row (changed, by `by`); `links` as for `create_many`."""
    if not records:
        return
    model = type(records[0])
    columns = list(fields)
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False):
            for record in records:
                field.pre_save(record, add=False)
            columns.append(field.name)
    model._default_manager.bulk_update(list(records), sorted(set(columns)), batch_size=BATCH)
    if links is not None:
        links()
    _history(records, by=by, update=True)
