"""Writes to projects: one project with all its parts, replaced as a whole, recorded in the history; many at once
(`projects_bulk_save`, the IATI import of large files) in a few statements per table."""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from healthlinks.accounts.models import User
from healthlinks.projects.later import LaterWrites
from healthlinks.projects.models import (
    Project,
    ProjectBudget,
    ProjectIndicator,
    ProjectParticipant,
    ProjectPeriod,
    ProjectResult,
    ProjectTransaction,
)
from healthlinks.records import record_delete, record_save
from healthlinks.registry.models import Institution, Partnership

PROJECT_FIELDS = {
    "iati_identifier",
    "title",
    "titles",
    "descriptions",
    "default_lang",
    "default_currency",
    "hierarchy",
    "humanitarian",
    "last_updated",
    "reporting_org",
    "reporting_org_ref",
    "reporting_org_type",
    "reporting_org_names",
    "secondary_reporter",
    "activity_status",
    "planned_start",
    "actual_start",
    "planned_end",
    "actual_end",
    "recipient_countries",
    "recipient_regions",
    "sectors",
    "needs_review",
    "import_warnings",
    "source_name",
    "source_version",
    "source_hash",
}


@dataclass
class ProjectParts:
    """Everything below a project, as field dicts of the child models (results carry their indicators,
    indicators their periods)."""

    participants: Sequence[dict[str, Any]] = ()
    budgets: Sequence[dict[str, Any]] = ()
    transactions: Sequence[dict[str, Any]] = ()
    results: Sequence[dict[str, Any]] = field(default_factory=list)


def _replace_parts(project: Project, parts: ProjectParts, by: User | None, *, new: bool) -> None:
    for related in () if new else (project.participants, project.budgets, project.transactions, project.results):
        old: Any
        for old in related.all():
            record_delete(old, by=by)
    bulk_create_with_history(
        [ProjectParticipant(project=project, position=i, **p) for i, p in enumerate(parts.participants)],
        ProjectParticipant,
        default_user=by,
    )
    bulk_create_with_history(
        [ProjectBudget(project=project, position=i, **b) for i, b in enumerate(parts.budgets)],
        ProjectBudget,
        default_user=by,
    )
    bulk_create_with_history(
        [ProjectTransaction(project=project, position=i, **t) for i, t in enumerate(parts.transactions)],
        ProjectTransaction,
        default_user=by,
    )
    for r_pos, result_fields in enumerate(parts.results):
        values = dict(result_fields)
        indicators = values.pop("indicators", [])
        result = ProjectResult(project=project, position=r_pos, **values)
        record_save(result, by=by, validate=False)
        for i_pos, indicator_fields in enumerate(indicators):
            ind_values = dict(indicator_fields)
            periods = ind_values.pop("periods", [])
            indicator = ProjectIndicator(result=result, position=i_pos, **ind_values)
            record_save(indicator, by=by, validate=False)
            bulk_create_with_history(
                [ProjectPeriod(indicator=indicator, position=n, **p) for n, p in enumerate(periods)],
                ProjectPeriod,
                default_user=by,
            )


@transaction.atomic
def project_save(
    *, by: User | None, partnership: Any, fields: dict[str, Any], parts: ProjectParts, project: Project | None = None
) -> Project:
    """Create a project, or update `project` (its parts are replaced as a whole)."""
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise ValueError(f"unknown project fields: {sorted(unknown)}")
    new = project is None
    if project is None:
        project = Project(partnership=partnership, **fields)
    else:
        project.partnership = partnership
        for name, value in fields.items():
            setattr(project, name, value)
    project.full_clean(exclude=["partnership", "reporting_org"])
    record_save(project, by=by, validate=False)
    _replace_parts(project, parts, by, new=new)
    return project


# -- bulk writes (the IATI import of large files) ------------------------------------------------------------------


@dataclass
class ProjectWrite:
    """One project for `projects_bulk_save`. With `pk` (and the existing row's `created_at`) that project is updated
    and its parts replaced; without, it is created. `fields` are PROJECT_FIELDS with `reporting_org_id` for
    `reporting_org`; the part dicts name foreign keys by column (`institution_id`)."""

    partnership_id: int
    fields: dict[str, Any]
    parts: ProjectParts
    pk: int | None = None
    created_at: datetime | None = None


