"""The task kinds: thin adapters from a Task's parameters to the services that do the work."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from healthlinks.tasks.models import Task
from healthlinks.tasks.services import Progress, TaskRejected, in_worker_main_thread, task_file_dir

ANALYSES = ("mobility", "network", "impact", "vfm", "typology")


def _media(path: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / path).resolve()
    if root not in full.parents or not full.is_file():
        raise TaskRejected(f"the input file {path!r} is missing")
    return full


def _save(task: Task, filename: str, content: bytes) -> str:
    """Write a task's output whole or not at all (a full disk leaves no truncated file to download)."""
    folder = task_file_dir(f"{task.pk}")
    part = folder / f".{filename}.part"
    try:
        part.write_bytes(content)
        part.replace(folder / filename)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return str((folder / filename).relative_to(settings.MEDIA_ROOT))


def iati_import(task: Task, progress: Progress) -> dict[str, Any]:
    """Import an uploaded IATI activity file; the result is the import report."""
    from healthlinks.interchange.iati.importer import import_iati

    source = _media(task.input_file)
    report = import_iati(
        str(source),
        user=task.created_by,
        strict=bool(task.params.get("strict")),
        name=task.label,
        progress=progress,
        # the collector is process-wide: paused only where nothing else runs meanwhile (a worker's main thread),
        # never in a web request or in the development server's worker thread
        pause_collector=in_worker_main_thread(),
    )
    if report.refused is not None:
        raise TaskRejected(str(report))
    counts = ("activities", "imported", "imported_with_warnings", "created", "updated", "unchanged")
    return {
        "message": str(report),
        **{name: getattr(report, name) for name in counts},
        "skipped": len(report.skipped),
        "warnings": report.warnings_total,
    }


def analysis(task: Task, progress: Progress) -> dict[str, Any]:
    """Run one analysis for a scope and keep its figures as a JSON file to download."""
    from healthlinks.analytics import selectors
    from healthlinks.analytics.scope import Scope
    from healthlinks.commandline import Operator

    name = task.params.get("analysis")
    if name not in ANALYSES:
        raise TaskRejected(f"analysis must be one of {', '.join(ANALYSES)}, not {name!r}")
    scope = Scope.from_params(task.params.get("scope") or {})
    who: Any = task.created_by or Operator()
    selector = {
        "mobility": "mobility_analysis",
        "network": "network_evolution",
        "impact": "collective_impact",
        "vfm": "value_for_money",
        "typology": "typology_analysis",
    }[name]
    run: Callable[..., dict[str, Any]] = getattr(selectors, selector)
    data = run(who, scope, progress=progress)
    progress("writing", 1, 1)
    output = _save(task, f"{name}.json", json.dumps(data, default=str, indent=1).encode())
    return {"output_file": output, "analysis": name}


def report(task: Task, progress: Progress) -> dict[str, Any]:
    """The HTML or PDF report of a partnership or a programme (a filtered set of partnerships)."""
    from healthlinks.web.reports import build_report

    fmt = task.params.get("format", "pdf")
    if fmt not in ("pdf", "html"):
        raise TaskRejected(f"format must be pdf or html, not {fmt!r}")
    content, filename = build_report(task.created_by, task.params.get("scope") or {}, fmt=fmt, progress=progress)
    return {"output_file": _save(task, filename, content), "bytes": len(content)}
