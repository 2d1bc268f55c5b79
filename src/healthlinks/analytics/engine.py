"""The analytics engine: tables extracted in bulk through the domain apps' querysets as Arrow
(healthlinks.arrow: ADBC where it can read the database directly, else the Django connection), queried in place
by DuckDB, and reused until the data version changes. Analyses are SQL over these tables plus, for models,
statsmodels on the small frames that SQL returns."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from django.apps import apps
from django.conf import settings
from django.db.models import F, FloatField, IntegerField, Max, Min, QuerySet
from django.db.models.functions import Cast

from healthlinks import arrow
from healthlinks.analytics import signals

# The extracted tables: each a queryset of the owning app's (its selectors' rules, such as soft delete, hold) and
# its columns in order, each a field of the same name (None), another field (a name) or an expression: dates as the
# database gives them (typed once in Arrow), booleans as 0/1 and decimals as floating point, so that SQLite and
# PostgreSQL give the same Arrow tables. Soft-deleted partnerships and people (healthlinks.ops.softdelete) and their
# stays and ties are not analysed, as the selectors hide them from every reader. Of the outcomes, the analyses read
# level 3 (practice at follow-up); the reactions (level 1) are as many again and are read by none of them.
Column = tuple[str, Any]


def _float(name: str) -> Cast:
    return Cast(name, FloatField())


def _int(name: str) -> Cast:
    return Cast(name, IntegerField())


def _model(app: str, name: str) -> Callable[[], QuerySet[Any]]:
    return lambda: apps.get_model(app, name).objects.all()


def _through(app: str, name: str, field: str) -> Callable[[], QuerySet[Any]]:
    return lambda: getattr(apps.get_model(app, name), field).through.objects.all()


def _network(selector: str) -> Callable[[], QuerySet[Any]]:
    def rows() -> QuerySet[Any]:
        from healthlinks.network import selectors

        return cast(QuerySet[Any], getattr(selectors, selector)())

    return rows


def _partnerships() -> QuerySet[Any]:
    from healthlinks.registry.selectors import live_partnerships

    return live_partnerships()


def _level_3() -> QuerySet[Any]:
    return apps.get_model("activities", "Outcome").objects.filter(level=3)


EXTRACT: dict[str, tuple[Callable[[], QuerySet[Any]], tuple[Column, ...]]] = {
    "stays": (
        _network("live_stays"),
        (
            ("id", None),
            ("person_id", None),
            ("partnership_id", None),
            ("host_institution_id", None),
            ("sending_institution_id", None),
            ("mode", None),
            ("start_date", None),
            ("end_date", None),
            ("duration_days", None),
            ("repeat_index", None),
            ("virtual_hours", _float("virtual_hours")),
            # the enabling conditions (issue 26): 1, 0, or NULL when not known
            ("named_counterpart", _int("named_counterpart")),
            ("protected_time", _int("protected_time")),
            ("leave_backfill", _int("leave_backfill")),
            ("prior_contact", _int("prior_contact")),
            ("shared_language", _int("shared_language")),
        ),
    ),
    "people": (
        _network("live_people"),
        (
            ("id", None),
            ("cadre_id", None),
            ("sex", None),
            ("home_institution_id", None),
            ("grade", None),
        ),
    ),
    "activities": (
        _model("activities", "Activity"),
        (
            ("id", None),
            ("partnership_id", None),
            ("kind", None),
            ("mode", None),
            ("venue_id", None),
            ("start_date", None),
            ("end_date", None),
            ("training_of_trainers", _int("training_of_trainers")),
            ("hours", _float("hours")),
        ),
    ),
    "activity_stays": (_through("activities", "Activity", "stays"), (("activity_id", None), ("stay_id", None))),
    "outcomes": (
        _level_3,
        (
            ("id", None),
            ("activity_id", None),
            ("person_id", None),
            ("level", None),
            ("practice_changed", _int("practice_changed")),
            ("follow_up_months", None),
            ("rating", None),
        ),
    ),
    "assessments": (
        _model("activities", "Assessment"),
        (
            ("activity_id", None),
            ("person_id", None),
            ("pre_score", _float("pre_score")),
            ("post_score", _float("post_score")),
            ("max_score", _float("max_score")),
        ),
    ),
    "trainees": (
        _model("activities", "Trainee"),
        (
            ("activity_id", None),
            ("person_id", None),
            ("facility_level", None),
            ("completed", _int("completed")),
        ),
    ),
    "cascades": (
        _model("activities", "CascadeReport"),
        (
            ("person_id", None),
            ("source_activity_id", None),
            ("people_trained", None),
        ),
    ),
    "knowledge": (
        _model("activities", "KnowledgeItem"),
        (
            ("activity_id", None),
            ("stage", None),
            ("sustained", _int("sustained_at_follow_up")),
            ("direction", None),
        ),
    ),
    "partnerships": (
        _partnerships,
        (
            ("id", None),
            ("slug", None),
            ("name", None),
            ("publication", None),
            ("start_date", None),
            ("end_date", None),
            ("geography_class", None),
            ("capacity_focus", None),
            ("intervention", None),
            ("skills", None),
            ("delivery", None),
            ("visiting_groups", None),
            ("host_entities", None),
            ("frequency", None),
        ),
    ),
    "members": (
        _model("registry", "PartnershipMember"),
        (
            ("partnership_id", None),
            ("institution_id", None),
            ("role", None),
        ),
    ),
    "institutions": (_model("registry", "Institution"), (("id", None), ("name", None), ("country_id", None))),
    "countries": (
        _model("reference", "Country"),
        (
            ("iso3", None),
            ("name", None),
            ("income_group", None),
            ("who_region", None),
            ("ssl2023", _int("ssl2023")),
        ),
    ),
    "aggregates": (
        _model("activities", "AggregateTrainees"),
        (
            ("activity_id", None),
            ("cadre_id", None),
            ("sex", None),
            ("facility_level", None),
            ("count", None),
        ),
    ),
    "cash": (
        _model("results", "CashCost"),
        (
            ("partnership_id", None),
            ("activity_id", None),
            ("category", None),
            ("amount", _float("amount")),
            ("currency", None),
            ("spent_on", None),
        ),
    ),
    "gifts": (
        _model("results", "InKindContribution"),
        (
            ("partnership_id", None),
            ("value", _float("value")),
            ("currency", None),
            ("received_on", None),
        ),
    ),
    "currency_rates": (
        _model("results", "CurrencyRate"),
        (("currency", None), ("year", None), ("rate", _float("rate"))),
    ),
    "day_rates": (
        _model("results", "DayRate"),
        (
            ("grade", None),
            ("cadre_id", None),
            ("year", None),
            ("currency", None),
            ("day_rate", _float("day_rate")),
            ("method", None),
        ),
    ),
    "specialties": (
        _through("registry", "Partnership", "specialties"),
        (
            ("partnership_id", None),
            ("specialty_id", None),
        ),
    ),
    "funders": (
        _through("registry", "Partnership", "funding_schemes"),
        (
            ("partnership_id", None),
            ("funder_id", "fundingscheme_id"),
        ),
    ),
    "funding_schemes": (_model("registry", "FundingScheme"), (("id", None), ("slug", None), ("name", None))),
    "ties": (
        _network("live_ties"),
        (
            ("person_a_id", None),
            ("person_b_id", None),
            ("kind", None),
            ("start_date", None),
            ("end_date", None),
        ),
    ),
}

# What an analysis needs: table names (every column) or (name, the columns it reads); a tuple stays hashable and
# picklable in an analytics.store Recipe
Needs = Iterable[str | tuple[str, tuple[str, ...]]]

# The date columns, typed once in Arrow (SQLite gives ISO text, PostgreSQL dates).
DATES: dict[str, tuple[str, ...]] = {
    "stays": ("start_date", "end_date"),
    "activities": ("start_date", "end_date"),
    "partnerships": ("start_date", "end_date"),
    "ties": ("start_date", "end_date"),
    "cash": ("spent_on",),
    "gifts": ("received_on",),
}

# name → its columns in order
COLUMNS: dict[str, tuple[str, ...]] = {name: tuple(c for c, _how in spec) for name, (_rows, spec) in EXTRACT.items()}
_ALIAS = "hl_"  # the SQL name of a column computed or renamed (an annotation may not take a field's name)


def queryset(name: str, columns: Iterable[str] | None = None, ids: tuple[int, int] | None = None) -> QuerySet[Any]:
    """The extraction of table `name`, with only `columns` (default: all) and, given `ids` (first, last), of those
    ids only."""
    rows, spec = EXTRACT[name]
    wanted = set(COLUMNS[name] if columns is None else columns)
    if unknown := wanted - set(COLUMNS[name]):
        raise ValueError(f"{name} has no column {sorted(unknown)}")
    fields = [column for column, how in spec if column in wanted and how is None]
    computed = {
        _ALIAS + column: F(how) if isinstance(how, str) else how
        for column, how in spec
        if column in wanted and how is not None
    }
    qs = rows().order_by()
    if ids is not None:
        qs = qs.filter(id__range=ids)
    return qs.values(*fields, **computed)


def _named(table: pa.Table, name: str) -> pa.Table:
    """The columns under their extract names, in EXTRACT's order."""
    table = table.rename_columns([c.removeprefix(_ALIAS) for c in table.column_names])
    return table.select([c for c in COLUMNS[name] if c in table.column_names])