CHILD_MODELS: tuple[type[models.Model], ...] = (ProjectParticipant, ProjectBudget, ProjectTransaction)


class _Table:
    """Raw multi-row writes of one model and of its history table (the same values plus the history columns):
    `executemany` of ready tuples, each value adapted once, for both rows."""

    def __init__(self, model: type[models.Model], conn: BaseDatabaseWrapper) -> None:
        quote = conn.ops.quote_name
        fields = list(model._meta.concrete_fields)
        self.model = model
        self.conn = conn
        self.table = model._meta.db_table
        self.names = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f, conn)) is not None]
        columns = [quote(f.column or f.attname) for f in fields]
        self.columns = ", ".join(columns)
        marks = ", ".join(["%s"] * len(columns))
        self.insert_sql = f"INSERT INTO {quote(self.table)} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        # SQLite: rows go `per_statement` at a time in one INSERT (a third faster than one row per execution),
        # as many as the database's limit of parameters allows
        self.per_statement = max(1, (conn.features.max_query_params or 999) // len(columns))
        self.insert_many_sql = self.insert_sql + f", ({marks})" * (self.per_statement - 1)
        history: Any = model.history.model  # type: ignore[attr-defined]
        self.history_table = history._meta.db_table
        tracked = {f.attname for f in history.tracked_fields}
        if tracked != set(self.names):
            raise RuntimeError(f"{model.__name__}: the history table does not track every column")
        self.history_columns = ", ".join([*columns, *map(quote, HISTORY_COLUMNS)])
        self.select_columns = ", ".join(columns)
        self.getter = itemgetter(*self.names)
        self.id_index = self.names.index("id")
        self.update_names = [n for n in self.names if n not in {"id", "created_at", "partnership_id"}]
        self.sequence: str | None = None  # PostgreSQL: the id sequence's name

    def row(self, values: dict[str, Any]) -> list[Any]:
        """The values of one row in column order, adapted for the database (missing ones take their default)."""
        row = list(self.getter({**self.defaults, **values}))
        for i, adapt in self.adapters:
            value = row[i]
            if value is not None:
                row[i] = adapt(value)
        return row

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

    def insert(self, rows: list[list[Any]], history: list[Any], later: LaterWrites | None = None) -> None:
        """Insert `rows` and, for each, a history row with the `history` values (date, reason, type, user). The
        history rows are copied from the new rows by the database itself (INSERT ... SELECT on their ids): each
        value is sent once; with a pipelined `later` (PostgreSQL), when it sends them."""
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
        self.copy_to_history([row[self.id_index] for row in rows], history, later)

    def copy_to_history(self, ids: list[int], history: list[Any], later: LaterWrites | None = None) -> None:
        """A history row (the row's values and `history`) for each of the rows `ids` (with a pipelined `later`,
        when it sends its statements; otherwise at once)."""
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
            marks = ", ".join(["%s"] * len(history))
            cursor.execute(
                f"INSERT INTO {quote(self.history_table)} ({self.history_columns}) "  # noqa: S608 - quoted names
                f"SELECT {self.select_columns}, {marks} FROM {quote(self.table)} WHERE {condition}",
                [*history, *params],
            )
            cursor.execute(f"DELETE FROM {quote(self.table)} WHERE {condition}", params)  # noqa: S608


_JSON_TEXT = json.JSONEncoder()
# json.dumps builds a new C encoder for every value; one built here writes the same text (default separators,
# ASCII, NaN allowed) in half the time, for the dozens of JSON values of each imported activity
_MAKE_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # CPython's C accelerator (not in the stubs)
_C_ENCODER = (
    _MAKE_ENCODER(None, _JSON_TEXT.default, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    if _MAKE_ENCODER is not None
    else None
)


_ESCAPE = json.encoder.encode_basestring_ascii  # C, as json.dumps escapes strings


def _json_text(value: Any) -> str:
    """What json.dumps(value) returns."""
    if value == []:  # a transaction without description, an organisation without name
        return "[]"
    if type(value) is list and (narratives := _narratives_text(value)) is not None:
        return narratives
    if _C_ENCODER is None or isinstance(value, str):
        return _JSON_TEXT.encode(value)
    return "".join(_C_ENCODER(value, 0))


def _narratives_text(value: list[Any]) -> str | None:
    """A list of narratives (`{"lang": ..., "text": ...}`, most of the JSON values of an IATI activity) as
    json.dumps writes it, a third faster than the encoder; None for any other list."""
    parts = []
    for item in value:
        if type(item) is not dict or len(item) != 2 or next(iter(item)) != "lang":
            return None
        lang, text = item.get("lang"), item.get("text")
        if type(lang) is not str or type(text) is not str:
            return None
        parts.append('{"lang": ' + _ESCAPE(lang) + ', "text": ' + _ESCAPE(text) + "}")
    return "[" + ", ".join(parts) + "]"

HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")
# per connection (each thread has its own): the adapters are bound to its operations
_TABLES: weakref.WeakKeyDictionary[BaseDatabaseWrapper, dict[type[models.Model], _Table]] = weakref.WeakKeyDictionary()


def _adapter(field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Callable[[Any], Any] | None:
    ops = conn.ops
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        # PostgreSQL's adapter wraps the value for psycopg, which calls json.dumps on it when the row is sent;
        # the text itself goes as well into COPY and into the quoted literals of Django's client-side binding
        if encoder is None and (
            conn.vendor == "postgresql" or type(ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
        ):
            return _json_text
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


def _table(model: type[models.Model]) -> _Table:
    conn = connections[DEFAULT_DB_ALIAS]
    tables = _TABLES.setdefault(conn, {})
    if model not in tables:
        tables[model] = _Table(model, conn)
    return tables[model]


def bulk_writes_supported() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor in ("sqlite", "postgresql")


@transaction.atomic
def projects_bulk_save(
    *, by: User | None, writes: Sequence[ProjectWrite], later: LaterWrites | None = None
) -> None:
    """Create and update many projects with their parts in a few statements per table, each change recorded in
    the history as `project_save` records it ('+' new rows, '~' updated projects, '-' replaced parts). Signals
    are not sent: the caller bumps the data versions once. Falls back to `project_save` on other databases.
    With a pipelined `later` (`projects.later.later_writes()`, PostgreSQL), the history rows of new rows and
    updated projects are copied by statements the caller sends once this returns (`later.send()`: outside this
    function's savepoint, whose release would wait for them)."""
    if not writes:
        return
    if later is not None:
        later.wait()  # what it sent is written before these rows are (COPY does not wait for it)
    allowed = (PROJECT_FIELDS - {"reporting_org"}) | {"reporting_org_id"}
    for w in writes:
        if unknown := set(w.fields) - allowed:
            raise ValueError(f"unknown project fields: {sorted(unknown)}")
    if not bulk_writes_supported():
        partnerships = {w.partnership_id for w in writes}
        by_pk = {p.pk: p for p in Partnership.objects.filter(pk__in=partnerships)}
        existing = Project.objects.in_bulk([w.pk for w in writes if w.pk is not None])
        for w in writes:
            fields = dict(w.fields)
            fields["reporting_org"] = Institution.objects.get(pk=fields.pop("reporting_org_id"))
            parts = _parts_with_objects(w.parts)
            project_save(
                by=by,
                partnership=by_pk[w.partnership_id],
                fields=fields,
                parts=parts,
                project=existing.get(w.pk) if w.pk is not None else None,
            )
        return
    now = timezone.now()
    user_id = by.pk if by is not None else None
    projects = _table(Project)
    adapt_now = projects.conn.ops.adapt_datetimefield_value(now)
    added = [adapt_now, None, "+", user_id]
    changed = [adapt_now, None, "~", user_id]
    removed = [adapt_now, None, "-", user_id]

    updates = [w for w in writes if w.pk is not None]
    if updates:
        _delete_parts([w.pk for w in updates if w.pk is not None], removed)
    new = [w for w in writes if w.pk is None]
    new_ids = iter(projects.reserve_ids(len(new)))
    project_rows: list[list[Any]] = []
    update_rows: list[list[Any]] = []
    for w in writes:
        values = {**w.fields, "partnership_id": w.partnership_id, "updated_at": now}
        if w.pk is None:
            w.pk = next(new_ids)
            values.update(id=w.pk, created_at=now)
            project_rows.append(projects.row(values))
        else:
            values.update(id=w.pk, created_at=w.created_at)
            update_rows.append(projects.row(values))
    projects.insert(project_rows, added, later)
    if update_rows:
        index = {name: i for i, name in enumerate(projects.names)}
        quote = projects.conn.ops.quote_name
        assignments = ", ".join(f"{quote(name)} = %s" for name in projects.update_names)
        with projects.conn.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(projects.table)} SET {assignments} WHERE id = %s",  # noqa: S608 - quoted names
                [[row[index[name]] for name in projects.update_names] + [row[index["id"]]] for row in update_rows],
            )
        projects.copy_to_history([row[projects.id_index] for row in update_rows], changed, later)
    _insert_parts(writes, added, later)


def _insert_parts(writes: Sequence[ProjectWrite], added: list[Any], later: LaterWrites | None) -> None:
    for model, attribute in zip(CHILD_MODELS, ("participants", "budgets", "transactions"), strict=True):
        table = _table(model)
        items = [(w.pk, i, values) for w in writes for i, values in enumerate(getattr(w.parts, attribute))]
        ids = table.reserve_ids(len(items))
        table.insert(
            [
                table.row({**values, "id": pk, "project_id": project_id, "position": position})
                for pk, (project_id, position, values) in zip(ids, items, strict=True)
            ],
            added,
            later,
        )
    results, indicators, periods = _table(ProjectResult), _table(ProjectIndicator), _table(ProjectPeriod)
    result_items = [(w.pk, i, values) for w in writes for i, values in enumerate(w.parts.results)]
    if not result_items:
        return
    result_rows: list[list[Any]] = []
    indicator_items: list[tuple[int, int, dict[str, Any]]] = []
    for pk, (project_id, position, values) in zip(results.reserve_ids(len(result_items)), result_items, strict=True):
        values = dict(values)
        indicator_items.extend((pk, i, v) for i, v in enumerate(values.pop("indicators", [])))
        result_rows.append(results.row({**values, "id": pk, "project_id": project_id, "position": position}))
    results.insert(result_rows, added, later)
    indicator_rows: list[list[Any]] = []
    period_items: list[tuple[int, int, dict[str, Any]]] = []
    for pk, (result_id, position, values) in zip(
        indicators.reserve_ids(len(indicator_items)), indicator_items, strict=True
    ):
        values = dict(values)
        period_items.extend((pk, i, v) for i, v in enumerate(values.pop("periods", [])))
        indicator_rows.append(indicators.row({**values, "id": pk, "result_id": result_id, "position": position}))
    indicators.insert(indicator_rows, added, later)
    periods.insert(
        [
            periods.row({**values, "id": pk, "indicator_id": indicator_id, "position": position})
            for pk, (indicator_id, position, values) in zip(
                periods.reserve_ids(len(period_items)), period_items, strict=True
            )
        ],
        added,
        later,
    )


def _delete_parts(project_ids: list[int], removed: list[Any]) -> None:
    """Delete the parts of these projects, each recorded in the history as deleted (as `project_save` does)."""
    quote = _table(Project).conn.ops.quote_name
    marks = ", ".join(["%s"] * len(project_ids))
    results = quote(ProjectResult._meta.db_table)
    indicators = quote(ProjectIndicator._meta.db_table)
    of_projects = f"project_id IN ({marks})"
    of_results = f"result_id IN (SELECT id FROM {results} WHERE {of_projects})"  # noqa: S608 - quoted names
    of_indicators = f"indicator_id IN (SELECT id FROM {indicators} WHERE {of_results})"  # noqa: S608
    for model, condition in (
        (ProjectParticipant, of_projects),
        (ProjectBudget, of_projects),
        (ProjectTransaction, of_projects),
        (ProjectPeriod, of_indicators),
        (ProjectIndicator, of_results),
        (ProjectResult, of_projects),
    ):
        _table(model).delete_where(condition, list(project_ids), removed)


def _parts_with_objects(parts: ProjectParts) -> ProjectParts:
    """Bulk parts (foreign keys by column) as `project_save` takes them."""
    institutions = Institution.objects.in_bulk(
        [p["institution_id"] for p in parts.participants if p.get("institution_id") is not None]
    )
    participants = []
    for p in parts.participants:
        values = dict(p)
        institution_id = values.pop("institution_id", None)
        values["institution"] = institutions.get(institution_id) if institution_id is not None else None
        participants.append(values)
    return ProjectParts(
        participants=participants, budgets=parts.budgets, transactions=parts.transactions, results=parts.results
    )
