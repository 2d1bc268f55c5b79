"""Submit, run, reap and re-run background tasks.

A task kind names a function `run(task, progress) -> dict` by dotted path (KINDS). The function reads
`task.params` and `task.input_file`, reports progress through `progress(stage, done, total)`, and returns the
result (a JSON-able dict; an `output_file` key, a path under MEDIA_ROOT, becomes the task's download). It raises
`TaskRejected` (or any exception the kind lists in `expected`) for bad input: the message is shown as is.

Workers: `healthlinks worker` (production; `serve --production` starts one beside gunicorn), a thread inside
`healthlinks serve` (development), or in-process at submission when TASKS_EAGER is set (tests). A worker that dies
leaves its task `running` with a progress file that stops being touched; the next worker to start, or the next
poll, marks it failed ("interrupted") after STALE_SECONDS. The work of a task is one transaction, so an
interrupted task has written nothing and can simply be run again.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from healthlinks.analytics import store
from healthlinks.ops.middleware import STORAGE_FULL_MESSAGE, storage_full
from healthlinks.tasks.models import Task

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# kind → dotted path of the function that runs it
KINDS: dict[str, str] = {
    "iati_import": "healthlinks.tasks.kinds:iati_import",
    "analysis": "healthlinks.tasks.kinds:analysis",
    "report": "healthlinks.tasks.kinds:report",
}

HEARTBEAT_SECONDS = 2.0
STALE_SECONDS = 20.0


class TaskRejected(Exception):
    """Bad input or parameters: the message is the answer shown to the user."""


def progress_dir() -> Path:
    path = Path(settings.VAR_DIR) / "tasks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress_path(task_id: int) -> Path:
    return progress_dir() / f"{task_id}.json"


def read_progress(task: Task) -> dict[str, Any]:
    """The task's last reported stage, done and total, and when the worker last showed signs of life."""
    path = progress_path(task.pk)
    try:
        data = json.loads(path.read_text())
        data["heartbeat"] = path.stat().st_mtime
        return dict(data)
    except (OSError, ValueError):
        return {}


