"""Process helpers for the fault tests (test_faults.py): scratch databases read straight from the test (no Django
in this process), the production server (gunicorn) and the task worker as subprocesses in process groups of their
own, a throwaway PostgreSQL cluster, a small signed-in HTTP client, and large generated IATI files."""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import os
import pwd
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.interchange.iati.xmlgen import REAL_FILES

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ADMIN, PASSWORD = "faults-admin", "Correct-Horse-9"
DEADLINE = 240.0  # generous: a CI run may share the two cores

# migrate, a hub administrator, and (optional argument) a small IATI file whose rows must survive every fault
PREPARE = f"""
import sys
from healthlinks.cli import main
assert main(["migrate"]) == 0
assert main(["createuser", "{ADMIN}", "--role", "hub_admin", "--password", "{PASSWORD}"]) == 0
if len(sys.argv) > 1:
    assert main(["import", "iati", sys.argv[1]]) in (0, 3)  # 3: imported, some with warnings (real files)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], what: str, deadline: float = DEADLINE, every: float = 0.05) -> Any:
    """Poll until `condition()` is true (its value); the deadline only keeps a stuck run from hanging."""
    end = time.monotonic() + deadline
    while not (value := condition()):
        assert time.monotonic() < end, f"gave up waiting: {what}"
        time.sleep(every)
    return value


def env_for(var_dir: Path, url: str, **extra: str) -> dict[str, str]:
    """Production settings (static files aside: fault_settings) over plain HTTP on 127.0.0.1; large uploads are
    spooled to `var_dir`/spool."""
    (var_dir / "spool").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHLINKS_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.ops.fault_settings",
        PYTHONPATH=os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)])),
        HEALTHLINKS_PRODUCTION="1",
        HEALTHLINKS_SECRET_KEY=secrets.token_urlsafe(50),
        HEALTHLINKS_ALLOWED_HOSTS="127.0.0.1",
        HEALTHLINKS_SSL_REDIRECT="0",
        HEALTHLINKS_SECURE_COOKIES="0",
        HEALTHLINKS_VAR_DIR=str(var_dir),
        HEALTHLINKS_DATABASE_URL=url,
        HEALTHLINKS_UPLOAD_TEMP_DIR=str(var_dir / "spool"),
    )
    env.update(extra)
    return env


def python(env: dict[str, str], code: str, *args: str) -> str:
    """Run `code` in a fresh interpreter with Django set up for `env`; its standard output."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django\ndjango.setup()\n" + code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def prepare_async(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """PREPARE in the background (two databases can be migrated at once): `finish` it."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", PREPARE, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> None:
    out, _ = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, out


# -- databases ------------------------------------------------------------------------------------------------------
class Database:
    """A database the server and the worker use; the test counts its rows and watches its writers directly."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgres")
        self.path = "" if self.postgres else url.removeprefix("sqlite:///")

    def connect(self) -> Any:
        if self.postgres:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        return sqlite3.connect(self.path, timeout=20, isolation_level=None)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        sql = sql.replace("?", "%s") if self.postgres else sql
        with contextlib.closing(self.connect()) as db:
            return list(db.execute(sql, params).fetchall())

    def scalar(self, sql: str, *params: Any) -> Any:
        found = self.rows(sql, *params)
        return found[0][0] if found else None

    def tables(self) -> list[str]:
        if self.postgres:
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'"
        return sorted(name for (name,) in self.rows(sql))

    def counts(self) -> dict[str, int]:
        """Rows per table, every table."""
        with contextlib.closing(self.connect()) as db:
            return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in self.tables()}  # noqa: S608

    def writing(self) -> bool:
        """True while another connection holds an open write transaction: on SQLite the write lock is taken (a
        BEGIN IMMEDIATE of ours fails at once), on PostgreSQL a backend has a transaction id (it has written)."""
        if self.postgres:
            return bool(
                self.scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_type = 'client backend' AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                )
            )
        with contextlib.closing(sqlite3.connect(self.path, timeout=0, isolation_level=None)) as db:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return True
            db.execute("ROLLBACK")
            return False


class Databases:
    """Scratch databases beside the one HEALTHLINKS_DATABASE_URL names: SQLite files in `folder`, or PostgreSQL
    databases on the same server (created from a template, dropped at the end)."""

    def __init__(self, folder: Path, base_url: str = "") -> None:
        self.folder = folder
        self.base_url = base_url if base_url.startswith("postgres") else ""
        self.prefix = f"hl_faults_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []

    def new(self, name: str) -> str:
        """The URL of a new, empty database."""
        if not self.base_url:
            return f"sqlite:///{self.folder / f'{name}.sqlite3'}"
        self._admin(f'CREATE DATABASE "{self.prefix}_{name}"')
        self.created.append(f"{self.prefix}_{name}")
        return self.base_url.rsplit("/", 1)[0] + f"/{self.prefix}_{name}"

    def copy(self, template: Database, name: str) -> Database:
        if not self.base_url:
            target = Database(self.new(name))
            with contextlib.closing(template.connect()) as src, contextlib.closing(target.connect()) as dst:
                src.backup(dst)
            return target
        self._admin(f'CREATE DATABASE "{self.prefix}_{name}" TEMPLATE "{template.url.rsplit("/", 1)[1]}"')
        self.created.append(f"{self.prefix}_{name}")
        return Database(self.base_url.rsplit("/", 1)[0] + f"/{self.prefix}_{name}")

    def drop(self) -> None:
        for name in reversed(self.created):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.base_url, autocommit=True) as db:
            db.execute(sql)  # type: ignore[arg-type]


