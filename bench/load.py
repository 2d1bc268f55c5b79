"""`make load`: the production server under 50 concurrent users for 5 minutes, on the M demo world in PostgreSQL.

    .venv/bin/python bench/load.py [--users 50] [--minutes 5] [--scale M] [--seed 1]

Builds the demo world once (bench/analytics.py, database hl_bench_<scale>_<seed> on 127.0.0.1:5432), creates
the load accounts (researchers, API tokens, one coordinator per partnership the coordinators import into),
starts `healthlinks serve --production` on a free port of 127.0.0.1 with its background worker, opens each
cached analysis once (a live hub's caches are warm; the first, cold opening is timed and reported apart), then
runs bench/locustfile.py headless. Every request goes to 127.0.0.1 and the run stops by itself.

Writes bench/load.json: per kind of request (page, api, import) and per named request the count, failures,
p50/p95/p99 in milliseconds and throughput, beside the targets (pages p95 < 300 ms, API reads p95 < 150 ms,
no errors). Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.analytics import _env, database_url, ensure_world  # noqa: E402

BIN = Path(sys.executable).parent
OUT = ROOT / "bench" / "load.json"
TARGETS_MS = {"page": 300.0, "api": 150.0}
WARM = ["/", "/analytics/impact/", "/api/v1/analytics/impact/", "/partnerships/", "/activities/"]

ACCOUNTS = """
import json, random, sys
from django.db import transaction
from healthlinks.accounts.models import User
from healthlinks.accounts.services import user_create, user_token
from healthlinks.registry.models import AccessRole, Partnership
from healthlinks.registry.services import partnership_access_grant

from math import ceil
from django.contrib.auth.models import AnonymousUser
from healthlinks.activities.selectors import activities_visible_to
from healthlinks.registry.selectors import institutions_visible_to, partnerships_visible_to

n, password = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
public = partnerships_visible_to(AnonymousUser())
slugs = list(public.order_by("slug").values_list("slug", flat=True))
pages = {
    "partnerships": ceil(public.count() / 25), "activities": ceil(activities_visible_to(AnonymousUser()).count() / 25),
    "api_partnerships": ceil(public.count() / 50),
    "api_institutions": ceil(institutions_visible_to(AnonymousUser()).count() / 50),
}
countries = sorted({c for c in Partnership.objects.values_list("members__institution__country_id", flat=True) if c})
with transaction.atomic():
    User.objects.filter(username__startswith="load-").delete()
    def make(name, role):
        user = user_create(username=name, role=role, password=password, email="")
        return user
    researchers = [[make(f"load-r{i}", "researcher").username, password] for i in range(n)]
    tokens = [user_token(username=make(f"load-a{i}", "researcher").username) for i in range(n)]
    coordinators = []
    for i, slug in enumerate(rng.sample(slugs, min(n, len(slugs)))):
        user = make(f"load-c{i}", "coordinator")
        partnership_access_grant(partnership=Partnership.objects.get(slug=slug), user=user, role=AccessRole.COORDINATOR)
        coordinators.append([user.username, password, slug])
print(json.dumps({"researchers": researchers, "tokens": tokens, "coordinators": coordinators,
                  "slugs": rng.sample(slugs, min(500, len(slugs))), "countries": countries,
                  "pages": {k: max(1, v) for k, v in pages.items()}}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, float]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
            response.read()
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - started


def _percentiles(times: list[float]) -> dict[str, float]:
    import numpy as np

    if not times:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
    p50, p95, p99 = np.percentile(np.array(times), [50, 95, 99])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1), "p99_ms": round(float(p99), 1)}


