"""Faults with real processes (docs/reliability.md, "Faults"): the server killed in the middle of an import, the
task worker killed in the middle of a task, PostgreSQL restarted with requests in flight, the upload directory full.
After each: no record lost, nothing half-imported, the interrupted task failed and re-runnable, clear answers.

The server is gunicorn with the production settings (fault_settings), on a scratch database: a SQLite file, or a
PostgreSQL database beside the one HEALTHLINKS_DATABASE_URL names. The PostgreSQL restart uses a throwaway cluster of
its own, never the shared server. No result depends on a clock: a fault strikes once the database shows the import
writing and /proc shows it has read KILL_AT of its file; deadlines only keep a stuck run from hanging. Run with -s
for the figures of docs/reliability.md."""

from __future__ import annotations

import errno
import http.client
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core.cache.backends.filebased import FileBasedCache

from healthlinks.interchange.iati.importer import CHUNK_SIZE
from healthlinks.ops.middleware import STORAGE_FULL_MESSAGE
from tests.ops.faults import (
    ADMIN,
    Client,
    Cluster,
    Database,
    Databases,
    Server,
    env_for,
    finish,
    iati_file,
    prepare_async,
    python,
    read_offset,
    wait_for,
    worker,
)

BIG = 800  # activities, about 9 MB, written in two chunks (importer.CHUNK_SIZE)
KILL_AT = 0.75  # the fault strikes once the import has written and read this share of its file: past its first
# chunk (which a missing transaction would have committed), well before its end
MEDIUM = 250  # about 3 MB: above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), so the upload is spooled to disk
PAGES = ["/", "/partnerships/", "/projects/", "/institutions/", "/api/v1/partnerships/", "/api/v1/institutions/"]

SUBMIT = """
import sys
from healthlinks.accounts.models import User
from healthlinks.tasks.services import submit
admin = User.objects.get(username=sys.argv[1])
print(submit("iati_import", user=admin, input_file=sys.argv[2], label="big IATI file").pk)
"""
RERUN = """
import sys
from healthlinks.tasks.models import Task
from healthlinks.tasks.services import rerun
failed = Task.objects.get(pk=int(sys.argv[1]))
print(rerun(failed, user=failed.created_by).pk)
"""


