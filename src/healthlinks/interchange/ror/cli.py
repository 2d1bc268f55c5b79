"""`healthlinks import ror FILE...` (plugged into cli.py's tables)."""

from __future__ import annotations

import argparse
from pathlib import Path


def import_ror_files(args: argparse.Namespace) -> int:
    from healthlinks.commandline import import_files, user_named
    from healthlinks.interchange.ror import RorRejected, import_ror

    user = user_named(args.user)
    return import_files(
        args.files, lambda path: import_ror(Path(path).read_bytes(), Path(path).name, user=user), RorRejected
    )
