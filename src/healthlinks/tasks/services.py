"""Submit, run, reap and re-run background tasks.

A task kind names a function `run(task, progress) -> dict` by dotted path (KINDS). The function reads
`task.params` and `task.input_file`, reports progress through `progress(stage, done, total)`, and returns the
result (a JSON-able dict; an `output_file` key, a path under MEDIA_ROOT, becomes the task's download). It raises
`TaskRejected` (or any exception the kind lists in `expected`) for bad input: the message is shown as is.

The queue is django-tasks (settings.TASKS): `submit` records a `Task` and enqueues `tasks.jobs.run` with its id
on the database backend (the embedded default) or on RQ (Redis, workers on several machines). Workers:
`healthlinks worker` (production; `serve --production` starts one beside gunicorn), a thread inside
`healthlinks serve` (development), or in-process at submission when TASKS_EAGER is set (tests: the immediate
backend). Progress and the worker's heartbeat go to the "tasks" cache (Redis with RQ, else files under var/),
where every worker and web server sees them. A worker that dies leaves its task `running` with a heartbeat that
stops; the next worker to start, or the next poll of its page, marks it failed ("interrupted") after
STALE_SECONDS. The work of a task is one transaction, so an interrupted task has written nothing and can simply be
run again.
"""

from __future__ import annotations

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
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

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


PROGRESS_SECONDS = 30 * 24 * 3600  # how long a task's last progress is kept


def _progress_key(task_id: int) -> str:
    return f"task-progress:{task_id}"


def read_progress(task: Task) -> dict[str, Any]:
    """The task's last reported stage, done and total, and when the worker last showed signs of life."""
    data = caches["tasks"].get(_progress_key(task.pk))
    return dict(data) if isinstance(data, dict) else {}


def write_progress(task_id: int, data: dict[str, Any]) -> None:
    caches["tasks"].set(_progress_key(task_id), {**data, "heartbeat": time.time()}, PROGRESS_SECONDS)


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
            write_progress(self.task_id, self.state)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                write_progress(self.task_id, self.state)
            except Exception:  # noqa: BLE001 - a store that cannot be written shows up as a stale heartbeat
                log.warning("task %s: progress not written", self.task_id, exc_info=True)

    def __enter__(self) -> _Reporter:
        write_progress(self.task_id, self.state)
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
    """Record a task and queue it. With TASKS_EAGER (tests) it runs at once, in this thread."""
    resolve(kind)  # refuse unknown kinds at submission, not in the worker
    task = Task.objects.create(
        kind=kind,
        label=label or kind.replace("_", " "),
        params=params or {},
        input_file=input_file,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _enqueue(task.pk)
    if getattr(settings, "TASKS_EAGER", False):
        task.refresh_from_db()
    return task


def _queue_backend() -> str:
    return str(settings.TASKS["default"]["BACKEND"])


def _enqueue(task_id: int) -> None:
    from healthlinks.tasks import jobs

    if getattr(settings, "TASKS_EAGER", False):
        jobs.run.using(backend="immediate").enqueue(task_id)
    elif _queue_backend().startswith("django_tasks_db."):
        jobs.run.enqueue(task_id)  # in the same transaction as the Task row: both are kept, or neither
    else:  # a queue outside the database: a worker must not be handed a task whose row is not committed yet
        transaction.on_commit(lambda: jobs.run.enqueue(task_id))


def rerun(task: Task, *, user: Any) -> Task:
    """A new task with the same kind, parameters and input file; the old one stays as the record of the failure."""
    new = submit(task.kind, user=user, params=task.params, input_file=task.input_file, label=task.label)
    Task.objects.filter(pk=new.pk).update(rerun_of=task)
    new.rerun_of = task
    return new


def run_queued(*, task_id: int) -> None:
    """The queue's part: claim the task (once, should the queue deliver it twice) and run it."""
    claimed = Task.objects.filter(pk=task_id, status=Task.Status.QUEUED).update(
        status=Task.Status.RUNNING, started_at=timezone.now(), worker=worker_id()
    )
    if claimed:
        execute(Task.objects.get(pk=task_id))


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
            status, message = (
                Task.Status.FAILED,
                (
                    f"{STORAGE_FULL_MESSAGE} Run it again once space is freed."
                    if storage_full(error)
                    else f"internal error ({type(error).__name__}): {error}"
                ),
            )
        final = {**reporter.state}
    if status == Task.Status.DONE and final.get("total"):
        final["done"] = final["total"]
    write_progress(task.pk, final)
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
        last = progress.get("heartbeat") or (task.started_at.timestamp() if task.started_at else now)
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


def _ran_here(since: Any) -> int:
    return Task.objects.filter(worker=worker_id(), started_at__gte=since).count()


_WORKER_MAIN = threading.Event()  # set while `run_worker` runs in this process's main thread


def in_worker_main_thread() -> bool:
    """Whether this code runs in the main thread of a worker process (`healthlinks worker`, and RQ's work horse
    forked from it), where nothing else runs meanwhile: not in a web request (eager tasks), not in the
    development server's worker thread."""
    return _WORKER_MAIN.is_set() and threading.current_thread() is threading.main_thread()


def run_worker(*, poll: float = 1.0, once: bool = False, stop: threading.Event | None = None) -> int:
    """Run queued tasks until stopped (`stop`, or SIGTERM in the worker command), or until the queue is empty
    (`once`). Returns the number of this process's tasks run."""
    since = timezone.now()
    reap_interrupted()
    main = threading.current_thread() is threading.main_thread()
    if main:
        _WORKER_MAIN.set()
    try:
        if _queue_backend().startswith("django_tasks_rq."):
            _rq_work(once=once, stop=stop)
        else:
            _database_work(poll=poll, once=once, stop=stop)
    finally:
        if main:
            _WORKER_MAIN.clear()
    return _ran_here(since)


def _database_work(*, poll: float, once: bool, stop: threading.Event | None) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=poll,
        batch=once,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id()[:64],
        excluded_queue_names=[],
    )
    if once:
        _database_drain(worker)
        return
    if stop is not None:

        def watch() -> None:
            stop.wait()
            worker.running = False

        threading.Thread(target=watch, name="healthlinks-worker-stop", daemon=True).start()
    worker.run()


