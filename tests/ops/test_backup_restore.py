"""Backup → restore into an empty database reproduces every row of every model (history included) and the
uploaded files; SQLite → SQLite always, and → PostgreSQL → SQLite in a scratch database the test creates and drops
on the PostgreSQL server of 127.0.0.1:5432 (HEALTHLINKS_BACKUP_TEST_SERVER names another server; skipped, saying
so, when no server answers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from healthlinks.network.models import Person, PersonalData
from healthlinks.network.services import person_save
from healthlinks.ops.backup import RestoreRefused, backup, database_rows, restore
from tests.security.world import build_world

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DUMP = "import json,sys,django;django.setup();from healthlinks.ops.backup import database_rows;"
DUMP += "json.dump(database_rows(),open(sys.argv[1],'w'))"


def _env(var: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHLINKS_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="healthlinks.settings", HEALTHLINKS_VAR_DIR=str(var))
    env["HEALTHLINKS_DATABASE_URL"] = url
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "healthlinks"), *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )


def _rows_of(env: dict[str, str], out: Path) -> dict[str, list[dict]]:
    done = subprocess.run(
        [sys.executable, "-c", DUMP, str(out)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def _assert_same(expected: dict[str, list[dict]], got: dict[str, list[dict]]) -> None:
    assert sorted(got) == sorted(expected)
    for label, rows in expected.items():
        assert got[label] == rows, f"{label}: rows differ after restore"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "uploads").mkdir(parents=True)
    (tmp_path / "media" / "uploads" / "interview 1.txt").write_text("an uploaded transcript ✓")
    w = build_world()
    person = Person.objects.get(pseudo_id=w["ids"]["person"])
    person_save(by=w["users"]["coordinator"], person=person, grade="Band 6", consent_date=date(2020, 5, 1))
    return w


def _restore_check(backup_file: Path, expected: dict, var: Path, url: str) -> dict[str, str]:
    env = _env(var, url)
    done = _cli(env, "restore", str(backup_file), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout
    _assert_same(expected, _rows_of(env, var / "rows.json"))
    assert (var / "media" / "uploads" / "interview 1.txt").read_text() == "an uploaded transcript ✓"
    again = _cli(env, "restore", str(backup_file), "--quiet")
    assert again.returncode == 1 and "the database is not empty" in again.stderr
    return env


def test_backup_then_restore_into_an_empty_sqlite_database_reproduces_every_row(world, tmp_path):
    result = backup(tmp_path / "hl.zip")
    expected = database_rows()
    # The world is there, with its history: the comparison covers what matters.
    assert len(expected["network.personaldata"]) == PersonalData.objects.count() >= 2
    assert len(expected["network.historicalperson"]) >= 3
    assert expected["auth.permission"] and expected["contenttypes.contenttype"]
    # the uploaded transcript, and the evidence file of the world's readiness check
    assert result.rows == sum(len(v) for v in expected.values()) and result.files == 2
    with zipfile.ZipFile(tmp_path / "hl.zip") as z:
        manifest = json.loads(z.read("manifest.json"))
    assert {e["model"] for e in manifest["models"]} == set(expected)
    assert all(e["rows"] == len(expected[e["model"]]) for e in manifest["models"])
    # the source is the suite's database: SQLite in one CI pass, PostgreSQL (restored into SQLite) in the other
    assert manifest["database"] == connection.vendor and manifest["versions"]["django"].startswith("5.2")
    order = [e["model"] for e in manifest["models"]]
    assert order.index("registry.partnership") < order.index("network.stay")  # dependency order
    target = tmp_path / "target"
    _restore_check(tmp_path / "hl.zip", expected, target, f"sqlite:///{target / 'restored.sqlite3'}")


@pytest.fixture
def scratch_postgresql() -> Iterator[str]:
    """A new, empty database on the PostgreSQL server, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    server = os.environ.get("HEALTHLINKS_BACKUP_TEST_SERVER", "postgresql://postgres@127.0.0.1:5432")
    name = f"hl_backup_test_{os.getpid()}"
    try:
        admin = psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server answers at {server}: {error}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_to_postgresql_and_back(world, tmp_path, scratch_postgresql):
    url = scratch_postgresql
    backup(tmp_path / "from-source.zip")
    expected = database_rows()
    pg_env = _restore_check(tmp_path / "from-source.zip", expected, tmp_path / "pg", url)
    done = _cli(pg_env, "backup", str(tmp_path / "from-pg.zip"), "--quiet")
    assert done.returncode == 0, done.stderr
    back = tmp_path / "back"
    _restore_check(tmp_path / "from-pg.zip", expected, back, f"sqlite:///{back / 'back.sqlite3'}")


def test_restore_refuses_a_database_with_data_and_a_file_that_is_no_backup(world, tmp_path):
    backup(tmp_path / "hl.zip")
    with pytest.raises(RestoreRefused, match="the database is not empty"):
        restore(tmp_path / "hl.zip", migrate=False)
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(RestoreRefused, match="not a zip file"):
        restore(tmp_path / "junk.zip", migrate=False)
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(RestoreRefused, match="no manifest.json"):
        restore(tmp_path / "other.zip", migrate=False)
