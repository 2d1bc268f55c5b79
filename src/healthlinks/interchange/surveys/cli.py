"""`healthlinks import xlsform FILE…` and `healthlinks import responses FILE… [--instrument SLUG]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError


def user_named(args: argparse.Namespace) -> Any:
    from healthlinks.commandline import user_named as find_user

    return find_user(getattr(args, "user", None))


def import_xlsform(args: argparse.Namespace) -> int:
    from healthlinks.evaluation.services import instrument_save
    from healthlinks.evaluation.xlsform import FormRejected

    user = user_named(args)
    status = 0
    # the CSV files named beside the forms are their select_one_from_file choices
    media = {Path(n).name: Path(n).read_bytes() for n in args.files if n.lower().endswith(".csv") and Path(n).is_file()}
    for name in [n for n in args.files if not n.lower().endswith(".csv")]:
        path = Path(name)
        if not path.exists():
            print(f"{name}: no such file", file=sys.stderr)
            status = 1
            continue
        try:
            instrument = instrument_save(
                by=user,
                raw=path.read_bytes(),
                name=path.name,
                slug=getattr(args, "instrument", "") or "",
                media=media,
            )
        except FormRejected as exc:
            print(f"{name}: not imported, nothing written ({len(exc.errors)} errors):", file=sys.stderr)
            for error in exc.errors:
                print(f"  {path.name}, {error}", file=sys.stderr)
            status = 1
            continue
        except ValidationError as exc:
            print(f"{name}: not imported: {' '.join(exc.messages)}", file=sys.stderr)
            status = 1
            continue
        print(
            f"instrument {instrument.slug} ({instrument.title}, version {instrument.version or '-'}): "
            f"{instrument.questions.count()} questions"
        )
        for warning in instrument.warnings:
            print(f"  warning: {warning}")
    return status


def import_responses(args: argparse.Namespace) -> int:
    from healthlinks.evaluation.models import Instrument
    from healthlinks.interchange.surveys.importer import import_responses as run
    from healthlinks.interchange.tabular.reader import ImportRejected

    user = user_named(args)
    instrument = None
    slug = getattr(args, "instrument", None)
    if slug:
        instrument = Instrument.objects.filter(slug=slug).first()
        if instrument is None:
            raise ValueError(f"--instrument: no instrument with slug {slug!r}")
    from healthlinks.commandline import import_files

    return import_files(args.files, lambda name: run(name, instrument=instrument, user=user), ImportRejected)
