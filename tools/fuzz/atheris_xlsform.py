"""Fuzz the XLSForm reader (our checks, then pyxform): parse_xlsform returns a form or raises FormRejected;
nothing else. Slow per input (pyxform): run it for minutes, not seconds. See tools/fuzz/harness.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

harness.setup_django()
import atheris  # noqa: E402

with atheris.instrument_imports(include=["healthlinks.evaluation.xlsform", "healthlinks.evaluation.expressions"]):
    from healthlinks.evaluation.xlsform import FormRejected, parse_xlsform


def test_one_input(data: bytes) -> None:
    try:
        parse_xlsform(data, "fuzz.xlsx")
    except FormRejected as exc:
        assert exc.errors and all(e.message for e in exc.errors)


if __name__ == "__main__":
    harness.run(test_one_input, harness.fixture_bytes("xlsform/forms/*.xlsx"), max_len=64 * 1024)
