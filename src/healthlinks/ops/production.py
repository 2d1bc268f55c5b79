"""`healthlinks serve --production`: collect static files, then run gunicorn with production settings.

Settings come from HEALTHLINKS_* environment variables (docs/security.md): HEALTHLINKS_SECRET_KEY is required,
HEALTHLINKS_ALLOWED_HOSTS, HEALTHLINKS_DATABASE_URL (PostgreSQL in production), HEALTHLINKS_WORKERS.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def production_env(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    if not env.get("HEALTHLINKS_SECRET_KEY"):
        raise ValueError("HEALTHLINKS_SECRET_KEY must be set (a long random string) to serve in production")
    if env.get("HEALTHLINKS_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        raise ValueError("HEALTHLINKS_DEBUG must be off in production")
    env["HEALTHLINKS_PRODUCTION"] = "1"
    env.setdefault("HEALTHLINKS_ANALYTICS_REFRESH_BY", "worker")  # the task worker runs beside gunicorn
    env.setdefault("DJANGO_SETTINGS_MODULE", "healthlinks.settings")
    return env


def default_workers() -> int:
    return int(os.environ.get("HEALTHLINKS_WORKERS") or max(2, 2 * (os.cpu_count() or 1) + 1))


def serve_production(args: argparse.Namespace) -> int:
    env = production_env()
    bin_dir = Path(sys.executable).parent
    # collectstatic runs with the production settings (STATIC_ROOT = var/static, hashed file names).
    collect = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"], env=env, check=False
    )
    if collect.returncode:
        print("healthlinks serve: collectstatic failed", file=sys.stderr)
        return collect.returncode
    gunicorn = bin_dir / "gunicorn"
    workers = args.workers or default_workers()
    command = [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "healthlinks.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(workers),
        "--timeout",
        os.environ.get("HEALTHLINKS_WORKER_TIMEOUT", "120"),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        os.environ.get("HEALTHLINKS_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    # The background-task worker runs beside gunicorn and stops when gunicorn (this process, after exec) is gone.
    healthlinks = bin_dir / "healthlinks"
    subprocess.Popen(  # noqa: S603
        [str(healthlinks) if healthlinks.exists() else "healthlinks", "worker"],
        env={**env, "HEALTHLINKS_WORKER_PARENT": str(os.getpid())},
    )
    print(f"Healthlinks (production, {workers} workers) on http://{args.host}:{args.port}/", flush=True)
    os.execvpe(command[0], command, env)  # noqa: S606  (replaces this process: signals reach gunicorn)
    return 0  # pragma: no cover
