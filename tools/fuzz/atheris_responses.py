"""Fuzz the survey export reader (Kobo/Ona/ODK Central CSV, XLSX with repeat sheets, ODK's ZIP of CSVs): the
sheets are read or ImportRejected is raised; nothing else. See tools/fuzz/harness.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

harness.setup_django()
import atheris  # noqa: E402

with atheris.instrument_imports(include=["healthlinks.interchange.surveys", "healthlinks.interchange.tabular"]):
    from healthlinks.interchange.surveys.importer import _read
    from healthlinks.interchange.tabular.reader import ImportRejected

NAMES = ["export.csv", "export.xlsx", "export.zip"]


def test_one_input(data: bytes) -> None:
    name = NAMES[data[0] % len(NAMES)] if data else NAMES[0]
    try:
        _read(data[1:], name)
    except ImportRejected as exc:
        assert exc.errors and all(e.reason for e in exc.errors)


if __name__ == "__main__":
    from tests.fuzz.common import csv_bytes, xlsx_bytes, zip_bytes
    from tests.fuzz.test_surveys_fuzz import HEADER, ODK_KIDS, ODK_MAIN, ROWS

    harness.run(
        test_one_input,
        [
            b"\x00" + csv_bytes([HEADER, *ROWS]),
            b"\x01" + xlsx_bytes({"main": ODK_MAIN, "kids": ODK_KIDS}),
            b"\x02" + zip_bytes({"main.csv": csv_bytes(ODK_MAIN), "kids.csv": csv_bytes(ODK_KIDS)}),
            *(b"\x00" + s for s in harness.fixture_bytes("xlsform/submissions/*.csv")),
        ],
    )
