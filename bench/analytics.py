"""`make bench` (analytics part): each analysis and the dashboard, cold, warm and after one edited record, with peak
memory, beside three
other ways of computing the dashboard's core figures: pandas over `read_sql`, Django ORM aggregates, and the bare
DuckDB query on in-memory tables (the floor). All must give the same numbers.

    .venv/bin/python bench/analytics.py [--scales S,M] [--seed 1] [--database sqlite|postgresql]

Demo worlds are built once per scale and seed under var/bench/ (SQLite) or in a database hl_bench_<scale>_<seed>
(PostgreSQL on 127.0.0.1:5432) and reused. Every measurement runs in a fresh process, so "cold" includes the
extraction from the database and peak memory is that process's own. Results are merged into bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.common import write_results  # noqa: E402

VAR = ROOT / "var" / "bench"
ANALYSES = ("impact", "mobility", "network", "vfm", "typology")
# cold: nothing in memory or stored (as after a bulk import: every table changed); warm: the same request again;
# write: the first request after one record was edited (only the table written is extracted again)
MODES = ("cold", "warm", "write")
SELECTORS = {
    "impact": "collective_impact",
    "mobility": "mobility_analysis",
    "network": "network_evolution",
    "vfm": "value_for_money",
    "typology": "typology_analysis",
}


def database_url(kind: str, scale: str, seed: int) -> str:
    if kind == "postgresql":
        return f"postgres://postgres@127.0.0.1:5432/hl_bench_{scale.lower()}_{seed}"
    return f"sqlite:///{VAR / f'{scale}-{seed}.sqlite3'}"


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "HEALTHLINKS_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "healthlinks.settings"}


def ensure_world(kind: str, scale: str, seed: int) -> float | None:
    """Build the demo world unless a previous run finished it; returns the build time when it built one."""
    VAR.mkdir(parents=True, exist_ok=True)
    marker = VAR / f"{kind}-{scale}-{seed}.built"
    url = database_url(kind, scale, seed)
    healthlinks = str(Path(sys.executable).parent / "healthlinks")
    if marker.exists():  # built by earlier code: its schema brought up to date (nothing to do most times)
        subprocess.run([healthlinks, "migrate"], env=_env(url), check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        return None
    if kind == "postgresql":
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(VAR / f"{scale}-{seed}.sqlite3") + suffix).unlink(missing_ok=True)
    started = time.perf_counter()
    print(f"building the {scale} demo world (seed {seed}) in {url} ...", flush=True)
    subprocess.run([healthlinks, "migrate"], env=_env(url), check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    subprocess.run([healthlinks, "demo", "--scale", scale, "--seed", str(seed)], env=_env(url), check=True)  # noqa: S603
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"seconds": seconds, "url": url}))
    return seconds


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(kind: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import django

    django.setup()
    # a running server has its modules imported: "cold" is about the data (extraction included), not imports
    import duckdb  # noqa: F401
    import igraph  # noqa: F401
    import pyarrow  # noqa: F401
    import scipy.cluster.vq  # noqa: F401
    import statsmodels.api  # noqa: F401
    from django.core.cache import caches
    from django.db import connection

    from bench import baselines
    from healthlinks.analytics import engine, selectors
    from healthlinks.analytics.scope import Scope
    from healthlinks.commandline import Operator

    who = Operator()

    def forget() -> None:
        """As after a change of the data: no snapshot in this process, no stored result (analytics.store) for any
        process. Without the second, an analysis measured earlier on the same world is read back, not computed.
        Each cold run follows one run and `forget()`: in a running server templates are compiled, the map's
        shapes read and lazy imports done before the data change; cold is about the data."""
        engine.clear()
        caches["analytics"].clear()

    def rewrite() -> None:
        """A coordinator's edit: one outcome saved again. Its values are unchanged, but the analyses cannot know:
        the data version and the outcomes table's version change, as after any edit."""
        from healthlinks.activities.models import Outcome

        outcome = Outcome.objects.order_by("pk").first()
        assert outcome is not None
        outcome.save()

    if kind in ANALYSES:
        run = getattr(selectors, SELECTORS[kind])
        run(who, Scope())
        forget()
        t0 = time.perf_counter()
        result = run(who, Scope())
        cold = time.perf_counter() - t0
        warm = min(_timed(lambda: run(who, Scope())) for _ in range(5))
        rewrite()
        write = _timed(lambda: run(who, Scope()))
        out: dict[str, Any] = {"cold": cold, "warm": warm, "write": write, "peak_mb": _peak_mb()}
        if kind == "impact":
            out["core"] = baselines.engine_core(result)
        return out
    if kind == "dashboard":
        from django.test import Client

        from healthlinks.accounts.models import User

        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.filter(is_active=True, role="hub_admin").order_by("pk").first())
        assert client.get("/analytics/impact/").status_code == 200
        forget()
        t0 = time.perf_counter()
        response = client.get("/analytics/impact/")
        cold = time.perf_counter() - t0
        assert response.status_code == 200, response.status_code
        warm = min(_timed(lambda: client.get("/analytics/impact/")) for _ in range(5))
        rewrite()
        write = _timed(lambda: client.get("/analytics/impact/"))
        return {"cold": cold, "warm": warm, "write": write, "peak_mb": _peak_mb()}
    if kind == "pandas":
        connection.ensure_connection()
        t0 = time.perf_counter()
        core = baselines.pandas_core(connection.connection)
        return {"seconds": time.perf_counter() - t0, "core": core, "peak_mb": _peak_mb()}
    if kind == "orm":
        t0 = time.perf_counter()
        core = baselines.orm_core()
        return {"seconds": time.perf_counter() - t0, "core": core, "peak_mb": _peak_mb()}
    if kind == "floor":
        snap = engine.load(engine.extract(), None)
        core = baselines.floor_core(snap)
        seconds = min(_timed(lambda: baselines.floor_core(snap)) for _ in range(5))
        return {"seconds": seconds, "core": core, "peak_mb": _peak_mb()}
    raise SystemExit(f"unknown measurement {kind!r}")


