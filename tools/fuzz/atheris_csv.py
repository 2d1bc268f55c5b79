"""Fuzz the CSV reader every tabular importer uses (people, stays, ties, activities, trainees, outcomes, costs...):
read_table returns a table or raises ImportRejected; nothing else. See tools/fuzz/harness.py."""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

harness.setup_django()
import atheris  # noqa: E402

with atheris.instrument_imports(include=["healthlinks.interchange.tabular"]):
    from healthlinks.interchange.tabular import catalogue
    from healthlinks.interchange.tabular.reader import ImportRejected, read_table
    from healthlinks.interchange.tabular.writer import write_table

KINDS = sorted(catalogue.COLUMNS)


def test_one_input(data: bytes) -> None:
    kind = KINDS[data[0] % len(KINDS)] if data else KINDS[0]
    try:
        read_table(
            io.BytesIO(data[1:]), columns=catalogue.COLUMNS[kind], required=catalogue.REQUIRED[kind], name="fuzz.csv"
        )
    except ImportRejected as exc:
        assert exc.errors and all(e.reason for e in exc.errors)


if __name__ == "__main__":
    harness.run(
        test_one_input,
        [bytes([i]) + write_table(catalogue.COLUMNS[k], catalogue.EXAMPLES[k], "csv") for i, k in enumerate(KINDS)],
    )
