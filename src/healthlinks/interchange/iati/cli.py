"""`healthlinks import iati FILE_OR_URL...` and `healthlinks export iati (--partnership SLUG | --programme SLUG | --all
| --organisation | --projects [--partnership SLUG]) -o FILE`."""

from __future__ import annotations

import argparse
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

MAX_DOWNLOAD = 2 * 1024 * 1024 * 1024  # 2 GB
DOWNLOAD_TIMEOUT = 60


def _download(url: str) -> Path:
    """Stream an http(s) URL to a temporary file (the caller deletes it)."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"{url}: only http and https URLs are read")
    request = urllib.request.Request(url, headers={"User-Agent": "healthlinks-iati-import"})  # noqa: S310
    with (
        urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response,  # noqa: S310
        tempfile.NamedTemporaryFile(prefix="iati-", suffix=".xml", delete=False) as tmp,
    ):
        copied = 0
        try:
            while chunk := response.read(1024 * 1024):
                copied += len(chunk)
                if copied > MAX_DOWNLOAD:
                    raise ValueError(f"{url}: larger than {MAX_DOWNLOAD // 1024**3} GB")
                tmp.write(chunk)
        except BaseException:
            Path(tmp.name).unlink(missing_ok=True)
            raise
        return Path(tmp.name)


def run_import(args: argparse.Namespace) -> int:
    from healthlinks.commandline import user_named
    from healthlinks.interchange.iati.importer import ImportNotAllowed, import_iati

    user = user_named(args.user)
    status = 0
    totals = {"imported": 0, "with_warnings": 0, "skipped": 0, "refused": 0}
    for source in args.files:
        path: Path | None = None
        temporary = False
        try:
            if source.lower().startswith(("http://", "https://")):
                path, temporary = _download(source), True
            else:
                path = Path(source)
                if not path.is_file():
                    print(f"{source}: no such file", file=sys.stderr)
                    status = 1
                    totals["refused"] += 1
                    continue
            report = import_iati(
                str(path),
                user=user,
                strict=bool(getattr(args, "strict", False)),
                name=source,
                pause_collector=True,  # this command runs nothing else meanwhile
            )
        except ImportNotAllowed as exc:
            print(f"{source}: {exc}", file=sys.stderr)
            return 2
        except (OSError, ValueError) as exc:
            print(f"{source}: not imported, nothing written: {exc}", file=sys.stderr)
            totals["refused"] += 1
            status = 1
            continue
        finally:
            if temporary and path is not None:
                path.unlink(missing_ok=True)
        if report.refused is not None:
            print(str(report), file=sys.stderr)
            totals["refused"] += 1
            status = 1
            continue
        print(report)
        for skipped in report.skipped:
            print(f"  {skipped}")
        for issue in report.warnings:
            print(f"  warning: {issue}")
        if report.warnings_total > len(report.warnings):
            print(f"  ... and {report.warnings_total - len(report.warnings)} more warnings")
        for identifier in report.held:
            print(f"  held for review (no partnership yet): {identifier}")
        for note in report.notes:
            print(f"  note: {note}")
        totals["imported"] += report.imported
        totals["with_warnings"] += report.imported_with_warnings
        totals["skipped"] += len(report.skipped)
        if status != 1:
            status = max(status, report.status)
    if len(args.files) > 1:
        print(
            f"total: {totals['imported']} imported, {totals['with_warnings']} imported with warnings, "
            f"{totals['skipped']} skipped, {totals['refused']} files refused"
        )
    return status


def run_export(args: argparse.Namespace) -> int:
    """`--partnership SLUG` or `--all`: publish partnerships (what they do) as IATI activities; `--organisation`:
    the hub's organisation file; `--projects [--partnership SLUG]`: re-publish imported projects as they were."""
    if getattr(args, "projects", False):
        return _export_projects(args)
    wanted = (args.partnership, getattr(args, "programme", None), getattr(args, "all", False))
    if not (any(wanted) or getattr(args, "organisation", False)):
        raise ValueError("export iati: give --partnership SLUG, --programme SLUG, --all, --organisation or --projects")
    return _publish(args)


def _publish(args: argparse.Namespace) -> int:
    from healthlinks.commandline import partnership_named
    from healthlinks.interchange.iati.publish import (
        NothingToPublish,
        publish_organisation,
        publish_partnerships,
        publisher_from_settings,
    )
    from healthlinks.registry.models import Publication
    from healthlinks.registry.selectors import live_partnerships

    if args.user:
        raise ValueError("export iati: --user is for --projects; partnerships are published only when published")
    target = Path(args.output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        publisher = publisher_from_settings()
        if args.organisation:
            if args.partnership:
                raise ValueError("export iati: --organisation covers the whole hub; leave out --partnership")
            published = live_partnerships().filter(publication=Publication.PUBLISHED)
            with open(partial, "wb") as out:
                left_out = publish_organisation(published, publisher=publisher, out=out)
            partial.replace(target)
            print(f"IATI organisation file of {publisher.ref} written to {target} (IATI 2.03)")
        else:
            if args.partnership:
                chosen = [partnership_named(args.partnership)]
            elif getattr(args, "programme", None):
                chosen = programme_partnerships(args.programme)
            else:
                chosen = list(live_partnerships().filter(publication=Publication.PUBLISHED).order_by("slug"))
            with open(partial, "wb") as out:
                left_out = publish_partnerships(chosen, publisher=publisher, out=out)
            partial.replace(target)
            print(
                f"{left_out.activities} IATI activities ({left_out.partnerships} partnerships and their projects) "
                f"written to {target} (IATI 2.03)"
            )
    except NothingToPublish as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        partial.unlink(missing_ok=True)
    if left_out:
        print(f"{len(left_out)} things were not published:", file=sys.stderr)
        for note in left_out:
            print(f"  {note}", file=sys.stderr)
    return 0


def programme_partnerships(slug: str) -> list[Any]:
    """The partnerships of the programme `slug` (drafts included: publishing lists them as left out)."""
    from healthlinks.programmes.models import Programme
    from healthlinks.registry.selectors import live_partnerships

    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        raise ValueError(f"--programme: no programme with slug {slug!r}")
    return list(live_partnerships().filter(programmes=programme).order_by("slug"))


def _export_projects(args: argparse.Namespace) -> int:
    from healthlinks.commandline import user_named
    from healthlinks.interchange.iati.exporter import export_projects
    from healthlinks.projects.models import Project
    from healthlinks.projects.selectors import projects_visible_to
    from healthlinks.registry.models import Partnership

    user = user_named(args.user)
    qs = projects_visible_to(user) if user is not None else Project.objects.all()
    qs = qs.filter(partnership__isnull=False)  # held for review: not published until placed in a partnership
    if args.partnership:
        if not Partnership.objects.filter(slug=args.partnership).exists():
            raise ValueError(f"--partnership: no partnership with slug {args.partnership!r}")
        qs = qs.filter(partnership__slug=args.partnership)
    if not qs.exists():  # a file with no iati-activity would not be valid IATI: nothing is written
        print("nothing to publish: no project selected; no file written", file=sys.stderr)
        return 1
    left_out: list[str] = []
    with open(args.output, "wb") as out:
        count = export_projects(qs, out, left_out)
    print(f"{count} IATI activities written to {args.output} (IATI 2.03)")
    if left_out:
        print(f"{len(left_out)} parts the standard cannot carry as recorded were left out:", file=sys.stderr)
        for note in left_out:
            print(f"  {note}", file=sys.stderr)
    return 0