def read_table(
    name: str, columns: Iterable[str] | None = None, ids: tuple[int, int] | None = None, adbc: Any = None
) -> pa.Table:
    """One extracted table (or part of it), by `adbc` or else Django's connection."""
    return _named(arrow.read_queryset(queryset(name, columns, ids), adbc), name)


EXTRACT_THREADS = 2  # ADBC drivers read outside the interpreter lock: two connections read two tables at once


def extract(
    progress: Callable[[str, int, int], None] | None = None,
    names: Iterable[str] | None = None,
    columns: Mapping[str, Iterable[str] | None] | None = None,
) -> dict[str, pa.Table]:
    """The tables named (default: every table) in bulk, as Arrow, each with its `columns` (default: all): with
    ADBC, EXTRACT_THREADS tables or parts of a large table at a time, each thread on its own connection, the
    largest tables first; else one after the other through Django's connection."""
    wanted = list(EXTRACT) if names is None else [name for name in EXTRACT if name in set(names)]
    if not wanted:
        return {}
    first = arrow.connect()
    if first is None:
        tables: dict[str, pa.Table] = {}
        for i, name in enumerate(wanted):
            tables[name] = read_table(name, (columns or {}).get(name))
            if progress:
                progress("extract", i + 1, len(wanted))
        return tables
    import queue
    from concurrent.futures import ThreadPoolExecutor

    opened = [first]
    try:
        # the large tables in parts of PART_IDS ids, read in turn by the threads: one large table (the only one
        # extracted again after an edit of it) is read by both, and the two finish together
        tasks: list[tuple[str, tuple[int, int] | None]] = []
        for name in [n for n in LARGEST_FIRST if n in wanted]:
            tasks.extend((name, part) for part in _parts(name))
        opened += [
            arrow.open_connection() for _ in range(min(EXTRACT_THREADS, len(tasks)) - 1)
        ]  # one opened: more can be
        free: queue.Queue[Any] = queue.Queue()
        for adbc in opened:
            free.put(adbc)

        def read(task: tuple[str, tuple[int, int] | None]) -> pa.Table:
            name, ids = task
            adbc = free.get()
            try:
                return read_table(name, (columns or {}).get(name), ids, adbc)
            finally:
                free.put(adbc)

        parts: dict[str, list[pa.Table]] = {}
        with ThreadPoolExecutor(EXTRACT_THREADS, thread_name_prefix="analytics-extract") as pool:
            for (name, _ids), table in zip(tasks, pool.map(read, tasks), strict=True):
                parts.setdefault(name, []).append(table)
                if progress:
                    progress("extract", len(parts), len(wanted))
    finally:
        for adbc in opened:
            arrow.release(adbc)
    return {name: _combined(parts[name]) for name in wanted}


