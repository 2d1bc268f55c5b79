"""The analytics engine: tables pulled in bulk from the database as Arrow (ADBC where it can read the
database directly, else the Django connection), queried in place by DuckDB, and reused until the data
version changes. Analyses are SQL over these tables plus, for models, statsmodels on the small frames that
SQL returns."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection

from healthlinks.analytics import signals

# Extraction queries: portable SQL over the Django tables (dates as ISO text, booleans as 0/1, decimals as
# floating point), so SQLite and PostgreSQL give the same Arrow tables.
EXTRACT: dict[str, str] = {
    "stays": """SELECT id, person_id, partnership_id, host_institution_id, sending_institution_id, mode,
        CAST(start_date AS TEXT) AS start_date, CAST(end_date AS TEXT) AS end_date, duration_days, repeat_index,
        CAST(virtual_hours AS DOUBLE PRECISION) AS virtual_hours FROM network_stay""",
    "people": "SELECT id, cadre_id, sex, home_institution_id, grade FROM network_person",
    "activities": """SELECT id, partnership_id, kind, mode, venue_id, CAST(start_date AS TEXT) AS start_date,
        CAST(end_date AS TEXT) AS end_date, CAST(training_of_trainers AS INTEGER) AS training_of_trainers,
        CAST(hours AS DOUBLE PRECISION) AS hours FROM activities_activity""",
    "activity_stays": "SELECT activity_id, stay_id FROM activities_activity_stays",
    "outcomes": """SELECT id, activity_id, person_id, level, CAST(practice_changed AS INTEGER) AS practice_changed,
        follow_up_months, rating FROM activities_outcome""",
    "assessments": """SELECT activity_id, person_id, CAST(pre_score AS DOUBLE PRECISION) AS pre_score,
        CAST(post_score AS DOUBLE PRECISION) AS post_score, CAST(max_score AS DOUBLE PRECISION) AS max_score
        FROM activities_assessment""",
    "trainees": """SELECT activity_id, person_id, facility_level, CAST(completed AS INTEGER) AS completed
        FROM activities_trainee""",
    "cascades": "SELECT person_id, source_activity_id, people_trained FROM activities_cascadereport",
    "knowledge": """SELECT activity_id, stage, CAST(sustained_at_follow_up AS INTEGER) AS sustained, direction
        FROM activities_knowledgeitem""",
    "partnerships": """SELECT id, slug, name, publication, CAST(start_date AS TEXT) AS start_date,
        CAST(end_date AS TEXT) AS end_date, geography_class, capacity_focus, intervention, skills, delivery,
        visiting_groups, host_entities, frequency FROM registry_partnership""",
    "members": "SELECT partnership_id, institution_id, role FROM registry_partnershipmember",
    "institutions": "SELECT id, name, country_id FROM registry_institution",
    "countries": """SELECT iso3, name, income_group, who_region, CAST(ssl2023 AS INTEGER) AS ssl2023
        FROM reference_country""",
    "aggregates": "SELECT activity_id, cadre_id, sex, facility_level, count FROM activities_aggregatetrainees",
    "cash": """SELECT partnership_id, activity_id, category, CAST(amount AS DOUBLE PRECISION) AS amount, currency,
        CAST(spent_on AS TEXT) AS spent_on FROM results_cashcost""",
    "gifts": """SELECT partnership_id, CAST(value AS DOUBLE PRECISION) AS value, currency,
        CAST(received_on AS TEXT) AS received_on FROM results_inkindcontribution""",
    "currency_rates": "SELECT currency, year, CAST(rate AS DOUBLE PRECISION) AS rate FROM results_currencyrate",
    "day_rates": """SELECT grade, cadre_id, year, currency, CAST(day_rate AS DOUBLE PRECISION) AS day_rate, method
        FROM results_dayrate""",
    "specialties": "SELECT partnership_id, specialty_id FROM registry_partnership_specialties",
    "funders": "SELECT partnership_id, fundingscheme_id AS funder_id FROM registry_partnership_funding_schemes",
    "funding_schemes": "SELECT id, slug, name FROM registry_fundingscheme",
    "ties": """SELECT person_a_id, person_b_id, kind, CAST(start_date AS TEXT) AS start_date,
        CAST(end_date AS TEXT) AS end_date FROM network_tie""",
}

# The rows extracted, where the analyses read only some: every analysis reads outcomes at Kirkpatrick level 3
# (practice at follow-up); the reactions (level 1) are as many again and are read by none of them
# Soft-deleted partnerships and people (healthlinks.ops.softdelete) and their stays and ties are not analysed, as
# the selectors hide them from every reader.
LIVE_PEOPLE = "SELECT id FROM network_person WHERE deleted_at IS NULL"
LIVE_PARTNERSHIPS = "SELECT id FROM registry_partnership WHERE deleted_at IS NULL"
ROWS: dict[str, str] = {
    "outcomes": "level = 3",
    "people": "deleted_at IS NULL",
    "partnerships": "deleted_at IS NULL",
    "stays": f"person_id IN ({LIVE_PEOPLE}) AND partnership_id IN ({LIVE_PARTNERSHIPS})",
    "ties": f"person_a_id IN ({LIVE_PEOPLE}) AND person_b_id IN ({LIVE_PEOPLE})",
}
# Database tables a ROWS condition reads besides the table's own: a write to them renews the extract too.
ALSO_READS: dict[str, tuple[str, ...]] = {
    "stays": ("network_person", "registry_partnership"),
    "ties": ("network_person",),
}

# What an analysis needs: table names (every column) or (name, the columns it reads); a tuple stays hashable and
# picklable in an analytics.store Recipe
Needs = Iterable[str | tuple[str, tuple[str, ...]]]

# The date columns: SQLite's extracted as ISO text, PostgreSQL's as dates (`select`), typed once in Arrow.
DATES: dict[str, tuple[str, ...]] = {
    "stays": ("start_date", "end_date"),
    "activities": ("start_date", "end_date"),
    "partnerships": ("start_date", "end_date"),
    "ties": ("start_date", "end_date"),
    "cash": ("spent_on",),
    "gifts": ("received_on",),
}


def _columns(sql: str) -> dict[str, str]:
    """The columns of an extraction query, name → expression (its select list split at top-level commas)."""
    body = re.match(r"\s*SELECT\s+(.*?)\s+FROM\s+\w+\s*$", sql, re.IGNORECASE | re.DOTALL)
    if body is None:
        raise ValueError(f"an extraction query must read one table: {sql!r}")
    items, depth, current = [], 0, ""
    for char in body.group(1):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    columns = {}
    for item in (" ".join(i.split()) for i in items):
        expression, _as, name = item.rpartition(" AS ")
        columns[name] = expression or name
    return columns


# name → {column: expression}: a query may read only some of a table's columns (`select`)
COLUMNS: dict[str, dict[str, str]] = {name: _columns(sql) for name, sql in EXTRACT.items()}


def select(name: str, columns: Iterable[str] | None = None, ids: tuple[int, int] | None = None) -> str:
    """The extraction query of table `name`, with only `columns` (default: all), in EXTRACT's order, of its ROWS
    and, given `ids` (first, last), of those ids only. PostgreSQL sends dates as dates (Arrow date32): the text
    cast that makes SQLite and PostgreSQL agree costs PostgreSQL a fifth of the time it takes to send the
    stays."""
    known = COLUMNS[name]
    wanted = set(known if columns is None else columns)
    if unknown := wanted - set(known):
        raise ValueError(f"{name} has no column {sorted(unknown)}")
    native_dates = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    parts = []
    for column, expression in known.items():
        if column in wanted:
            if native_dates and column in DATES.get(name, ()):
                expression = column
            parts.append(column if expression == column else f"{expression} AS {column}")
    conditions = [ROWS[name]] if name in ROWS else []
    if ids is not None:
        conditions.append(f"id BETWEEN {int(ids[0])} AND {int(ids[1])}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {', '.join(parts)} FROM {source(name)}{where}"  # noqa: S608 - our table and column names


def adbc_connect() -> Any | None:
    """A direct ADBC connection to the database, when one can read what Django has committed."""
    if connection.in_atomic_block:
        return None  # uncommitted rows (e.g. inside tests) are only visible to Django's own connection
    return _adbc_open()


def _adbc_open() -> Any | None:
    db = settings.DATABASES["default"]
    engine = db["ENGINE"]
    if engine.endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return None
        import adbc_driver_sqlite.dbapi

        adbc = adbc_driver_sqlite.dbapi.connect(f"file:{name}?mode=ro")
        # wait, as Django's connection does, rather than fail at once: two threads opening the database together
        # (or a writer checkpointing) hold its WAL index for an instant
        cursor = adbc.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_MS)}")
        cursor.close()
        return adbc
    if "postgresql" in engine:
        import adbc_driver_postgresql.dbapi

        user = db.get("USER") or ""
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        port = f":{db['PORT']}" if db.get("PORT") else ""
        uri = f"postgresql://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"
        while True:
            with _idle_lock:  # taken under the lock, checked outside it (a round trip to the server)
                kept = _idle.pop() if _idle else None
            if kept is None:
                break
            pid, key, adbc = kept
            if pid == os.getpid() and key == uri and _alive(adbc):
                return adbc
            _close(adbc)
        adbc = adbc_driver_postgresql.dbapi.connect(uri, autocommit=True)  # each query sees what is committed
        adbc.healthlinks_uri = uri  # kept with it: `_release` files it under its database
        return adbc
    return None


# PostgreSQL connections kept for the next extraction of this process: opening one takes 45 ms (ADBC reads the
# server's types), as long as extracting all the dashboard's small tables
_idle: list[tuple[int, str, Any]] = []
_idle_lock = threading.Lock()


def _alive(adbc: Any) -> bool:
    try:
        _read(adbc, "SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - a connection the server closed: open another
        return False


def _close(adbc: Any) -> None:
    with contextlib.suppress(Exception):  # already broken: nothing to release
        adbc.close()


def close_idle() -> None:
    """Close the kept connections (a database about to be dropped, as at the end of a test run)."""
    with _idle_lock:
        kept = [adbc for _pid, _uri, adbc in _idle]
        _idle.clear()
    for adbc in kept:
        _close(adbc)


def _release(adbc: Any) -> None:
    """Keep a PostgreSQL connection (up to EXTRACT_THREADS) for the next extraction; close the others."""
    uri = getattr(adbc, "healthlinks_uri", None)
    with _idle_lock:
        if uri is not None and len(_idle) < EXTRACT_THREADS:
            _idle.append((os.getpid(), uri, adbc))
            return
    _close(adbc)


def _via_django(sql: str) -> pa.Table:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    columns: list[list[Any]] = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in names]
    return pa.table({name: pa.array(col) for name, col in zip(names, columns, strict=True)})


SQLITE_BUSY_MS = 20_000
EXTRACT_THREADS = 2  # ADBC drivers read outside the interpreter lock: two connections read two tables at once


def _read(adbc: Any, sql: str) -> pa.Table:
    cursor = adbc.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetch_arrow_table()
    finally:
        cursor.close()


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
    first = adbc_connect()
    if first is None:
        tables: dict[str, pa.Table] = {}
        for i, name in enumerate(wanted):
            tables[name] = _via_django(select(name, (columns or {}).get(name)))
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
            tasks.extend((name, part) for part in _parts(first, name))
        opened += [_adbc_open() for _ in range(min(EXTRACT_THREADS, len(tasks)) - 1)]  # could open one: can more
        free: queue.Queue[Any] = queue.Queue()
        for adbc in opened:
            free.put(adbc)

        def read(task: tuple[str, tuple[int, int] | None]) -> pa.Table:
            name, ids = task
            adbc = free.get()
            try:
                return _read(adbc, select(name, (columns or {}).get(name), ids))
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
            _release(adbc)
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


def _parts(adbc: Any, name: str) -> list[tuple[int, int] | None]:
    """The id ranges a table is read in: one part (None: all of it) unless it is large."""
    if name not in SPLIT:
        return [None]
    bounds = _read(adbc, f"SELECT min(id) AS lo, max(id) AS hi FROM {source(name)}").to_pylist()[0]  # noqa: S608
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
    match = re.search(r"\bFROM\s+(\w+)", EXTRACT[name], re.IGNORECASE)
    if match is None:
        raise ValueError(f"no FROM in the extraction of {name}")
    return match.group(1)


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
        if all(before.get(t) == now.get(t) for t in (source(name), *ALSO_READS.get(name, ())))
    }


def clear() -> None:
    global _snapshot
    with _lock:
        _snapshot = None