def _timed(func: Any) -> float:
    t0 = time.perf_counter()
    func()
    return time.perf_counter() - t0


def measure(url: str, kind: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", kind],
        env={**_env(url), "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_scale(kind: str, scale: str, seed: int) -> list[dict[str, Any]]:
    from bench.baselines import differences

    built = ensure_world(kind, scale, seed)
    url = database_url(kind, scale, seed)
    label = scale if kind == "sqlite" else f"{scale}-postgresql"
    base = {name: measure(url, name) for name in ("pandas", "orm", "floor")}
    records: list[dict[str, Any]] = []
    for analysis in (*ANALYSES, "dashboard"):
        got = measure(url, analysis)
        same = None
        if "core" in got:
            problems = [d for b in base.values() for d in differences(got["core"], b["core"])]
            same = not problems
            if problems:
                print(f"  {analysis}: baselines disagree: {problems[:3]}", file=sys.stderr)
        with_baselines = analysis in ("impact", "dashboard")
        for mode in MODES:
            records.append(
                {
                    "scale": label,
                    "analysis": analysis,
                    "mode": mode,
                    "seconds": round(got[mode], 4),
                    "peak_mb": got["peak_mb"],
                    "pandas_seconds": round(base["pandas"]["seconds"], 4) if with_baselines else None,
                    "orm_seconds": round(base["orm"]["seconds"], 4) if with_baselines else None,
                    "floor_seconds": round(base["floor"]["seconds"], 4) if with_baselines else None,
                    "same_numbers": same if with_baselines else None,
                    "pandas_peak_mb": base["pandas"]["peak_mb"] if with_baselines else None,
                }
            )
        print(
            f"  {label} {analysis}: cold {got['cold']:.3f} s, warm {got['warm'] * 1000:.1f} ms, "
            f"after one write {got['write']:.3f} s",
            flush=True,
        )
    if built is not None:
        records.append({"scale": label, "analysis": "build demo world", "mode": "once", "seconds": round(built, 1)})
    return records


def table(records: list[dict[str, Any]]) -> str:
    head = f"{'scale':<14}{'analysis':<11}{'mode':<6}{'seconds':>9}{'peak MB':>9}{'pandas×':>9}{'ORM×':>8}{'floor×':>8}"
    lines = [head, "-" * len(head)]
    for r in records:
        if r.get("mode") not in MODES:
            continue

        def ratio(key: str, r: dict[str, Any] = r) -> str:
            if not r.get(key) or not r["seconds"]:
                return ""
            # baselines: how many times slower they are; floor: how many times slower we are than the floor
            value = r["seconds"] / r[key] if key == "floor_seconds" else r[key] / r["seconds"]
            return f"{value:.1f}"

        lines.append(
            f"{r['scale']:<14}{r['analysis']:<11}{r['mode']:<6}{r['seconds']:>9.3f}{r['peak_mb']:>9.0f}"
            f"{ratio('pandas_seconds'):>9}{ratio('orm_seconds'):>8}{ratio('floor_seconds'):>8}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="S,M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child), default=str))
        return 0
    records: list[dict[str, Any]] = []
    for scale in args.scales.split(","):
        records += bench_scale(args.database, scale.strip().upper(), args.seed)
    write_results(records)
    print()
    print(table(records))
    print("\npandas× and ORM×: how many times faster than that baseline; floor×: how many times the bare DuckDB query")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
