"""`healthlinks import ris|bibtex FILE...` and `healthlinks export ris|bibtex -o FILE`."""

from __future__ import annotations

import argparse
from pathlib import Path


def _import(args: argparse.Namespace, fmt: str) -> int:
    from healthlinks.commandline import import_files, partnership_named, user_named
    from healthlinks.interchange.bibliography import BibliographyRejected, import_references

    user = user_named(args.user)
    partnership = partnership_named(args.partnership)

    def run(path: str) -> object:
        data = Path(path).read_bytes()
        return import_references(data, Path(path).name, fmt=fmt, user=user, partnership=partnership)

    return import_files(args.files, run, BibliographyRejected)


def import_ris_files(args: argparse.Namespace) -> int:
    return _import(args, "ris")


def import_bibtex_files(args: argparse.Namespace) -> int:
    return _import(args, "bibtex")


def import_medline_files(args: argparse.Namespace) -> int:
    return _import(args, "medline")


def _export(args: argparse.Namespace, fmt: str) -> int:
    from django.contrib.auth.models import AnonymousUser

    from healthlinks.commandline import user_named
    from healthlinks.evidence.selectors import reference_list
    from healthlinks.interchange.bibliography import export_bibtex, export_ris

    user = user_named(args.user) or AnonymousUser()
    references = list(reference_list(user, partnership=args.partnership or ""))
    text = export_ris(references) if fmt == "ris" else export_bibtex(references)
    Path(args.output).write_text(text, encoding="utf-8")
    print(f"{len(references)} references written to {args.output}")
    return 0


def export_ris_file(args: argparse.Namespace) -> int:
    return _export(args, "ris")


def export_bibtex_file(args: argparse.Namespace) -> int:
    return _export(args, "bibtex")
