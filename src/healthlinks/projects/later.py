"""Statements of bulk saves whose results nobody reads (the history copies of the rows just written, and on
PostgreSQL the check of their foreign keys), collected during a save and sent once it returns, without waiting.

On PostgreSQL they go in pipeline mode: the server copies the history rows and checks the keys while the IATI
importer reads its next chunk. Without it, the importer waited for each copy, and the commit for every key
check (Django defers them to the commit: 0.75 s of a 5 s import of 8,580 activities, with the reading process
done and one core idle). (Sending them later, once the next chunk was looked up, so that they ran while it was
decided, was slower: 1,630 -> 1,530 activities/s; the server then competes with the importer for the CPU.) The
keys are checked by `SET CONSTRAINTS ... IMMEDIATE`, which runs the checks pending
so far, then set back to `DEFERRED`, as Django declares them.

While a pipeline is open, any statement Django runs on the connection first waits for it (an execute wrapper):
a query, a savepoint, the commit see everything sent before them, in order. COPY, which is not Django's, waits
explicitly (`projects_bulk_save` calls `wait()` first). On other databases `send()` runs the statements at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper


class LaterWrites:
    def __init__(self, conn: BaseDatabaseWrapper, foreign_keys: list[str]) -> None:
        self.conn = conn
        self.pipelined = conn.vendor == "postgresql" and _pipeline_supported()
        self.statements: list[tuple[str, list[Any]]] = []  # collected, not sent yet
        self.pipeline: Any = None
        names = ", ".join(conn.ops.quote_name(name) for name in foreign_keys)
        self.check: list[tuple[str, list[Any]]] = (
            [(f"SET CONSTRAINTS {names} IMMEDIATE", []), (f"SET CONSTRAINTS {names} DEFERRED", [])]
            if foreign_keys
            else []
        )

    def send(self) -> None:
        """Send what was collected (PostgreSQL: in pipeline mode, then return; elsewhere, or with a libpq older
        than 14, which has no pipeline mode: run it)."""
        self.wait()
        statements, self.statements = self.statements, []
        if not statements:
            return
        if not self.pipelined:
            with self.conn.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
            return
        raw = self.conn.connection
        pipeline = raw.pipeline()
        pipeline.__enter__()
        self.pipeline = pipeline
        cursor = raw.cursor()
        with self.conn.wrap_database_errors:
            for sql, params in [*statements, *self.check]:
                cursor.execute(sql, params or None)

    def wait(self) -> None:
        """Return when the server has run what was sent; raise its error (as Django's) if a statement failed."""
        pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            with self.conn.wrap_database_errors:
                pipeline.__exit__(None, None, None)

    def _wait_first(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.wait()
        return execute(sql, params, many, context)


def _pipeline_supported() -> bool:
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


@contextmanager
def later_writes(tables: Sequence[str]) -> Iterator[LaterWrites]:
    """A `LaterWrites` for bulk saves into `tables`, inside the caller's transaction. At the end, what is left is
    sent and waited for; on an error, the pipeline is ended before the transaction is rolled back, and the
    caller's error is the one raised."""
    conn = connections[DEFAULT_DB_ALIAS]
    foreign_keys: list[str] = []
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferrable AND condeferred "
                "AND conrelid = ANY(%s::regclass[]) ORDER BY conname",
                [list(tables)],
            )
            foreign_keys = [row[0] for row in cursor.fetchall()]
    later = LaterWrites(conn, foreign_keys)
    with conn.execute_wrapper(later._wait_first):
        try:
            yield later
        except BaseException:
            with suppress(Exception):
                later.wait()
            raise
        later.send()
        later.wait()
