"""Querysets read into Arrow tables: the one reader of the analytics' extracts and of the research export.

The SQL is the ORM's (so soft delete, consent and every other rule a queryset carries hold), read straight into
Arrow by an ADBC driver where one can read what Django has committed, else through Django's connection without
per-value converters. Any layer may use it; it imports no app."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

SQLITE_BUSY_MS = 20_000
KEEP_CONNECTIONS = 2  # PostgreSQL connections kept per process for the next read


def sql_of(qs: QuerySet[Any]) -> tuple[str, list[Any]]:
    """The SQL and parameters the ORM writes for `qs`."""
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def tables_read(qs: QuerySet[Any]) -> set[str]:
    """The database tables `qs` reads: its own and those it joins (a write to any of them changes its rows)."""
    tables = {qs.model._meta.db_table}
    tables.update(join.table_name for join in qs.query.alias_map.values())
    return tables


def driver_sql(sql: str) -> str:
    """Django's ``%s`` placeholders in the ADBC driver's style (SQLite ``?``, PostgreSQL ``$n``)."""
    if "%%" in sql:
        raise ValueError("a literal percent sign in the SQL")
    if connection.vendor == "postgresql":
        parts = sql.split("%s")
        return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
    return sql.replace("%s", "?")


def read(adbc: Any, sql: str, params: Sequence[Any] = ()) -> pa.Table:
    """`sql` (with Django's placeholders) read by an ADBC connection."""
    cursor = adbc.cursor()
    try:
        cursor.execute(driver_sql(sql), parameters=list(params) if params else None)
        return cursor.fetch_arrow_table()
    finally:
        cursor.close()


def read_django(sql: str, params: Sequence[Any] = ()) -> pa.Table:
    """`sql` read through Django's connection (which sees this transaction's rows), as Arrow."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.table({name: pa.array(list(col)) for name, col in zip(names, columns, strict=True)})


def read_queryset(qs: QuerySet[Any], adbc: Any | None = None) -> pa.Table:
    """A values() queryset as an Arrow table, by `adbc` when given, else through Django's connection."""
    sql, params = sql_of(qs)
    return read(adbc, sql, params) if adbc is not None else read_django(sql, params)


def connect() -> Any | None:
    """A direct ADBC connection to the database, when one can read what Django has committed."""
    if connection.in_atomic_block:
        return None  # uncommitted rows (e.g. inside tests) are only visible to Django's own connection
    return open_connection()


def open_connection() -> Any | None:
    """An ADBC connection to the database (a kept one when there is one), or None where there is no driver for it
    or it cannot see Django's data (SQLite in memory)."""
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
        adbc.healthlinks_uri = uri  # kept with it: `release` files it under its database
        return adbc
    return None


# PostgreSQL connections kept for the next read of this process: opening one takes 45 ms (ADBC reads the server's
# types), as long as extracting all the dashboard's small tables
_idle: list[tuple[int, str, Any]] = []
_idle_lock = threading.Lock()


def _alive(adbc: Any) -> bool:
    try:
        read(adbc, "SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - a connection the server closed: open another
        return False


def _close(adbc: Any) -> None:
    with contextlib.suppress(Exception):  # already broken: nothing to release
        adbc.close()


def release(adbc: Any) -> None:
    """Keep a PostgreSQL connection (up to KEEP_CONNECTIONS) for the next read; close the others."""
    uri = getattr(adbc, "healthlinks_uri", None)
    with _idle_lock:
        if uri is not None and len(_idle) < KEEP_CONNECTIONS:
            _idle.append((os.getpid(), uri, adbc))
            return
    _close(adbc)


def close_idle() -> None:
    """Close the kept connections (a database about to be dropped, as at the end of a test run)."""
    with _idle_lock:
        kept = [adbc for _pid, _uri, adbc in _idle]
        _idle.clear()
    for adbc in kept:
        _close(adbc)
