"""How a service writes many rows at once: the shared bulk writer.

A service that writes many records validates them itself (`full_clean`, the checks that would need a query per
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

Other databases than SQLite and PostgreSQL save record by record (`supported()` is False)."""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Q
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
