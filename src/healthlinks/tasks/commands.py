"""`healthlinks worker`: run background tasks until stopped (or until the queue is empty, `--once`)."""

from __future__ import annotations

import argparse
import os
import signal
import threading


def _watch_parent(parent: int, stop: threading.Event) -> None:
    """A worker started beside gunicorn by `serve --production` ends with it."""
    while not stop.wait(2.0):
        if os.getppid() != parent:
            stop.set()
            os.kill(os.getpid(), signal.SIGTERM)  # an RQ worker stops on its own signal handler


def cmd_worker(args: argparse.Namespace) -> int:
    from django.conf import settings

    from healthlinks.tasks.services import reap_interrupted, run_worker

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    reaped = reap_interrupted()
    if reaped:
        print(f"marked {len(reaped)} interrupted task(s) failed: {', '.join(map(str, reaped))}", flush=True)
    if os.environ.get("HEALTHLINKS_WORKER_PARENT"):
        parent = int(os.environ["HEALTHLINKS_WORKER_PARENT"])
        threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
    print(
        f"healthlinks worker {os.getpid()} waiting for tasks ({settings.HEALTHLINKS_TASKS_BACKEND} queue)", flush=True
    )
    ran = run_worker(poll=args.poll, once=args.once, stop=stop)
    print(f"healthlinks worker: {ran} task(s) run", flush=True)
    return 0