def summarise(samples: list[list[Any]], seconds: float) -> dict[str, Any]:
    """Per kind (the part of the name before ':') and per name: count, failures, percentiles, requests/s."""
    groups: dict[str, list[list[Any]]] = {}
    for name, ms, failed in samples:
        groups.setdefault(name, []).append([name, ms, failed])
        groups.setdefault(name.split(":", 1)[0] if ":" in name else name, []).append([name, ms, failed])
    out: dict[str, Any] = {}
    for key, rows in sorted(groups.items()):
        out[key] = {
            "requests": len(rows),
            "failures": sum(1 for r in rows if r[2]),
            **_percentiles([r[1] for r in rows if not r[2]]),
            "per_second": round(len(rows) / seconds, 2),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--scale", default="M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: the production default)")
    args = parser.parse_args()

    ensure_world("postgresql", args.scale, args.seed)
    url = database_url("postgresql", args.scale, args.seed)
    env = _env(url)
    password = secrets.token_urlsafe(16)
    made = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()\n" + ACCOUNTS, str(args.users), password],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    accounts = json.loads(made.stdout.strip().splitlines()[-1])
    work = Path(tempfile.mkdtemp(prefix="healthlinks-load-"))
    (work / "accounts.json").write_text(json.dumps(accounts))

    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    server_env = {
        **env,
        "HEALTHLINKS_SECRET_KEY": secrets.token_urlsafe(50),
        "HEALTHLINKS_ALLOWED_HOSTS": "127.0.0.1",
        "HEALTHLINKS_VAR_DIR": str(ROOT / "var" / "load"),
        "HEALTHLINKS_USER_RATE": os.environ.get("HEALTHLINKS_USER_RATE", "1200/min"),
    }
    if args.workers:
        server_env["HEALTHLINKS_WORKERS"] = str(args.workers)
    log = (work / "server.log").open("w")
    server = subprocess.Popen(  # noqa: S603
        [str(BIN / "healthlinks"), "serve", "--production", "--port", str(port)],
        env=server_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print((work / "server.log").read_text()[-3000:], file=sys.stderr)
                    return 2
                time.sleep(0.5)
        warm = {}
        for path in WARM:
            status, seconds = _get(host + path)
            warm[path] = {"status": status, "first_seconds": round(seconds, 2)}
            print(f"first opening of {path}: {status} in {seconds:.2f} s", flush=True)
        samples_file = work / "samples.json"
        started = time.perf_counter()
        locust = subprocess.run(  # noqa: S603
            [
                str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
                "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{int(args.minutes * 60)}s",
                "--host", host, "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
            ],
            env={**os.environ, "LOAD_ACCOUNTS": str(work / "accounts.json"), "LOAD_SAMPLES": str(samples_file)},
            timeout=args.minutes * 60 + 180, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    samples = json.loads(samples_file.read_text()) if samples_file.exists() else []
    measured = summarise(samples, seconds)
    errors = sum(v["failures"] for k, v in measured.items() if ":" not in k)
    verdicts = {
        f"{kind} p95 < {limit:.0f} ms": measured.get(kind, {}).get("p95_ms", float("inf")) < limit
        for kind, limit in TARGETS_MS.items()
    }
    verdicts["no errors"] = errors == 0 and locust.returncode in (0, 1)
    server_errors = sum(1 for line in (work / "server.log").read_text().splitlines() if '" 5' in line)
    report = {
        "scale": args.scale,
        "users": args.users,
        "seconds": round(seconds, 1),
        "database": "postgresql",
        "workers": args.workers or "default",
        "cpus": os.cpu_count(),
        "first_openings": warm,
        "server_5xx": server_errors,
        "targets": verdicts,
        "measured": measured,
    }
    OUT.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\n{'request':44} {'n':>6} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>6}")
    for key, v in measured.items():
        print(
            f"{key:44} {v['requests']:6} {v['failures']:5} {v['p50_ms']:7.0f} {v['p95_ms']:7.0f} "
            f"{v['p99_ms']:7.0f} {v['per_second']:6.2f}"
        )
    for target, ok in verdicts.items():
        print(f"{'met' if ok else 'MISSED':7} {target}")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
