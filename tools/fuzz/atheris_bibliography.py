"""Fuzz the RIS and BibTeX readers: parse_ris / parse_bibtex return records or raise BibliographyRejected;
nothing else. See tools/fuzz/harness.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

harness.setup_django()
import atheris  # noqa: E402

with atheris.instrument_imports(include=["healthlinks.interchange.bibliography", "rispy", "bibtexparser"]):
    from healthlinks.interchange.bibliography import BibliographyRejected, parse_bibtex, parse_ris


def test_one_input(data: bytes) -> None:
    parse = parse_bibtex if data[:1] == b"@" else parse_ris
    try:
        parse(data, "fuzz")
    except BibliographyRejected as exc:
        assert exc.errors and all(e.reason for e in exc.errors)


if __name__ == "__main__":
    harness.run(test_one_input, harness.fixture_bytes("bibliography/ris/*.ris", "bibliography/bibtex/*.bib"))