# -- processes ------------------------------------------------------------------------------------------------------
class Group:
    """A subprocess leading a process group of its own (its children are killed with it)."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.command, self.env, self.log = command, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Group:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                self.command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL to the whole group, and reap the leader (a zombie would still look alive to the task reaper)."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


class Server(Group):
    """gunicorn with the production command line of `healthlinks serve --production` (ops/production.py) on a free
    port; static files aside (fault_settings)."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        command = [str(BIN / "gunicorn"), "healthlinks.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), "--timeout", "120", "--access-logfile", "-"]
        super().__init__(command, env, log)

    def start(self) -> Server:
        super().start()
        client = Client(self.port)

        def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            try:
                return client.get("/accounts/login/")[0] == 200
            except OSError:
                return False

        wait_for(up, "gunicorn answers", every=0.2)
        return self


def worker(env: dict[str, str], log: Path) -> Group:
    return Group([str(BIN / "healthlinks"), "worker", "--poll", "0.2"], env, log).start()


def read_offset(group: int, inside: Path) -> int:
    """How far a process of the process group `group` has read a file under `inside`: the largest offset of such an
    open file (/proc/PID/fdinfo), 0 when none is open. An import reads its file as it goes, so this is its progress."""
    furthest = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2]) != group:
                continue
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(f"{inside}/"):
                    furthest = max(furthest, int(Path(f"/proc/{pid}/fdinfo/{fd}").read_text().split()[1]))
        except (OSError, ValueError, IndexError):  # the process or the file went away meanwhile
            continue
    return furthest


# -- HTTP -------------------------------------------------------------------------------------------------------------
class Client:
    """Requests as a browser makes them, one connection each; cookies kept (session, CSRF)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 120
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            head = {"Host": "127.0.0.1", **(headers or {})}
            if self.cookies:
                head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body or None, headers=head)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie(header)
                self.cookies.update({k: m.value for k, m in jar.items()})
            return response.status, text
        finally:
            connection.close()

    def get(self, path: str, timeout: float = 120) -> tuple[int, str]:
        return self.request("GET", path, timeout=timeout)

    def post(
        self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None
    ) -> tuple[int, str]:
        """A multipart form, with the CSRF token."""
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **fields}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, content) in (files or {}).items():
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self) -> Client:
        self.get("/accounts/login/")  # the CSRF cookie
        status, text = self.post("/accounts/login/", {"username": ADMIN, "password": PASSWORD})
        assert status == 302 and "sessionid" in self.cookies, (status, text[:500])
        return self


# -- a throwaway PostgreSQL cluster -----------------------------------------------------------------------------------
def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]), reverse=True)
    if found:
        return found[0].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class Cluster:
    """initdb into a temporary directory (in /dev/shm when there is one: removing a data directory from a disk
    mounted with `discard` takes seconds), trust authentication, a free port, no fsync; run as the postgres user
    when we are root (PostgreSQL refuses to run as root). Skips the test when the binaries or that user are missing."""

    def __init__(self) -> None:
        found = postgres_bin()
        if found is None:
            pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.bin = found
        self.as_user: list[str] = []
        where = "/dev/shm" if os.path.isdir("/dev/shm") else None
        self.dir = Path(tempfile.mkdtemp(prefix="hl-faults-pg-", dir=where))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.dir)
                pytest.skip("running as root and there is no postgres user to run a PostgreSQL cluster as")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self.running = False

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        done = subprocess.run(  # noqa: S603
            [*self.as_user, *command], capture_output=True, text=True, timeout=DEADLINE, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", *args)

    def start(self) -> Cluster:
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "-N")
        self.running = True
        options = f"-p {self.port} -k {self.dir} -c fsync=off -c listen_addresses=127.0.0.1"
        self.pg_ctl("-o", options, "-l", str(self.dir / "log"), "start")
        return self

    def restart(self) -> None:
        """A fast restart: sessions are ended, open transactions rolled back, new connections refused meanwhile."""
        self.pg_ctl("-m", "fast", "-l", str(self.dir / "log"), "restart")

    def stop(self) -> None:
        if self.running:
            with contextlib.suppress(AssertionError):
                self.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


# -- files ------------------------------------------------------------------------------------------------------------
def iati_file(path: Path, activities: int, tag: str) -> Path:
    """Real IATI activities (tests/fixtures/external/iati) repeated in turn, each copy with an identifier of its own
    (`<original>-<tag>000001`, ...); about 12 kB an activity."""
    from lxml import etree

    placeholder = "@@FAULTS@@"
    parts = []
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True, load_dtd=False)
    for source in REAL_FILES:
        for activity in etree.parse(str(source), parser).getroot().iterfind("iati-activity"):
            identifier = activity.find("iati-identifier")
            original = " ".join((identifier.text or "").split())
            identifier.text = placeholder
            before, after = etree.tostring(activity, encoding="utf-8").split(placeholder.encode())
            parts.append((original, before, after))
    with path.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n')
        for i in range(activities):
            original, before, after = parts[i % len(parts)]
            out.write(before + f"{original}-{tag}{i + 1:06d}".encode() + after + b"\n")
        out.write(b"</iati-activities>\n")
    return path
