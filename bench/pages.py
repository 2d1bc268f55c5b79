"""`make bench` (pages part): what a page costs a phone on a poor link. Against `healthlinks serve` as `make run`
starts it (the S demo world of bench/analytics.py), in Debian's Chromium, for each page: the bytes transferred on
a first visit with an empty cache (compressed, as they travel), the bytes of a second visit with the cache warm,
and, for the phone stay form on an emulated slow link (400 kbit/s down, 400 ms round trip), the seconds from the
request until the page is usable (its load event: the deferred scripts have run). Results: bench/pages.json,
checked against the targets below (a benchmark, not a timed test).

    .venv/bin/python bench/pages.py [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.analytics import database_url, ensure_world  # noqa: E402

OUT = ROOT / "bench" / "pages.json"
TARGETS = {"form": 120_000, "chart": 600_000, "cached": 40_000, "slow_form_seconds": 5.0}
PASSWORD = "healthlinks-demo"
SLOW = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}


def _pages(slug: str, activity: int) -> list[tuple[str, str, str | None]]:
    """(kind, path, user) for every page measured: the login page, the forms a coordinator fills on a phone,
    and the pages with charts."""
    return [
        ("form", "/accounts/login/", None),
        ("form", f"/partnerships/{slug}/stays/new/", "coordinator"),
        ("form", f"/partnerships/{slug}/people/new/", "coordinator"),
        ("form", f"/partnerships/{slug}/activities/new/", "coordinator"),
        ("form", f"/activities/{activity}/outcomes/new/", "coordinator"),
        ("form", "/surveys/trainee-followup/form/", "coordinator"),
        ("form", "/me/", "coordinator"),
        ("chart", "/", None),
        ("chart", f"/partnerships/{slug}/", None),
        ("chart", "/analytics/impact/", None),
        ("chart", "/analytics/mobility/", None),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _transferred(page: Any, url: str) -> tuple[int, int]:
    """Bytes on the wire (headers and compressed bodies, as Chromium counts them) and requests, for one visit."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="networkidle")
    cdp.detach()
    return int(sum(sizes.values())), len(sizes)


def _login(context: Any, base: str, user: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    page.close()


def measure(base: str, slug: str, activity: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
        for kind, path, user in _pages(slug, activity):
            # the browser's own cache, not the service worker's (a page it answers shows 0 bytes on the wire)
            context = browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
            if user:
                _login(context, base, user)
            page = context.new_page()
            page.context.new_cdp_session(page).send("Network.clearBrowserCache")  # what signing in fetched
            first, requests = _transferred(page, base + path)
            cached, _n = _transferred(page, base + path)
            rows.append({"kind": kind, "path": path, "user": user or "public", "first_bytes": first,
                         "requests": requests, "cached_bytes": cached})  # fmt: skip
            context.close()
        # the phone stay form on a slow link, cache empty (signed in beforehand, on a good link)
        context = browser.new_context(viewport={"width": 360, "height": 740}, service_workers="block")
        _login(context, base, "coordinator")
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.emulateNetworkConditions", SLOW)
        start = time.perf_counter()
        page.goto(f"{base}/partnerships/{slug}/stays/new/", wait_until="load")
        seconds = time.perf_counter() - start
        rows.append({"kind": "slow_form", "path": f"/partnerships/{slug}/stays/new/", "user": "coordinator",
                     "seconds": round(seconds, 2)})  # fmt: skip
        browser.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ensure_world("sqlite", "S", args.seed)
    url = database_url("sqlite", "S", args.seed)
    env = {**os.environ, "HEALTHLINKS_DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "healthlinks.settings"}
    import django

    os.environ.update(env)
    django.setup()
    from healthlinks.accounts.models import User
    from healthlinks.activities.models import Activity
    from healthlinks.registry.selectors import partnerships_editable_by

    slug = partnerships_editable_by(User.objects.get(username="coordinator")).order_by("name")[0].slug
    activity = Activity.objects.filter(partnership__slug=slug).order_by("pk").values_list("pk", flat=True)[0]
    port = _free_port()
    healthlinks = str(Path(sys.executable).parent / "healthlinks")
    server = subprocess.Popen([healthlinks, "serve", "--port", str(port)], env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        rows = measure(base, slug, activity)
    finally:
        server.terminate()
        server.wait(timeout=30)
    failures = []
    for row in rows:
        if row["kind"] == "slow_form":
            ok = row["seconds"] <= TARGETS["slow_form_seconds"]
            print(f"slow link  {row['path']:<58} {row['seconds']:>6} s   {'ok' if ok else 'OVER'}")
        else:
            ok = row["first_bytes"] <= TARGETS[row["kind"]] and row["cached_bytes"] <= TARGETS["cached"]
            print(f"{row['kind']:<6} {row['user']:<11} {row['path']:<50} first {row['first_bytes'] / 1000:>6.1f} KB"
                  f" ({row['requests']} requests)  cached {row['cached_bytes'] / 1000:>5.1f} KB  "
                  f"{'ok' if ok else 'OVER'}")  # fmt: skip
        row["within_target"] = ok
        if not ok:
            failures.append(row["path"])
    OUT.write_text(json.dumps({"targets": TARGETS, "pages": rows}, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}; {len(failures)} over target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
