"""Fuzz the IATI activity reader (streamed, DTDs refused, schema and codelists checked): iterating ActivityReader
yields activities or raises FileRefused; nothing else. See tools/fuzz/harness.py."""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

harness.setup_django()
import atheris  # noqa: E402

with atheris.instrument_imports(include=["healthlinks.interchange.iati"]):
    from healthlinks.interchange.iati.reader import ActivityReader, FileRefused


def test_one_input(data: bytes) -> None:
    try:
        for _activity in ActivityReader(io.BytesIO(data)):
            pass
    except FileRefused as exc:
        assert exc.reason


if __name__ == "__main__":
    harness.run(test_one_input, harness.fixture_bytes("iati/*/*.xml"))
