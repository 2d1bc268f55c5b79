"""Backup and restore of the whole database (history tables included) and uploaded files, in a database-neutral
format, so a backup taken from SQLite restores into PostgreSQL and back.

A backup is a zip file:
  manifest.json                 format, versions, database vendor, and per model: label, table, file, row count
  data/<app_label>.<model>.jsonl  one JSON object per row ({"model", "pk", "fields"}, Django's serializer format),
                                models in foreign-key dependency order, written in chunks (constant memory)
  media/<path>                  the files under MEDIA_ROOT

Every model Django knows is included, enumerated at run time (apps.get_models(include_auto_created=True): models
added later are picked up, many-to-many tables and simple_history's historical tables included), except
sessions. Primary keys are kept, so foreign keys need no mapping; PostgreSQL sequences are reset after a
restore. Restore runs the migrations, refuses a database that already holds data (content types and
permissions, which migrations create, are replaced by the backup's), and loads everything in one transaction.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction

FORMAT = "healthlinks-backup"
FORMAT_VERSION = 1
CHUNK = 2000
EXCLUDED = {"sessions.session"}
# Rows that `migrate` itself creates (content types, permissions, and the reference code lists that
# reference.apps loads after every migrate): replaced by the backup's on restore, ignored by the emptiness check.
AUTO_CREATED_MODELS = {"auth.permission"}
AUTO_CREATED_APPS = {"contenttypes", "reference"}


def _auto_created(label: str) -> bool:
    return label in AUTO_CREATED_MODELS or label.split(".")[0] in AUTO_CREATED_APPS


Progress = Callable[[str, int, int], None]


class Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but lossless: datetimes and times keep their microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


class RestoreRefused(Exception):
    """The backup cannot be restored here (database not empty, file not a backup, unknown models)."""


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def backup_models() -> list[type[models.Model]]:
    """Every concrete, managed model with a table, parents before the models that point to them."""
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and _label(m) not in EXCLUDED
    ]
    return _dependency_order(found)


def _dependency_order(found: list[type[models.Model]]) -> list[type[models.Model]]:
    by_label = {_label(m): m for m in found}
    deps: dict[str, set[str]] = {}
    for label, model in by_label.items():
        deps[label] = {
            _label(f.related_model)
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is not None and _label(f.related_model) in by_label
        } - {label}
    ordered: list[str] = []
    done: set[str] = set()
    visiting: set[str] = set()

    def visit(label: str) -> None:
        if label in done or label in visiting:  # a cycle: FKs are deferred to commit, so any order loads
            return
        visiting.add(label)
        for dep in sorted(deps[label]):
            visit(dep)
        visiting.discard(label)
        done.add(label)
        ordered.append(label)

    for label in sorted(by_label):
        visit(label)
    return [by_label[label] for label in ordered]


def _rows(model: type[models.Model]) -> Iterator[dict[str, Any]]:
    """Rows in primary-key order, serialized chunk by chunk. Many-to-many values are left out: their tables are
    backed up as models of their own."""
    fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    qs = model._base_manager.order_by("pk")
    chunk: list[models.Model] = []
    for obj in qs.iterator(chunk_size=CHUNK):
        chunk.append(obj)
        if len(chunk) >= CHUNK:
            yield from serializers.serialize("python", chunk, fields=fields)
            chunk = []
    if chunk:
        yield from serializers.serialize("python", chunk, fields=fields)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("healthlinks", "django", "django-simple-history"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def _migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


@dataclass(frozen=True)
class BackupResult:
    path: Path
    models: int
    rows: int
    files: int

    def __str__(self) -> str:
        return f"backup written to {self.path}: {self.rows} rows of {self.models} tables, {self.files} files"


def backup(path: str | Path, *, progress: Progress | None = None) -> BackupResult:
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    entries: list[dict[str, Any]] = []
    media_root = Path(settings.MEDIA_ROOT) if settings.MEDIA_ROOT else None
    files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root and media_root.is_dir() else []
    model_list = backup_models()
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        # One read transaction: a consistent snapshot on PostgreSQL (REPEATABLE READ is not needed for a backup
        # taken while nothing writes; with writes going on, rows are as of each table's read).
        with transaction.atomic():
            for i, model in enumerate(model_list, 1):
                name = f"data/{_label(model)}.jsonl"
                count = 0
                with z.open(name, "w", force_zip64=True) as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
                    for row in _rows(model):
                        out.write(json.dumps(row, cls=Encoder, ensure_ascii=False, sort_keys=True))
                        out.write("\n")
                        count += 1
                entries.append({"model": _label(model), "table": model._meta.db_table, "file": name, "rows": count})
                if progress:
                    progress("backup", i, len(model_list))
        for file in files:
            z.write(file, "media/" + file.relative_to(media_root).as_posix())  # type: ignore[arg-type]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "database": connection.vendor,
            "versions": _versions(),
            "migrations": _migrations(),
            "models": entries,
            "media_files": len(files),
        }
        z.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)  # a backup file exists only once complete
    return BackupResult(path, len(entries), sum(e["rows"] for e in entries), len(files))


def read_manifest(z: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(z.read("manifest.json"))
    except KeyError:
        raise RestoreRefused("not a Healthlinks backup: no manifest.json in the zip file") from None
    if manifest.get("format") != FORMAT:
        raise RestoreRefused("not a Healthlinks backup: manifest.json has another format")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise RestoreRefused(f"backup format {manifest['format_version']} is newer than this Healthlinks reads")
    return manifest


def non_empty_tables() -> list[str]:
    """Models holding rows, other than what migrations create and sessions."""
    found = []
    for model in backup_models():
        if not _auto_created(_label(model)) and model._base_manager.exists():
            found.append(_label(model))
    return found


@dataclass(frozen=True)
class RestoreResult:
    models: int
    rows: int
    files: int

    def __str__(self) -> str:
        return f"restored {self.rows} rows of {self.models} tables and {self.files} files"


def _objects(model: type[models.Model], lines: Iterable[str]) -> Iterator[models.Model]:
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            for obj in serializers.deserialize("python", [row], ignorenonexistent=False):
                yield obj.object
        except Exception as exc:  # noqa: BLE001  (reported with its place, nothing is written)
            raise RestoreRefused(f"{_label(model)}, line {line_no}: {exc}") from exc


def _insert(model: type[models.Model], objs: list[models.Model]) -> int:
    """Insert rows as they are: raw, so auto_now fields keep their stored values and no signal (history) fires."""
    fields = list(model._meta.local_concrete_fields)
    size = max(1, connection.ops.bulk_batch_size(fields, objs))
    for start in range(0, len(objs), size):
        model._base_manager._insert(objs[start : start + size], fields=fields, raw=True)  # type: ignore[attr-defined]
    return len(objs)


def restore(path: str | Path, *, migrate: bool = True, progress: Progress | None = None) -> RestoreResult:
    path = Path(path)
    if not path.is_file():
        raise RestoreRefused(f"{path}: no such file")
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RestoreRefused(f"{path}: not a zip file") from None
    with z:
        manifest = read_manifest(z)
        if migrate:
            from django.core.management import call_command

            call_command("migrate", interactive=False, verbosity=0)
        busy = non_empty_tables()
        if busy:
            raise RestoreRefused(
                "the database is not empty (" + ", ".join(busy[:5]) + (", …" if len(busy) > 5 else "") + "): "
                "restore only into an empty database (a new database, or a new SQLite file)"
            )
        known = {_label(m): m for m in backup_models()} | {
            _label(m): m for m in apps.get_models(include_auto_created=True)
        }
        unknown = [e["model"] for e in manifest["models"] if e["model"] not in known]
        if unknown:
            raise RestoreRefused(f"the backup holds tables this version does not know: {', '.join(unknown)}")
        media_root = Path(settings.MEDIA_ROOT)
        media = [n for n in z.namelist() if n.startswith("media/") and not n.endswith("/")]
        clashes = [n for n in media if (media_root / n[len("media/") :]).exists()]
        if clashes:
            raise RestoreRefused(f"uploaded files already exist in {media_root}: {', '.join(clashes[:5])}")
        rows = 0
        loaded = []
        with transaction.atomic():
            from django.contrib.contenttypes.models import ContentType

            for model in reversed(backup_models()):  # dependants first; raw: no signal fires
                if _auto_created(_label(model)):
                    model._base_manager.all()._raw_delete(connection.alias)
            ContentType.objects.clear_cache()
            for i, entry in enumerate(manifest["models"], 1):
                model = known[entry["model"]]
                with z.open(entry["file"]) as raw:
                    batch: list[models.Model] = []
                    count = 0
                    for obj in _objects(model, io.TextIOWrapper(raw, encoding="utf-8")):
                        batch.append(obj)
                        if len(batch) >= CHUNK:
                            count += _insert(model, batch)
                            batch = []
                    if batch:
                        count += _insert(model, batch)
                if count != entry["rows"]:
                    raise RestoreRefused(f"{entry['file']}: {count} rows, the manifest says {entry['rows']}")
                rows += count
                loaded.append(model)
                if progress:
                    progress("restore", i, len(manifest["models"]))
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                    cursor.execute(sql)
            ContentType.objects.clear_cache()
        for name in media:
            target = media_root / name[len("media/") :]
            target.parent.mkdir(parents=True, exist_ok=True)
            with z.open(name) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
    return RestoreResult(len(loaded), rows, len(media))


def database_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every backed-up model, as the backup would write it (for comparing two databases)."""
    return {
        _label(m): [json.loads(json.dumps(r, cls=Encoder, sort_keys=True)) for r in _rows(m)] for m in backup_models()
    }
