"""Fuzz the XLSX path of the tabular reader: the zip/XML guard (check_workbook) and python-calamine behind it.
read_table returns a table or raises ImportRejected; nothing else, and the process never aborts (a sheet reaching
XFD1048576 made calamine abort it). See tools/fuzz/harness.py."""

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


def test_one_input(data: bytes) -> None:
    try:
        read_table(io.BytesIO(data), columns=catalogue.COLUMNS["people"], required=[], name="fuzz.xlsx")
    except ImportRejected as exc:
        assert exc.errors and all(e.reason for e in exc.errors)


if __name__ == "__main__":
    harness.run(
        test_one_input,
        [write_table(catalogue.COLUMNS[k], catalogue.EXAMPLES[k], "xlsx") for k in sorted(catalogue.COLUMNS)]
        + harness.fixture_bytes("xlsform/forms/*.xlsx"),
    )
