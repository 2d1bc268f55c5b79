"""Results shared by every process of the server, and served a little stale while they are brought up to date.

The engine's snapshot lives in one process; a production server runs several (gunicorn workers, the task
worker). Each finished result is also written to the "analytics" cache (files under var/, settings.CACHES),
keyed by the analysis and its scope and tagged with the data version it was computed on:

- same data version: any process answers from the file, without extracting anything (warm everywhere);
- the data changed since, and the stored result is younger than HEALTHLINKS_ANALYTICS_STALE_SECONDS: it is
  answered at once, marked `as_of` (the pages say "figures as of …; the latest changes are being added"); once
  it is older than HEALTHLINKS_ANALYTICS_REFRESH_SECONDS, one background thread, in one process at a time,
  computes the new one (so a stream of writes costs one recomputation a minute, not one per write);
- otherwise (nothing stored, or the setting is 0 as in development and tests): computed now.

So a coordinator importing a file every minute does not make every worker re-extract the whole database, and a
reader never waits for an extraction that another process is already doing.

Where the refresh runs: with HEALTHLINKS_ANALYTICS_REFRESH_BY = "worker" (set by `serve --production`, which
starts the task worker beside gunicorn) a web worker only queues it, as a background task (`analytics.jobs.refresh`
on the django-tasks queue, which every worker of every machine reads) holding the result's Recipe, and a task
worker computes it. A refresh takes seconds of CPU at national scale; in a web worker's thread it would hold that
worker's interpreter lock while the worker answers requests. Otherwise ("thread") it runs in a low-priority thread
of the process that noticed it.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connection

from healthlinks.analytics import engine, signals

Progress = Callable[[str, int, int], None]

log = logging.getLogger(__name__)
LOCK_SECONDS = 600  # a refresh that takes longer is presumed dead and may be started again
_refreshing: set[str] = set()
_refreshing_lock = threading.Lock()


def _cache() -> Any:
    return caches["analytics"]


def _name(key: Any) -> str:
    import hashlib

    return "r:" + hashlib.blake2b(repr(key).encode(), digest_size=20).hexdigest()


@dataclass(frozen=True)
class Recipe:
    """How to compute a result, in this process or in the task worker: a module-level function and its arguments
    (both picklable). With `key`, the function is an analysis called as func(snapshot, *args) on a snapshot holding
    `tables` (default: all), and its result is also kept in the snapshot under that key; without, it is called as
    func(*args)."""

    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    key: Any = None
    tables: engine.Needs | None = None

    def run(self, progress: Progress | None = None) -> Any:
        if self.key is None:
            return self.func(*self.args)
        snap = engine.snapshot(progress, self.tables)
        return snap.cached(self.key, lambda: self.func(snap, *self.args))


def answer(
    key: Any,
    analysis: Callable[..., Any],
    *args: Any,
    tables: engine.Needs | None = None,
    progress: Progress | None = None,
) -> Any:
    """analysis(snapshot, *args) on the current snapshot holding `tables` (or, within the staleness window, the
    last result stored)."""
    return remember(key, Recipe(analysis, args, key, tables), progress)


def remember(key: Any, recipe: Recipe, progress: Progress | None = None) -> Any:
    """`recipe.run()` (any figures read from the analysed data) stored for every process until the data change."""
    token = signals.current()
    name = _name(key)
    stored = _cache().get(name) if token is not None else None
    if stored is not None and stored["token"] == token:
        return stored["result"]
    stale = settings.HEALTHLINKS_ANALYTICS_STALE_SECONDS
    age = (datetime.now(UTC) - datetime.fromisoformat(stored["at"])).total_seconds() if stored else None
    if stored is not None and age is not None and age < stale:
        if age >= settings.HEALTHLINKS_ANALYTICS_REFRESH_SECONDS:
            _refresh_later(name, key, recipe)
        result = stored["result"]
        return {**result, "as_of": stored["at"]} if isinstance(result, dict) else result
    return _compute(name, recipe, progress)


def _compute(name: str, recipe: Recipe, progress: Progress | None = None) -> Any:
    token = signals.current()  # read first: a write while computing leaves the result tagged as older
    result = recipe.run(progress)
    if token is not None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        _cache().set(name, {"token": token, "at": at, "result": result})
    return result


def _refresh_later(name: str, key: Any, recipe: Recipe) -> None:
    """Queue the refresh for the task worker, or start it here: once, while no process holds the key's lock."""
    if not _cache().add(name + ":lock", f"{os.getpid()}", LOCK_SECONDS):
        return
    if settings.HEALTHLINKS_ANALYTICS_REFRESH_BY == "worker":
        from healthlinks.analytics import jobs

        jobs.refresh.enqueue(base64.b64encode(pickle.dumps((name, key, recipe))).decode())
        return
    _refresh_in_thread(name, key, recipe)


def refresh_queued(queued: str) -> None:
    """The task worker's part: compute a refresh a web worker queued (a Recipe, pickled by this server only)."""
    try:
        name, key, recipe = pickle.loads(base64.b64decode(queued))  # noqa: S301 - written by this server only
    except Exception:
        log.exception("analytics: unreadable queued refresh dropped")
        return
    try:
        _compute(name, recipe)
    finally:
        _cache().delete(name + ":lock")


def _refresh_in_thread(name: str, key: Any, recipe: Recipe) -> threading.Thread | None:
    """One low-priority thread per key in this process; it releases the key's lock when done."""
    with _refreshing_lock:
        if name in _refreshing:
            return None
        _refreshing.add(name)

    def run() -> None:
        started = time.perf_counter()
        with contextlib.suppress(OSError, AttributeError):  # Linux: a thread is a task with its own priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # requests being answered come first
        try:
            _compute(name, recipe)
            log.info("analytics: refreshed %s in %.1f s", key, time.perf_counter() - started)
        except Exception:
            log.exception("analytics: background refresh of %s failed", key)
        finally:
            _cache().delete(name + ":lock")
            with _refreshing_lock:
                _refreshing.discard(name)
            connection.close()

    thread = threading.Thread(target=run, name="analytics-refresh", daemon=True)
    thread.start()
    return thread