def _combined(parts: list[pa.Table]) -> pa.Table:
    """The parts of one table as one table. SQLite's driver types each part's columns from its own values: a
    part whose column is all null has it typed null or integer, and a part may have integers where another has
    decimals; each column takes the type of its values (text before decimals before integers), nulls cast."""
    if len(parts) == 1:
        return parts[0]
    fields = []
    for column in parts[0].schema:
        types = {part.schema.field(column.name).type for part in parts} - {pa.null()}
        kind = column.type
        if len(types) > 1:
            kind = next(
                (t for t in types if pa.types.is_string(t) or pa.types.is_large_string(t)),
                next((t for t in types if pa.types.is_floating(t)), column.type),
            )
        elif types:
            kind = types.pop()
        fields.append(pa.field(column.name, kind))
    schema = pa.schema(fields)
    return pa.concat_tables([part if part.schema == schema else part.cast(schema) for part in parts])


PART_IDS = 500_000  # ids a part of a large table covers
SPLIT = {"stays", "outcomes", "people", "assessments", "trainees", "ties", "activity_stays"}  # tables with an id


def _parts(name: str) -> list[tuple[int, int] | None]:
    """The id ranges a table is read in: one part (None: all of it) unless it is large."""
    if name not in SPLIT:
        return [None]
    rows = EXTRACT[name][0]().model.objects.order_by()
    bounds = rows.aggregate(lo=Min("id"), hi=Max("id"))
    low, high = bounds["lo"], bounds["hi"]
    if low is None or high - low < PART_IDS:
        return [None]
    return [(start, min(start + PART_IDS - 1, high)) for start in range(low, high + 1, PART_IDS)]


