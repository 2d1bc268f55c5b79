"""`healthlinks worker`: run background tasks until stopped (or once)."""

from __future__ import annotations

import argparse
import os
import signal
import threading


def cmd_worker(args: argparse.Namespace) -> int:
    from healthlinks.tasks.services import reap_interrupted, run_worker

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    reaped = reap_interrupted()
    if reaped:
        print(f"marked {len(reaped)} interrupted task(s) failed: {', '.join(map(str, reaped))}", flush=True)
    parent = int(os.environ["HEALTHLINKS_WORKER_PARENT"]) if os.environ.get("HEALTHLINKS_WORKER_PARENT") else None
    print(f"healthlinks worker {os.getpid()} waiting for tasks", flush=True)
    ran = run_worker(poll=args.poll, once=args.once, stop=stop, parent=parent)
    print(f"healthlinks worker: {ran} task(s) run", flush=True)
    return 0
