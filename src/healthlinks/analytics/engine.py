"""The analytics engine: tables pulled in bulk from the database as Arrow (ADBC where it can read the
database directly, else the Django connection), held in an in-memory DuckDB, and reused until the data
version changes. Analyses are SQL over these tables plus, for models, statsmodels on the small frames that
SQL returns."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
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

# DuckDB views that give the extracted text columns their types.
TYPED: dict[str, str] = {
    "stays": """SELECT * REPLACE (CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date)
        FROM raw_stays""",
    "activities": """SELECT * REPLACE (CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date)
        FROM raw_activities""",
    "partnerships": """SELECT * REPLACE (CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date)
        FROM raw_partnerships""",
    "ties": """SELECT * REPLACE (CAST(start_date AS DATE) AS start_date, CAST(end_date AS DATE) AS end_date)
        FROM raw_ties""",
    "cash": "SELECT * REPLACE (CAST(spent_on AS DATE) AS spent_on) FROM raw_cash",
    "gifts": "SELECT * REPLACE (CAST(received_on AS DATE) AS received_on) FROM raw_gifts",
}


def _adbc_connect() -> Any | None:
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
        return adbc_driver_postgresql.dbapi.connect(uri)
    return None


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
    progress: Callable[[str, int, int], None] | None = None, names: Iterable[str] | None = None
) -> dict[str, pa.Table]:
    """The tables named (default: every table) in bulk, as Arrow: with ADBC, EXTRACT_THREADS tables at a time,
    each thread on its own connection, the largest tables first; else one after the other through Django's
    connection."""
    wanted = list(EXTRACT) if names is None else [name for name in EXTRACT if name in set(names)]
    if not wanted:
        return {}
    first = _adbc_connect()
    if first is None:
        tables: dict[str, pa.Table] = {}
        for i, name in enumerate(wanted):
            tables[name] = _via_django(EXTRACT[name])
            if progress:
                progress("extract", i + 1, len(wanted))
        return tables
    import queue
    from concurrent.futures import ThreadPoolExecutor

    opened = [
        first,
        *(_adbc_open() for _ in range(min(EXTRACT_THREADS, len(wanted)) - 1)),
    ]  # could open one: can open more
    free: queue.Queue[Any] = queue.Queue()
    for adbc in opened:
        free.put(adbc)

    def read(name: str) -> pa.Table:
        adbc = free.get()
        try:
            return _read(adbc, EXTRACT[name])
        finally:
            free.put(adbc)

    order = [name for name in LARGEST_FIRST if name in wanted]
    results: dict[str, pa.Table] = {}
    try:
        with ThreadPoolExecutor(EXTRACT_THREADS, thread_name_prefix="analytics-extract") as pool:
            for name, table in zip(order, pool.map(read, order), strict=True):
                results[name] = table
                if progress:
                    progress("extract", len(results), len(order))
    finally:
        for adbc in opened:
            adbc.close()
    return {name: results[name] for name in wanted}


# the order tables are read in: the large ones first, so that the two threads finish together
LARGEST_FIRST = ["stays", "outcomes", "people", "assessments", "trainees", "ties", "activities", "activity_stays"]
LARGEST_FIRST += [name for name in EXTRACT if name not in LARGEST_FIRST]


@dataclass
class Snapshot:
    """The extracted tables in one DuckDB database, and the results computed on them. Tables are extracted
    when an analysis first needs them (`need`), once per data version: the dashboard does not wait for the
    network's ties or the mobility analysis's assessments."""

    token: str | None
    db: duckdb.DuckDBPyConnection
    results: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: set[str] = field(default_factory=set)

    def need(self, names: Iterable[str] | None = None, progress: Callable[[str, int, int], None] | None = None) -> None:
        """Extract and load the tables named (default: all) that this snapshot does not hold yet."""
        with self.lock:
            missing = [name for name in (EXTRACT if names is None else names) if name not in self.loaded]
            if missing:
                _load_into(self.db, extract(progress, missing))
                self.loaded.update(missing)

    def query(self, sql: str, params: list[Any] | None = None) -> Any:
        """A DataFrame of the result (each call on its own cursor: safe across threads)."""
        return self.db.cursor().execute(sql, params or []).df()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.db.cursor().execute(sql, params or [])
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
    """A snapshot holding these tables."""
    db = _database()
    _load_into(db, tables)
    return Snapshot(token=token, db=db, loaded=set(tables))


def _load_into(db: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    """One DuckDB table per extracted table; dates are typed once here, not in every query."""
    for name, table in tables.items():
        db.register(f"arrow_{name}", table)
        source = f"arrow_{name}"
        select = TYPED[name].replace(f"raw_{name}", source) if name in TYPED else f"SELECT * FROM {source}"  # noqa: S608
        db.execute(f"CREATE TABLE {name} AS {select}")  # noqa: S608 (names and SQL are ours)
        db.unregister(f"arrow_{name}")


_lock = threading.Lock()
_snapshot: Snapshot | None = None


def snapshot(progress: Callable[[str, int, int], None] | None = None, tables: Iterable[str] | None = None) -> Snapshot:
    """The current snapshot, holding at least `tables` (default: all): reused while the data version is
    unchanged, replaced after any write."""
    global _snapshot
    token = signals.current()
    with _lock:
        if _snapshot is not None and token is not None and _snapshot.token == token:
            snap = _snapshot
        else:
            snap = Snapshot(token=token, db=_database())
            _snapshot = snap if token is not None else None
    snap.need(tables, progress)  # outside the module lock: a second data version need not wait for this one
    return snap


def clear() -> None:
    global _snapshot
    with _lock:
        _snapshot = None
