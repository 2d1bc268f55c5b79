"""The operations subcommands of the `healthlinks` console script (wired in cli.py)."""

from __future__ import annotations

import argparse


def cmd_revoke(args: argparse.Namespace) -> int:
    from healthlinks.ops.sessions import user_revoke

    print(user_revoke(username=args.username, deactivate=args.deactivate))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from healthlinks.commandline import progress
    from healthlinks.ops.backup import backup

    print(backup(args.file, progress=None if args.quiet else progress))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import sys

    from healthlinks.commandline import progress
    from healthlinks.ops.backup import RestoreRefused, restore

    try:
        result = restore(args.file, progress=None if args.quiet else progress)
    except RestoreRefused as exc:
        print(f"healthlinks restore: {exc}; nothing was written", file=sys.stderr)
        return 1
    print(result)
    return 0


def cmd_erase(args: argparse.Namespace) -> int:
    from healthlinks.commandline import user_named
    from healthlinks.ops.erasure import person_erase

    erasure = person_erase(by=user_named(args.user), pseudo_id=args.pseudo_id)
    print(f"{erasure.pseudo_id}: personal data erased ({erasure.rows} rows scrubbed, history included)")
    return 0
