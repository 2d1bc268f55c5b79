"""`healthlinks import qdpx|qdc FILE...` and `healthlinks export qdpx|qdc -o FILE` (plugged into cli.py's tables)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _run(args: argparse.Namespace, importer: Any) -> int:
    from healthlinks.commandline import import_files, user_named
    from healthlinks.interchange.refi_qda.safe import QdaRejected

    user = user_named(args.user)
    return import_files(args.files, lambda path: importer(Path(path).read_bytes(), Path(path).name, user), QdaRejected)


def import_qdpx_files(args: argparse.Namespace) -> int:
    from healthlinks.commandline import partnership_named
    from healthlinks.interchange.refi_qda.project import import_qdpx

    partnership = partnership_named(args.partnership, required="the interviews of a project belong to one partnership")
    return _run(args, lambda data, name, user: import_qdpx(data, name, partnership=partnership, user=user))


def import_qdc_files(args: argparse.Namespace) -> int:
    from healthlinks.interchange.refi_qda.project import import_qdc

    return _run(args, lambda data, name, user: import_qdc(data, name, user=user))


def export_qdpx_file(args: argparse.Namespace) -> int:
    from healthlinks.commandline import partnership_named, user_named
    from healthlinks.interchange.refi_qda.project import export_qdpx
    from healthlinks.interviews.models import Memo, Source
    from healthlinks.interviews.selectors import memos_visible_to, sources_readable_by

    user = user_named(args.user)
    partnership = partnership_named(args.partnership)
    sources = sources_readable_by(user) if user else Source.objects.all()
    memos = memos_visible_to(user) if user else Memo.objects.all()
    if partnership is not None:
        sources = sources.filter(partnership=partnership)
    chosen = list(sources)
    Path(args.output).write_bytes(export_qdpx(chosen, memos=memos.select_related("author")))
    print(f"{len(chosen)} transcripts written to {args.output}")
    return 0


def export_qdc_file(args: argparse.Namespace) -> int:
    from healthlinks.interchange.refi_qda.project import export_qdc
    from healthlinks.interviews.models import Code

    Path(args.output).write_bytes(export_qdc())
    print(f"{Code.objects.count()} codes written to {args.output}")
    return 0
