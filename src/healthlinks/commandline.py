"""What every command of the `healthlinks` console script shares, in one public module: the format packages'
commands (interchange/*/cli.py), the analyses' and the operations' use these instead of reaching into `cli`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any


class Operator:
    """The command line runs with the operator's full view unless --user narrows it."""

    is_authenticated = True
    is_hub_admin = True
    pk = None
    role = "hub_admin"


def progress(stage: str, done: int, total: int) -> None:
    """A progress bar on stderr: `stage [####......] done/total`."""
    width = 30
    filled = int(width * done / total) if total else width
    end = "\n" if done >= total else ""
    print(
        f"\r{stage:<14} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True
    )


def user_named(username: str | None) -> Any:
    """The user of --user (None when not given); an unknown name is an error that says so."""
    if not username:
        return None
    from healthlinks.accounts.models import User

    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise ValueError(f"--user: no user named {username!r}") from None


def partnership_named(slug: str | None, *, required: str = "") -> Any:
    """The partnership of --partnership (None when not given); `required` says why it must be given."""
    from healthlinks.registry.models import Partnership

    if not slug:
        if required:
            raise ValueError(f"--partnership SLUG is required: {required}")
        return None
    try:
        return Partnership.objects.get(slug=slug)
    except Partnership.DoesNotExist:
        raise ValueError(f"--partnership: no partnership with slug {slug!r}") from None


def import_files(paths: Sequence[str], run: Callable[[str], Any], *rejected: type[Exception]) -> int:
    """Import each file on its own (all of it or nothing); report every error of a refused file with its
    location, and the counts and warnings of an imported one. Exit status 1 if any file was refused."""
    status = 0
    for path in paths:
        try:
            result = run(path)
        except FileNotFoundError:
            print(f"{path}: no such file", file=sys.stderr)
            status = 1
            continue
        except rejected as exc:
            errors = list(getattr(exc, "errors", [exc]))
            print(f"{path}: not imported, nothing written ({len(errors)} errors):", file=sys.stderr)
            for error in errors:
                print(f"  {error}", file=sys.stderr)
            status = 1
            continue
        print(result)
        for warning in getattr(result, "warnings", []):
            print(f"  warning: {warning}")
    return status
