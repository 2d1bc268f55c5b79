"""Shared by the benchmark scripts: bench/results.json holds every measurement, merged by key."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


def write_results(records: Iterable[dict[str, Any]], keys: tuple[str, ...] = ("scale", "analysis", "mode")) -> Path:
    """Replace the records with the same keys, keep the others; note the machine they were measured on."""
    old: list[dict[str, Any]] = []
    if RESULTS.exists():
        old = json.loads(RESULTS.read_text()).get("records", [])
    new = list(records)
    fresh = {tuple(r.get(k) for k in keys) for r in new}
    kept = [r for r in old if tuple(r.get(k) for k in keys) not in fresh]
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": _cpus()}
    RESULTS.write_text(json.dumps({"machine": machine, "records": kept + new}, indent=1) + "\n")
    return RESULTS


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