@dataclass
class World:
    dbs: Databases
    template: Database  # migrated, a hub administrator, and the 12 projects of a small earlier import
    big: Path
    medium: Path
    cluster: Cluster | None
    cluster_db: Database | None
    cluster_skip: str  # why there is no cluster: binaries or user missing (a skip) ...
    cluster_error: str  # ... or it would not start (a failure of that test alone)

    def copy(self, name: str) -> Database:
        return self.dbs.copy(self.template, name)


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The template database, and the throwaway PostgreSQL cluster when its test is selected, migrated at once."""
    assert CHUNK_SIZE < KILL_AT * BIG < BIG - 100
    folder = tmp_path_factory.mktemp("faults")
    big, medium = iati_file(folder / "big.xml", BIG, "BIG"), iati_file(folder / "medium.xml", MEDIUM, "MED")
    dbs = Databases(folder, os.environ.get("HEALTHLINKS_DATABASE_URL", ""))
    request.addfinalizer(dbs.drop)
    template = Database(dbs.new("template"))
    preparing = [prepare_async(env_for(folder, template.url), str(iati_file(folder / "old.xml", 12, "OLD")))]
    cluster, cluster_db, skip, error = None, None, "", ""
    if any(item.name.startswith("test_postgres_restart") for item in request.session.items):
        try:
            cluster = Cluster()
            request.addfinalizer(cluster.stop)
            cluster.start()
            with psycopg.connect(cluster.url(), autocommit=True) as db:
                db.execute("CREATE DATABASE healthlinks")
            cluster_db = Database(cluster.url("healthlinks"))
            preparing.append(prepare_async(env_for(folder, cluster_db.url)))
        except pytest.skip.Exception as exc:
            skip = str(exc.msg)
        except (AssertionError, psycopg.Error) as exc:
            error = f"the throwaway PostgreSQL cluster did not start: {exc}"
    finish(preparing[0])
    if len(preparing) > 1:
        try:
            finish(preparing[1])
        except AssertionError as exc:
            error = f"the throwaway PostgreSQL cluster could not be migrated: {exc}"
    return World(dbs, template, big, medium, cluster, cluster_db, skip, error)


class Upload(threading.Thread):
    """POST a file to an import page in the background; the answer, or the error when there was none."""

    def __init__(self, client: Client, path: Path) -> None:
        super().__init__(daemon=True)
        self.client, self.path = client, path
        self.answer: tuple[int, str] | None = None
        self.error: Exception | None = None
        self.start()

    def run(self) -> None:
        try:
            self.answer = upload(self.client, self.path)
        except (OSError, http.client.HTTPException) as exc:
            self.error = exc


def upload(client: Client, path: Path) -> tuple[int, str]:
    return client.post("/import/iati/", {}, {"file": (path.name, path.read_bytes())})


def read_most(group: int, folder: Path, path: Path) -> bool:
    return read_offset(group, folder) > KILL_AT * path.stat().st_size


def imported(n: int) -> str:
    # the real activities repeated: those naming organisations of unknown country import with warnings
    return f"0 skipped ({n} new"


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int | None]]:
    return {table: (count, after.get(table)) for table, count in before.items() if after.get(table) != count}


def test_server_killed_mid_import_keeps_nothing_of_it_and_the_import_runs_again(world: World, tmp_path: Path) -> None:
    db = world.copy("killed")
    server = Server(env_for(tmp_path, db.url), tmp_path / "server.log").start()
    try:
        client = Client(server.port).login()
        before = db.counts()
        assert before["projects_project"] == 12
        posting = Upload(client, world.big)
        wait_for(db.writing, "the import writes")
        wait_for(lambda: read_most(server.pid, tmp_path / "spool", world.big), "the import reads its file")
        assert posting.is_alive(), f"the import ended before the kill: {posting.answer}"
        server.kill()
        posting.join(timeout=60)
        assert posting.answer is None and posting.error is not None  # the server died before answering
        assert changed(before, db.counts()) == {}  # every table as before: nothing lost, nothing half-imported

        restart = time.monotonic()
        server.start()  # the same database, recovered as it is (SQLite: WAL; PostgreSQL: the aborted transaction)
        answering = time.monotonic()
        status, text = upload(client, world.big)  # the session survived: the same browser goes on
        assert status == 200 and imported(BIG) in text, text[-2000:]
        after = db.counts()
        assert after["projects_project"] == before["projects_project"] + BIG
        assert not {t for t, n in before.items() if after[t] < n}  # no table lost rows
        print(
            f"\nserver killed: answering {answering - restart:.1f} s after the restart; the import again:"
            f" {time.monotonic() - answering:.1f} s"
        )
    finally:
        server.stop()


def test_worker_killed_mid_task_is_marked_failed_and_its_rerun_imports_everything(world: World, tmp_path: Path) -> None:
    db = world.copy("worker")
    env = env_for(tmp_path, db.url)
    (tmp_path / "media" / "tasks" / "input").mkdir(parents=True)
    (tmp_path / "media" / "tasks" / "input" / "big.xml").write_bytes(world.big.read_bytes())
    task = int(python(env, SUBMIT, ADMIN, "tasks/input/big.xml"))
    before = db.counts()

    def status(pk: int) -> str:
        return str(db.scalar("SELECT status FROM tasks_task WHERE id = ?", pk))

    first = worker(env, tmp_path / "worker-1.log")
    try:
        wait_for(lambda: status(task) == "running", "the worker claims the task")
        store = FileBasedCache(str(tmp_path / "tasks"), {})  # the worker's progress, where the web server reads it
        wait_for(lambda: (store.get(f"task-progress:{task}") or {}).get("stage"), "progress reported")
        wait_for(db.writing, "the task writes")
        wait_for(lambda: read_most(first.pid, tmp_path / "media" / "tasks" / "input", world.big), "the task reads")
        assert status(task) == "running", "the task ended before the kill"
        first.kill()
    finally:
        first.stop()
    assert changed(before, db.counts()) == {}  # nothing of the task kept
    assert status(task) == "running"  # as the dead worker left it

    started = time.monotonic()
    second = worker(env, tmp_path / "worker-2.log")  # reaps at start: the dead worker's pid is gone on this host
    try:
        wait_for(lambda: status(task) == "failed", "the new worker marks the task failed")
        reaped = time.monotonic()
        message = str(db.scalar("SELECT message FROM tasks_task WHERE id = ?", task))
        assert message.startswith("interrupted: the worker stopped during "), message
        again = int(python(env, RERUN, str(task)))
        rerun = time.monotonic()
        wait_for(lambda: status(again) in ("done", "failed"), "the re-run ends", every=0.2)
        print(
            f"\nworker killed: marked failed {reaped - started:.1f} s after a new worker started;"
            f" the re-run: {time.monotonic() - rerun:.1f} s"
        )
        final, message, result = db.rows("SELECT status, message, result FROM tasks_task WHERE id = ?", again)[0]
        assert final == "done", message
        result = result if isinstance(result, dict) else json.loads(result)
        done = result["imported"] + result["imported_with_warnings"]
        assert (result["activities"], done, result["created"], result["skipped"]) == (BIG, BIG, BIG, 0)
        assert db.scalar("SELECT rerun_of_id FROM tasks_task WHERE id = ?", again) == task
    finally:
        second.stop()
    after = db.counts()
    assert after["projects_project"] == before["projects_project"] + BIG
    assert not {t for t, n in before.items() if after[t] < n}


class Stream:
    """Signed-in GETs of pages and API from a few threads until stopped: each request's start, end and outcome
    (the status, or the name of the error when there was no answer)."""

    def __init__(self, client: Client, threads: int = 2) -> None:
        self.client = client
        self.records: list[tuple[float, float, str, Any]] = []
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self, offset: int) -> None:
        n = offset
        while not self.halt.is_set():
            path = PAGES[n % len(PAGES)]
            n += 1
            start = time.monotonic()
            try:
                outcome: Any = self.client.get(path, timeout=60)[0]
            except TimeoutError:
                outcome = "timeout"
            except (OSError, http.client.HTTPException) as exc:
                outcome = type(exc).__name__
            self.records.append((start, time.monotonic(), path, outcome))
            self.halt.wait(0.05)

    def stop(self) -> None:
        self.halt.set()
        for thread in self.threads:
            thread.join(timeout=90)
            assert not thread.is_alive(), "a request hung"


def test_postgres_restart_with_requests_in_flight_is_survived_without_restarting_the_server(
    world: World, tmp_path: Path
) -> None:
    if world.cluster_error:
        pytest.fail(world.cluster_error)
    if world.cluster is None or world.cluster_db is None:
        pytest.skip(world.cluster_skip)
    cluster, db = world.cluster, world.cluster_db
    env = env_for(tmp_path, db.url, HEALTHLINKS_USER_RATE="100000/min")
    server = Server(env, tmp_path / "server.log", workers=2).start()
    try:
        client = Client(server.port).login()
        for path in PAGES:
            assert client.get(path)[0] == 200, path
        stream = Stream(client)  # flowing while the file is sent and read
        posting = Upload(client, world.big)
        wait_for(db.writing, "the import writes")
        wait_for(lambda: read_most(server.pid, tmp_path / "spool", world.big), "the import reads its file")
        assert posting.is_alive(), f"the import ended before the restart: {posting.answer}"
        down = time.monotonic()
        cluster.restart()
        up = time.monotonic()
        wait_for(lambda: sum(r[0] > up for r in stream.records) >= 10, "requests after the restart")
        stream.stop()
        posting.join(timeout=120)
        assert not posting.is_alive(), "the import hung"

        records = sorted(stream.records)
        assert not [r for r in records if r[3] == "timeout"], "requests hung past 60 s"
        earlier = [r for r in records if r[1] < down]
        assert earlier and all(r[3] == 200 for r in earlier)
        in_flight = [r for r in records if r[1] >= down and r[0] <= up]
        assert all(r[3] == 200 or isinstance(r[3], str) or r[3] >= 500 for r in in_flight), in_flight
        later = [r for r in records if r[0] > up]
        assert later and [r for r in later if r[3] != 200] == [], "requests failed after PostgreSQL was back"
        failed = [r for r in in_flight if r[3] != 200]
        print(
            f"\nPostgreSQL restart: {up - down:.1f} s; {len(records)} requests, {len(in_flight)} in flight during it,"
            f" {len(failed)} failed ({sorted({str(r[3]) for r in failed})}); import answer:"
            f" {posting.answer[0] if posting.answer else posting.error!r}"
        )

        projects = db.scalar("SELECT COUNT(*) FROM projects_project")
        assert projects in (0, BIG), f"half-imported: {projects} of {BIG} projects"

        # A restart with no request in flight: each gunicorn worker still holds a connection from before it.
        cluster.restart()
        outcomes = [client.get(path)[0] for path in PAGES * 2]
        assert outcomes == [200] * len(outcomes), outcomes
    finally:
        server.stop()


def _fill(path: Path) -> None:
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_full_upload_directory_is_answered_507_keeps_nothing_and_works_once_freed(world: World, tmp_path: Path) -> None:
    size = world.medium.stat().st_size
    assert 2_700_000 < size < 3_600_000, size  # spooled to disk (> 2.5 MB), and fits the 4 MB disk once freed
    spool = tmp_path / "spool"
    spool.mkdir()
    mounted = subprocess.run(  # noqa: S603
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(spool)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs as the upload directory: {mounted.stderr.strip()}")
    try:
        db = world.copy("full")
        server = Server(env_for(tmp_path, db.url, HEALTHLINKS_UPLOAD_TEMP_DIR=str(spool)), tmp_path / "server.log")
        server.start()
        try:
            client = Client(server.port).login()
            _fill(spool / "filler")
            before = db.counts()
            assert upload(client, world.medium) == (507, STORAGE_FULL_MESSAGE)
            # most of a larger body is still unsent when the disk is found full: it is read and dropped, so the
            # client gets the answer, not a reset connection
            assert upload(client, world.big) == (507, STORAGE_FULL_MESSAGE)
            assert changed(before, db.counts()) == {}
            assert os.listdir(spool) == ["filler"]  # the half-written spool files are gone

            (spool / "filler").unlink()
            status, text = upload(client, world.medium)
            assert status == 200 and imported(MEDIUM) in text, text[-2000:]
            assert db.scalar("SELECT COUNT(*) FROM projects_project") == before["projects_project"] + MEDIUM
            wait_for(lambda: os.listdir(spool) == [], "the spool file is deleted once the request is done")
        finally:
            server.stop()
    finally:
        subprocess.run(["umount", str(spool)], capture_output=True, check=False)  # noqa: S603, S607
