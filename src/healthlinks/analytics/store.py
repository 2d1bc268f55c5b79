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
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
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


def answer(key: Any, compute: Callable[[engine.Snapshot], Any], progress: Progress | None = None) -> Any:
    """The result of `compute` on the current snapshot (or, within the staleness window, the last one stored)."""

    def on_snapshot() -> Any:
        snap = engine.snapshot(progress)
        return snap.cached(key, lambda: compute(snap))

    return remember(key, on_snapshot)


def remember(key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()` (any figures read from the analysed data) stored for every process until the data change."""
    token = signals.current()
    name = _name(key)
    stored = _cache().get(name) if token is not None else None
    if stored is not None and stored["token"] == token:
        return stored["result"]
    stale = settings.HEALTHLINKS_ANALYTICS_STALE_SECONDS
    age = (datetime.now(UTC) - datetime.fromisoformat(stored["at"])).total_seconds() if stored else None
    if stored is not None and age is not None and age < stale:
        if age >= settings.HEALTHLINKS_ANALYTICS_REFRESH_SECONDS:
            _refresh_in_background(name, key, compute)
        result = stored["result"]
        return {**result, "as_of": stored["at"]} if isinstance(result, dict) else result
    return _compute(name, compute)


def _compute(name: str, compute: Callable[[], Any]) -> Any:
    token = signals.current()  # read first: a write while computing leaves the result tagged as older
    result = compute()
    if token is not None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        _cache().set(name, {"token": token, "at": at, "result": result})
    return result


def _refresh_in_background(name: str, key: Any, compute: Callable[[], Any]) -> None:
    """One thread per key in this process, and none while another process holds the key's lock."""
    with _refreshing_lock:
        if name in _refreshing or not _cache().add(name + ":lock", f"{os.getpid()}", LOCK_SECONDS):
            return
        _refreshing.add(name)

    def run() -> None:
        started = time.perf_counter()
        with contextlib.suppress(OSError, AttributeError):  # Linux: a thread is a task with its own priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # requests being answered come first
        try:
            _compute(name, compute)
            log.info("analytics: refreshed %s in %.1f s", key, time.perf_counter() - started)
        except Exception:
            log.exception("analytics: background refresh of %s failed", key)
        finally:
            _cache().delete(name + ":lock")
            with _refreshing_lock:
                _refreshing.discard(name)
            connection.close()

    threading.Thread(target=run, name="analytics-refresh", daemon=True).start()