def _write_progress(task_id: int, data: dict[str, Any]) -> None:
    path = progress_path(task_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


class _Reporter:
    """Writes progress at most every 0.3 s, and touches the file every HEARTBEAT_SECONDS from a thread."""

    def __init__(self, task_id: int) -> None:
        self.task_id = task_id
        self.state: dict[str, Any] = {"stage": "", "done": 0, "total": 0}
        self._last = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"task-{task_id}-heartbeat", daemon=True)

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.state = {"stage": stage, "done": int(done), "total": int(total)}
        now = time.monotonic()
        if now - self._last >= 0.3 or done >= total:
            self._last = now
            _write_progress(self.task_id, self.state)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(OSError):  # disk trouble shows up as a stale heartbeat
                _write_progress(self.task_id, self.state)

    def __enter__(self) -> _Reporter:
        _write_progress(self.task_id, self.state)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def resolve(kind: str) -> Callable[[Task, Progress], dict[str, Any]]:
    if kind not in KINDS:
        raise TaskRejected(f"unknown task kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    module, name = KINDS[kind].split(":")
    func: Callable[[Task, Progress], dict[str, Any]] = getattr(importlib.import_module(module), name)
    return func


def submit(
    kind: str, *, user: Any, params: dict[str, Any] | None = None, input_file: str = "", label: str = ""
) -> Task:
    """Queue a task. With TASKS_EAGER (tests) it runs at once, in this thread."""
    resolve(kind)  # refuse unknown kinds at submission, not in the worker
    task = Task.objects.create(
        kind=kind,
        label=label or kind.replace("_", " "),
        params=params or {},
        input_file=input_file,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if getattr(settings, "TASKS_EAGER", False):
        return _run_claimed(task.pk)
    else:
        _wake.set()
    return task


def rerun(task: Task, *, user: Any) -> Task:
    """A new task with the same kind, parameters and input file; the old one stays as the record of the failure."""
    new = submit(task.kind, user=user, params=task.params, input_file=task.input_file, label=task.label)
    Task.objects.filter(pk=new.pk).update(rerun_of=task)
    new.rerun_of = task
    return new


def claim_next() -> Task | None:
    """Take the oldest queued task. The conditional UPDATE makes the claim atomic across workers on both
    databases, without row locks."""
    for pk in (
        Task.objects.filter(status=Task.Status.QUEUED).order_by("created_at", "pk").values_list("pk", flat=True)[:5]
    ):
        claimed = Task.objects.filter(pk=pk, status=Task.Status.QUEUED).update(
            status=Task.Status.RUNNING, started_at=timezone.now(), worker=worker_id()
        )
        if claimed:
            return Task.objects.get(pk=pk)
    return None


def _run_claimed(pk: int) -> Task:
    """Claim a queued task by id (eager mode) and run it."""
    claimed = Task.objects.filter(pk=pk, status=Task.Status.QUEUED).update(
        status=Task.Status.RUNNING, started_at=timezone.now(), worker=worker_id()
    )
    task = Task.objects.get(pk=pk)
    if claimed:
        execute(task)
        task.refresh_from_db()
    return task


def execute(task: Task) -> None:
    """Run a claimed task to the end and record how it ended."""
    func = resolve(task.kind)
    status, message, result, output = Task.Status.DONE, "", {}, ""
    with _Reporter(task.pk) as reporter:
        try:
            result = func(task, reporter) or {}
            output = str(result.pop("output_file", "") or "")
            message = str(result.pop("message", "") or "")
        except (TaskRejected, ValueError) as error:
            status, message = Task.Status.FAILED, str(error)
        except Exception as error:  # the worker must survive any task; the log keeps the traceback
            log.exception("task %s (%s) failed", task.pk, task.kind)
            status, message = Task.Status.FAILED, (
                f"{STORAGE_FULL_MESSAGE} Run it again once space is freed."
                if storage_full(error)
                else f"internal error ({type(error).__name__}): {error}"
            )
        final = {**reporter.state}
    if status == Task.Status.DONE and final.get("total"):
        final["done"] = final["total"]
    _write_progress(task.pk, final)
    Task.objects.filter(pk=task.pk).update(
        status=status, message=message, result=_jsonable(result), output_file=output, finished_at=timezone.now()
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def reap_interrupted(*, stale_seconds: float = STALE_SECONDS) -> list[int]:
    """Mark failed every running task whose worker has stopped showing signs of life."""
    now = time.time()
    reaped = []
    for task in Task.objects.filter(status=Task.Status.RUNNING):
        progress = read_progress(task)
        last = progress.get("heartbeat") or (task.started_at.timestamp() if task.started_at else 0)
        if not (now - last > stale_seconds or _dead_here(task.worker)):
            continue
        where = ""
        if progress.get("stage"):
            where = f" during {progress['stage']} ({progress.get('done', 0)} of {progress.get('total', 0)})"
        message = f"interrupted: the worker stopped{where}. Nothing of this task was kept; run it again."
        if Task.objects.filter(pk=task.pk, status=Task.Status.RUNNING).update(
            status=Task.Status.FAILED, message=message, finished_at=timezone.now()
        ):
            reaped.append(task.pk)
    return reaped


def _dead_here(worker: str) -> bool:
    """True when the worker ran on this host and its process is gone (so we need not wait for staleness)."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


_wake = threading.Event()


def _fresh_connection() -> None:
    """Between tasks, drop a connection the database may have closed; never inside a transaction (a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


def run_worker(
    *, poll: float = 1.0, once: bool = False, stop: threading.Event | None = None, parent: int | None = None
) -> int:
    """Run queued tasks until stopped. `parent`: exit when that process is gone (a worker started beside
    gunicorn by `serve --production` ends with it). Returns the number of tasks run."""
    ran = 0
    stop = stop or threading.Event()
    reap_interrupted()
    last_reap = time.monotonic()
    while not stop.is_set():
        if parent is not None and os.getppid() != parent:
            break
        _fresh_connection()
        store.refresh_pending()  # analyses the web workers found stale (analytics.store)
        task = claim_next()
        if task is not None:
            execute(task)
            ran += 1
            continue
        if once:
            break
        if time.monotonic() - last_reap > STALE_SECONDS / 2:
            reap_interrupted()
            last_reap = time.monotonic()
        _wake.wait(poll)
        _wake.clear()
    _fresh_connection()
    return ran


def start_worker_thread() -> threading.Thread:
    """The development server's worker: a daemon thread that dies with the server."""
    thread = threading.Thread(target=run_worker, name="healthlinks-worker", daemon=True)
    thread.start()
    return thread


def visible_tasks(user: Any) -> Any:
    qs = Task.objects.select_related("created_by")
    if getattr(user, "is_hub_admin", False):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(created_by=user)


def task_status(task: Task) -> dict[str, Any]:
    """What the task page polls: status, stage, done/total, percent, message and result."""
    progress = read_progress(task)
    done, total = int(progress.get("done", 0)), int(progress.get("total", 0))
    return {
        "id": task.pk,
        "kind": task.kind,
        "label": task.label,
        "status": task.status,
        "stage": progress.get("stage", ""),
        "done": done,
        "total": total,
        "percent": round(100 * done / total) if total else (100 if task.status == Task.Status.DONE else 0),
        "message": task.message,
        "result": task.result,
        "has_output": bool(task.output_file),
        "created_at": task.created_at.isoformat(),
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
        "elapsed_seconds": round(((task.finished_at or timezone.now()) - task.started_at) / timedelta(seconds=1), 1)
        if task.started_at
        else None,
    }


def output_path(task: Task) -> Path | None:
    if not task.output_file:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / task.output_file).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def task_file_dir(name: str) -> Path:
    """A fresh directory under MEDIA_ROOT/tasks for a task's input or output files."""
    path = Path(settings.MEDIA_ROOT) / "tasks" / name
    path.mkdir(parents=True, exist_ok=True)
    return path
