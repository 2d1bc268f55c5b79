"""`make bench` (pickers part): how long the pickers take to answer at the scales users reach, for a hub admin
(every person: 100,000 at M) and for a coordinator (their partnerships' people): the person picker typing a
family name, the start of a pseudonymous id, and nothing; the institution picker; the boxes of trainees and of
stays that the activity form finds by typing, in the partnership with the most stays. The median of 20 answers
of each, through the full Django stack (session, middleware, template), on the demo world that
`bench/analytics.py` builds and keeps.

    .venv/bin/python bench/pickers.py [--scales S,M] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from bench.analytics import database_url, ensure_world  # noqa: E402
from bench.common import write_results  # noqa: E402

REPEAT = 20


def measure() -> list[dict[str, Any]]:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils.http import urlencode

    from healthlinks.accounts.models import User
    from healthlinks.network.models import PersonalData
    from healthlinks.registry.models import Institution, Partnership
    from healthlinks.registry.selectors import partnerships_editable_by

    family = PersonalData.objects.exclude(family_name="").values_list("family_name", flat=True).first() or "a"
    institution = Institution.objects.order_by("-pk").values_list("name", flat=True).first() or "a"
    rows = []
    for username in ("admin", "coordinator"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        mine = partnerships_editable_by(user).values_list("slug", flat=True)
        slug = mine.first() if username != "admin" else ""
        # the partnership with the most stays: the activity form's stay boxes at their hardest
        busiest = Partnership.objects.filter(slug__in=mine).annotate(n=Count("stays")).order_by("-n").first()
        asked = [
            (label, "/pick/people/?" + urlencode({"q": query, **({"partnership": slug} if slug else {})}))
            for label, query in (("family name", family[:5]), ("id prefix", "HL-4"), ("nothing", ""))
        ]
        asked += [
            ("institution", "/pick/institutions/?" + urlencode({"q": institution.split()[0]})),
            (
                "trainee boxes",
                "/pick/people/?" + urlencode({"q": family[:5], "multi": "trainees", "partnership": busiest.slug}),
            ),
            ("stay boxes", "/pick/stays/?" + urlencode({"q": "2019", "multi": "stays", "partnership": busiest.slug})),
        ]
        for label, url in asked:
            client.get(url)  # the process's first request builds caches: not what a user waits for
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as ctx:
                    response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            body = response.content.decode()
            rows.append(
                {
                    "user": username,
                    "typed": label,
                    "median_ms": round(statistics.median(times), 1),
                    "max_ms": round(max(times), 1),
                    "queries": len(ctx.captured_queries),
                    "options": body.count("<option") + body.count('type="checkbox"'),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="S,M")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one scale, in its own process (Django is set up once per process, on one database)
        print(json.dumps(measure()))
        return 0
    records = []
    for scale in (s.strip().upper() for s in args.scales.split(",")):
        ensure_world("sqlite", scale, args.seed)
        env = {**os.environ, "HEALTHLINKS_DATABASE_URL": database_url("sqlite", scale, args.seed),
               "DJANGO_SETTINGS_MODULE": "healthlinks.settings"}  # fmt: skip
        command = [sys.executable, __file__, "--child"]
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
        for row in json.loads(out.stdout.strip().splitlines()[-1]):
            records.append({"bench": "picker", "scale": scale, **row})
            print(f"{scale} {row['user']:<12} {row['typed']:<12} median {row['median_ms']:>7} ms  "
                  f"max {row['max_ms']:>7} ms  {row['queries']} queries  {row['options']} options")  # fmt: skip
    write_results(records, keys=("bench", "scale", "user", "typed"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
