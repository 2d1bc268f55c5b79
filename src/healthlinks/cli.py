"""The `healthlinks` console script. Errors go to stderr with a non-zero exit status. What the commands share
is in healthlinks.commandline."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from healthlinks.commandline import import_files, progress, user_named


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthlinks.settings")
    import django
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        from pathlib import Path

        Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    django.setup()


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from healthlinks.reference.services import reference_load

    call_command("migrate", interactive=False, verbosity=1 if args.verbose else 0)
    counts = reference_load()
    print("database ready; reference data: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from healthlinks.demo.world import DEMO_PASSWORD, DEMO_USERS, world_build
    from healthlinks.registry.models import Partnership

    if args.if_empty and Partnership.objects.exists():
        print("the registry already holds partnerships; demo world not built")
    else:
        stats = world_build(scale=args.scale, seed=args.seed, progress=progress)
        print(f"demo world {args.scale} (seed {args.seed}): " + ", ".join(f"{v} {k}" for k, v in stats.items()))
    users = ", ".join(f"{name} ({role.label})" for name, role in DEMO_USERS)
    print(f"demo logins: {users}; password: {DEMO_PASSWORD}")
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    from django.db import transaction

    from healthlinks.accounts.services import user_create
    from healthlinks.registry.models import AccessRole, Partnership
    from healthlinks.registry.services import partnership_access_grant

    with transaction.atomic():
        user = user_create(username=args.username, role=args.role, password=args.password, email=args.email or "")
        for slug in args.partnership or []:
            try:
                partnership = Partnership.objects.get(slug=slug)
            except Partnership.DoesNotExist:
                raise ValueError(f"--partnership: no partnership with slug {slug!r}") from None
            role = AccessRole.COORDINATOR if args.role == "coordinator" else AccessRole.MEMBER
            partnership_access_grant(partnership=partnership, user=user, role=role)
    print(f"created {user.username} ({user.get_role_display()})")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from healthlinks.accounts.services import user_token

    print(user_token(username=args.username))
    return 0


# Importers and exporters of formats other than the tabular ones: kind -> "module:function", the function taking
# the parsed arguments and returning the exit status. Each format's package adds its own line here.
OTHER_IMPORTS: dict[str, str] = {}
OTHER_IMPORTS["xlsform"] = "healthlinks.interchange.surveys.cli:import_xlsform"
OTHER_IMPORTS["responses"] = "healthlinks.interchange.surveys.cli:import_responses"
OTHER_EXPORTS: dict[str, str] = {}
OTHER_IMPORTS["iati"] = "healthlinks.interchange.iati.cli:run_import"
OTHER_EXPORTS["iati"] = "healthlinks.interchange.iati.cli:run_export"
OTHER_IMPORTS["qdpx"] = "healthlinks.interchange.refi_qda.cli:import_qdpx_files"
OTHER_IMPORTS["qdc"] = "healthlinks.interchange.refi_qda.cli:import_qdc_files"
OTHER_IMPORTS["ris"] = "healthlinks.interchange.bibliography.cli:import_ris_files"
OTHER_IMPORTS["bibtex"] = "healthlinks.interchange.bibliography.cli:import_bibtex_files"
OTHER_IMPORTS["medline"] = "healthlinks.interchange.bibliography.cli:import_medline_files"
OTHER_IMPORTS["ror"] = "healthlinks.interchange.ror.cli:import_ror_files"
OTHER_EXPORTS["qdpx"] = "healthlinks.interchange.refi_qda.cli:export_qdpx_file"
OTHER_EXPORTS["qdc"] = "healthlinks.interchange.refi_qda.cli:export_qdc_file"
OTHER_EXPORTS["ris"] = "healthlinks.interchange.bibliography.cli:export_ris_file"
OTHER_EXPORTS["bibtex"] = "healthlinks.interchange.bibliography.cli:export_bibtex_file"
OTHER_EXPORTS["research"] = "healthlinks.interchange.research.cli:run_export"
OTHER_EXPORTS["programme"] = "healthlinks.interchange.programmes.cli:run_export"
TABULAR_IMPORTS = ["people", "stays", "ties", "activities", "trainees", "assessments", "outcomes", "costs"]
TABULAR_IMPORTS += ["cascades", "knowledge"]
TABULAR_IMPORTS += ["institutions", "partnerships", "memberships", "comparators", "careers"]
TABULAR_EXPORTS = [*TABULAR_IMPORTS]


def _dispatch(target: str, args: argparse.Namespace) -> int:
    import importlib

    module, function = target.split(":")
    func: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), function)
    return func(args)


def cmd_import(args: argparse.Namespace) -> int:
    if args.kind in OTHER_IMPORTS:
        return _dispatch(OTHER_IMPORTS[args.kind], args)
    from healthlinks.interchange.tabular.catalogue import IMPORTERS
    from healthlinks.interchange.tabular.reader import ImportRejected
    from healthlinks.registry.models import Partnership

    user = user_named(args.user)
    kwargs: dict[str, Any] = {"user": user}
    if args.kind == "people" and args.partnership:
        try:
            kwargs["partnership"] = Partnership.objects.get(slug=args.partnership)
        except Partnership.DoesNotExist:
            raise ValueError(f"--partnership: no partnership with slug {args.partnership!r}") from None
        kwargs["role"] = args.role
    return import_files(args.files, lambda path: IMPORTERS[args.kind](path, **kwargs), ImportRejected)


def cmd_export(args: argparse.Namespace) -> int:
    if args.kind != "programme":
        if not args.output:
            raise ValueError("--output: give the file to write")
        if args.format not in (None, "csv", "xlsx"):
            raise ValueError(f"--format: {args.kind} exports as csv or xlsx")
        if args.name:
            raise ValueError(f"{args.kind} takes no name: use --partnership to narrow it")
    if args.kind in OTHER_EXPORTS:
        return _dispatch(OTHER_EXPORTS[args.kind], args)
    from pathlib import Path

    from healthlinks.interchange.tabular.catalogue import export_rows
    from healthlinks.interchange.tabular.writer import write_table
    from healthlinks.registry.models import Partnership

    partnership = None
    if args.partnership:
        try:
            partnership = Partnership.objects.get(slug=args.partnership)
        except Partnership.DoesNotExist:
            raise ValueError(f"--partnership: no partnership with slug {args.partnership!r}") from None
    fmt = args.format or ("xlsx" if args.output.lower().endswith(".xlsx") else "csv")
    columns, rows = export_rows(args.kind, user_named(args.user), partnership)
    Path(args.output).write_bytes(write_table(columns, rows, fmt))
    print(f"{len(rows)} {args.kind} written to {args.output}")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from healthlinks.analytics.cli import run

    return run(args, user_named(args.user))


def cmd_serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    if args.production:
        from healthlinks.ops.production import serve_production

        return serve_production(args)

    from healthlinks.tasks.services import start_worker_thread

    start_worker_thread()  # background tasks run inside the development server
    print(f"Healthlinks on http://{args.host}:{args.port}/  (Ctrl+C stops it)", flush=True)
    call_command("runserver", f"{args.host}:{args.port}", use_reloader=False, use_threading=True)
    return 0


def _scope_arguments(p: argparse.ArgumentParser) -> None:
    """Which partnerships and years: one partnership, filters, or all (healthlinks.analytics.scope)."""
    for name in ("partnership", "country", "region", "specialty", "typology", "funder"):
        p.add_argument(f"--{name}", default="")
    p.add_argument("--from", dest="year_from", type=int, metavar="YEAR")
    p.add_argument("--to", dest="year_to", type=int, metavar="YEAR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="healthlinks", description="Healthlinks: international health partnerships")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or update the database and load reference data")
    p.add_argument("--verbose", action="store_true")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("demo", help="build the synthetic demo world")
    p.add_argument("--scale", choices=["S", "M", "L"], default="S")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--if-empty", action="store_true", help="do nothing if the registry already holds partnerships")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("createuser", help="create a user with a role")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["hub_admin", "coordinator", "member", "researcher"])
    p.add_argument("--partnership", action="append", metavar="SLUG", help="partnership to coordinate or belong to")
    p.add_argument("--password")
    p.add_argument("--email")
    p.set_defaults(func=cmd_createuser)

    p = sub.add_parser("token", help="print the API token of a user (created if missing)")
    p.add_argument("username")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("import", help="import files (CSV/XLSX tables and other formats; all or nothing)")
    p.add_argument("kind", choices=[*TABULAR_IMPORTS, *OTHER_IMPORTS])
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--user", help="import as this user (their permissions; recorded in the history)")
    p.add_argument("--strict", action="store_true", help="refuse the whole file on the first schema error")
    p.add_argument("--partnership", metavar="SLUG", help="people: register them in this partnership")
    p.add_argument("--instrument", metavar="SLUG", help="responses: the survey instrument; xlsform: its slug")
    p.add_argument(
        "--role",
        default="volunteer",
        choices=["volunteer", "counterpart", "coordinator", "trainee", "mentor"],
        help="people: their role in --partnership",
    )
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export a table as CSV or XLSX (a programme's roll-up also as ADX or DHIS2)")
    p.add_argument("kind", choices=[*TABULAR_EXPORTS, *OTHER_EXPORTS])
    p.add_argument("name", nargs="?", metavar="SLUG", help="programme: the programme's slug")
    p.add_argument("--output", "-o", metavar="FILE", help="the file to write (a programme: standard output if none)")
    p.add_argument("--format", choices=["csv", "xlsx", "adx", "dhis2"])
    p.add_argument("--period", choices=["year", "quarter"], help="programme: roll up by year (default) or quarter")
    p.add_argument("--partnership", metavar="SLUG")
    p.add_argument("--user", help="export what this user may see (default: everything, with personal data)")
    iati = p.add_mutually_exclusive_group()
    iati.add_argument("--all", action="store_true", help="iati: publish every published partnership")
    iati.add_argument("--organisation", action="store_true", help="iati: the hub's IATI organisation file")
    iati.add_argument("--programme", metavar="SLUG", help="iati: publish the published partnerships of a programme")
    iati.add_argument(
        "--projects", action="store_true", help="iati: re-publish imported projects (of --partnership, or all)"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("analyze", help="run an analysis and print its figures as JSON or CSV")
    p.add_argument("analysis", choices=["mobility", "network", "impact", "vfm", "typology", "planner-backtest"])
    p.add_argument("--cutoff", type=int, help="planner-backtest: fit before this year, predict from it on")
    _scope_arguments(p)
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--output", "-o", metavar="FILE")
    p.add_argument("--user", help="analyse what this user may see (default: everything)")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("report", help="the report of a partnership or a programme (filters) as PDF and/or HTML")
    _scope_arguments(p)
    p.add_argument("--all", action="store_true", help="every partnership (the default when no filter is given)")
    p.add_argument("--pdf", metavar="FILE", help="write the PDF here")
    p.add_argument("--html", metavar="FILE", help="write the HTML here")
    p.add_argument("--user", help="report what this user may see (default: everything)")
    p.set_defaults(func=lambda a: _dispatch("healthlinks.web.reports:cmd_report", a))

    p = sub.add_parser("worker", help="run background tasks: imports, analyses and reports submitted from the pages")
    p.add_argument("--once", action="store_true", help="run the queued tasks, then stop")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between looks at the queue")
    p.set_defaults(func=lambda a: _dispatch("healthlinks.tasks.commands:cmd_worker", a))

    p = sub.add_parser("serve", help="serve the web application")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--production", action="store_true", help="gunicorn + whitenoise, settings from HEALTHLINKS_*")
    p.add_argument("--workers", type=int, help="--production: gunicorn workers (default 2×CPU+1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("revoke", help="end every session of a user and delete their API tokens")
    p.add_argument("username")
    p.add_argument("--deactivate", action="store_true", help="also deactivate the account")
    p.set_defaults(func=_ops("cmd_revoke"))

    p = sub.add_parser("backup", help="write the whole database (history included) and uploaded files to a zip")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_ops("cmd_backup"))

    p = sub.add_parser("restore", help="restore a backup into an empty database (SQLite or PostgreSQL)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_ops("cmd_restore"))

    p = sub.add_parser("erase", help="erase a person's personal data on request (history included)")
    p.add_argument("pseudo_id", metavar="PSEUDO_ID")
    p.add_argument("--user", help="the hub administrator carrying it out (recorded)")
    p.set_defaults(func=_ops("cmd_erase"))
    return parser


def _ops(name: str) -> Callable[[argparse.Namespace], int]:
    """Operations commands (revoke, backup, restore, erase) live in healthlinks.ops.commands."""

    def run(args: argparse.Namespace) -> int:
        return _dispatch(f"healthlinks.ops.commands:{name}", args)

    return run


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _django()
    from django.core.exceptions import ValidationError

    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ValidationError as exc:
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        if isinstance(detail, dict):
            text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in detail.items())
        else:
            text = " ".join(detail)
        print(f"healthlinks {args.command}: {text}", file=sys.stderr)
        return 2
    except (ValueError, LookupError) as exc:
        print(f"healthlinks {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