def _database_drain(worker: Any) -> None:
    """Run the tasks queued now, one after the other, then return (`worker --once`, and the tests: unlike the
    worker's loop, this keeps the connection it is given, which may be inside a transaction)."""
    from django_tasks_db.models import DBTaskResult

    while True:
        with transaction.atomic():
            result = DBTaskResult.objects.ready().filter(backend_name="default").get_locked()
            if result is None:
                return
            result.claim(worker.worker_id)
        worker.run_task(result)


def _rq_work(*, once: bool, stop: threading.Event | None) -> None:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    if once:  # in this process, as the tests and `worker --once` want
        SimpleWorker(
            [django_rq.get_queue("default", job_class=Job)], connection=django_rq.get_connection(), job_class=Job
        ).work(burst=True)
        return
    worker = django_rq.get_worker("default", job_class=Job)
    worker.work(with_scheduler=False)


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
        # the file itself, not only its name: a link to a file that is not (or no longer) there answers Not Found
        "has_output": task.status == Task.Status.DONE and output_path(task) is not None,
        "created_at": task.created_at.isoformat(),
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
        "elapsed_seconds": round(((task.finished_at or timezone.now()) - task.started_at) / timedelta(seconds=1), 1)
        if task.started_at
        else None,
    }


def latest_reports(user: Any, partnership_slug: str) -> dict[str, dict[str, Any]]:
    """The user's latest report of one partnership in each format ("pdf", "html"): its task, whether it is still
    being made, and whether its file is there to download. A format never asked for is missing."""
    found: dict[str, dict[str, Any]] = {}
    for task in visible_tasks(user).filter(kind="report").order_by("-created_at", "-pk")[:50]:
        params = task.params or {}
        if params.get("scope") != {"partnership": partnership_slug}:
            continue
        fmt = "html" if params.get("format") == "html" else "pdf"
        if fmt in found:
            continue
        ready = task.status == Task.Status.DONE and output_path(task) is not None
        pending = task.status in (Task.Status.QUEUED, Task.Status.RUNNING)
        found[fmt] = {"task": task, "ready": ready, "pending": pending}
    return found


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
