"""Shared set-up of the atheris harnesses (tools/fuzz/atheris_*.py): Django settings, coverage instrumentation of
Healthlinks' readers, a seed corpus of real files, and the rule every harness checks: a reader either returns or
raises its documented rejection; any other exception is a crash, which atheris reports with the input that caused
it (written to crash-<sha1> in the current folder).

    ./.venv/bin/python tools/fuzz/atheris_csv.py -runs=20000           # seeds from the project's own files
    ./.venv/bin/python tools/fuzz/atheris_csv.py -max_total_time=600 my_corpus/
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = ROOT / "tests" / "fixtures" / "external"
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthlinks.settings")
os.environ.setdefault("HEALTHLINKS_VAR_DIR", tempfile.mkdtemp(prefix="healthlinks-fuzz-"))


def setup_django() -> None:
    import django

    django.setup()


def run(
    test_one_input: Callable[[bytes], None],
    seeds: Iterable[bytes],
    *,
    max_len: int = 256 * 1024,
) -> None:
    """Start libFuzzer. Without a corpus folder on the command line, a temporary one is seeded with `seeds`."""
    import atheris

    argv = list(sys.argv)
    if not any(not a.startswith("-") for a in argv[1:]):
        corpus = Path(tempfile.mkdtemp(prefix="corpus-"))
        for i, seed in enumerate(seeds):
            (corpus / f"seed-{i}").write_bytes(seed)
        argv.append(str(corpus))
    if not any(a.startswith("-max_len=") for a in argv):
        argv.append(f"-max_len={max_len}")
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def fixture_bytes(*patterns: str) -> list[bytes]:
    return [p.read_bytes() for pattern in patterns for p in sorted(EXTERNAL.glob(pattern))]
