"""`healthlinks export programme SLUG --format csv|xlsx|adx|dhis2 [--period year|quarter] [-o FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_export(args: argparse.Namespace) -> int:
    from healthlinks.commandline import user_named
    from healthlinks.interchange.programmes.exports import FORMATS, export, unmapped_in_words
    from healthlinks.programmes.models import Programme
    from healthlinks.programmes.rollup import programme_rollup
    from healthlinks.programmes.selectors import programmes_visible_to

    if not args.name:
        raise ValueError("export programme: give the programme's slug (healthlinks export programme SLUG)")
    fmt = args.format or ("xlsx" if (args.output or "").lower().endswith(".xlsx") else "csv")
    if fmt not in FORMATS:
        raise ValueError(f"--format: a programme exports as {', '.join(FORMATS)}")
    user = user_named(args.user)
    programmes = programmes_visible_to(user) if user is not None else Programme.objects.all()
    programme = programmes.filter(slug=args.name).first()
    if programme is None:
        raise ValueError(f"no programme with slug {args.name!r}")
    rollup = programme_rollup(programme, user=user, granularity=args.period or "year")
    out = export(rollup, fmt)
    if args.output:
        Path(args.output).write_bytes(out.content)
        print(f"{out.values} values of {programme.slug} written to {args.output} ({fmt})")
    else:
        sys.stdout.buffer.write(out.content)
    if out.unmapped:
        print(f"{len(out.unmapped)} without a DHIS2 uid (set them on the DHIS2 mapping page):", file=sys.stderr)
        for line in unmapped_in_words(out.unmapped):
            print(f"  {line}", file=sys.stderr)
    return 0