# the order tables are read in: the large ones first, so that the two threads finish together
LARGEST_FIRST = ["stays", "outcomes", "people", "assessments", "trainees", "ties", "activities", "activity_stays"]
LARGEST_FIRST += [name for name in EXTRACT if name not in LARGEST_FIRST]


@dataclass
class Snapshot:
    """The extracted tables, and the results computed on them. Tables are extracted when an analysis first needs
    them (`need`), once per data version: the dashboard does not wait for the network's ties or the mobility
    analysis's assessments. They stay Arrow tables: each cursor sees them as DuckDB views, without a copy."""

    token: str | None
    db: duckdb.DuckDBPyConnection
    results: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    versions: signals.Versions | None = None  # the table versions read before any of its tables was extracted

    @property
    def loaded(self) -> set[str]:
        return set(self.tables)

    def need(self, names: Needs | None = None, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Extract the tables named (default: all) that this snapshot does not hold yet, or holds without some of
        the columns asked for (a plain name: all; (name, columns): those). A table extracted again
        keeps the columns it had: a later analysis may still be reading them."""
        asked = wanted(names)
        with self.lock:
            columns: dict[str, set[str] | None] = {}
            for name, cols in asked.items():
                held = set(self.tables[name].column_names) if name in self.tables else None
                need = set(COLUMNS[name]) if cols is None else set(cols)
                if held is None or not need <= held:
                    columns[name] = need | (held or set())
            if columns:
                self.tables = {**self.tables, **typed(extract(progress, columns, columns))}

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection of its own (temporary views and tables on it are private: safe across threads and
        requests) on which every table held is a view of its Arrow table."""
        cursor = self.db.cursor()
        for name, table in self.tables.items():
            cursor.register(name, table)
        return cursor

    def query(self, sql: str, params: list[Any] | None = None) -> Any:
        """A DataFrame of the result."""
        return self.cursor().execute(sql, params or []).df()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.cursor().execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def cached(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self.results:
            self.results[key] = compute()
        return self.results[key]


def _database() -> duckdb.DuckDBPyConnection:
    # large sorts and joins may spill to disk: under var/, not the working directory
    return duckdb.connect(
        ":memory:",
        config={"temp_directory": str(Path(settings.VAR_DIR) / "duckdb-tmp"), "max_temp_directory_size": "8GB"},
    )


def load(tables: dict[str, pa.Table], token: str | None) -> Snapshot:
    """A snapshot holding these tables (as `extract` returns them)."""
    return Snapshot(token=token, db=_database(), tables=typed(tables))


def typed(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """The date columns as dates. A column with no date at all comes from SQLite typed as integer: through text
    it becomes a column of null dates like the others."""
    out = {}
    for name, table in tables.items():
        for column in DATES.get(name, ()):
            if column not in table.column_names:  # not extracted: an analysis asked for other columns only
                continue
            values = table[column]
            if not pa.types.is_date32(values.type):
                values = pc.cast(
                    values if pa.types.is_string(values.type) else pc.cast(values, pa.string()), pa.date32()
                )
            table = table.set_column(table.schema.get_field_index(column), column, values)
        out[name] = table
    return out


def wanted(names: Needs | None) -> dict[str, tuple[str, ...] | None]:
    """Tables → the columns asked for (None: all of them)."""
    if names is None:
        return dict.fromkeys(EXTRACT)
    out: dict[str, tuple[str, ...] | None] = {}
    for item in names:
        if isinstance(item, str):
            out[item] = None
        else:
            out[item[0]] = tuple(item[1])
    return out


_lock = threading.Lock()
_snapshot: Snapshot | None = None


def snapshot(progress: Callable[[str, int, int], None] | None = None, tables: Needs | None = None) -> Snapshot:
    """The current snapshot, holding at least `tables` (default: all): reused while the data version is
    unchanged. After a write, the new snapshot keeps the previous one's tables whose database table was not
    written since (signals.versions), and extracts the others when they are needed."""
    global _snapshot
    token = signals.current()
    with _lock:
        if _snapshot is not None and token is not None and _snapshot.token == token:
            snap = _snapshot
        else:
            snap = Snapshot(token=token, db=_database(), versions=signals.versions() if token is not None else None)
            if _snapshot is not None and token is not None:
                snap.tables = unchanged(_snapshot, snap.versions)
            _snapshot = snap if token is not None else None
    snap.need(tables, progress)  # outside the module lock: a second data version need not wait for this one
    return snap


def source(name: str) -> str:
    """The database table an extracted table is read from."""
    return str(EXTRACT[name][0]().model._meta.db_table)


def sources(name: str) -> set[str]:
    """Every database table an extracted table reads (its own, and those its selector joins, such as the people
    of the stays): a write to any of them renews the extract."""
    return arrow.tables_read(EXTRACT[name][0]())


def unchanged(previous: Snapshot, versions: signals.Versions | None) -> dict[str, pa.Table]:
    """The previous snapshot's tables that no write has touched since they were extracted: same generation (no
    bulk write) and the same token for their database table. Arrow tables are immutable: both snapshots share
    them."""
    if previous.versions is None or versions is None or previous.versions[0] != versions[0]:
        return {}
    before, now = previous.versions[1], versions[1]
    return {
        name: table
        for name, table in previous.tables.items()
        if all(before.get(t) == now.get(t) for t in sources(name))
    }


def clear() -> None:
    global _snapshot
    with _lock:
        _snapshot = None
