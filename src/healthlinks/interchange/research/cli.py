"""`healthlinks export research --output DIR_OR_ZIP [--partnership SLUG] [--user USERNAME]`."""

from __future__ import annotations

import argparse
import sys


def run_export(args: argparse.Namespace) -> int:
    from healthlinks.commandline import user_named
    from healthlinks.interchange.research.export import SMALL_CELL, ExportNotAllowed, export_research

    user = user_named(args.user)
    try:
        export = export_research(args.output, user=user, partnership=args.partnership or "")
    except ExportNotAllowed as exc:
        print(f"healthlinks export research: {exc}", file=sys.stderr)
        return 2
    counts = export.counts
    print(
        f"research export written to {export.written_to} in {export.seconds:.1f} s: {export.partnership_count} "
        f"partnerships, {counts['people']} consenting people, {counts['stays']} stays, {len(counts)} tables "
        "(CSV and Parquet), data_dictionary.csv, README.txt, warnings.txt"
    )
    if export.small_cells:
        print(
            f"warning: {len(export.small_cells)} country × cadre × sex cells hold fewer than {SMALL_CELL} people "
            "(listed in warnings.txt)",
            file=sys.stderr,
        )
    return 0
