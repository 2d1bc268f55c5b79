"""Fuzz the REFI-QDA readers: the archive guard (read_zip), the XML parser without DTDs (parse_xml) and the
schema check, for projects (.qdpx) and codebooks (.qdc). Each returns or raises QdaRejected; nothing else.
See tools/fuzz/harness.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

harness.setup_django()
import atheris  # noqa: E402

with atheris.instrument_imports(include=["healthlinks.interchange.refi_qda"]):
    from healthlinks.interchange.refi_qda.safe import QdaRejected, parse_xml, read_zip, validate


def test_one_input(data: bytes) -> None:
    try:
        if data[:1] == b"P":  # an archive
            members = read_zip(data, "fuzz.qdpx")
            qde = next((k for k in members if k.lower() == "project.qde"), None)
            if qde is not None:
                validate(parse_xml(members[qde], "project.qde"), "Project", "project.qde")
        else:
            validate(parse_xml(data, "fuzz.qdc"), "Codebook", "fuzz.qdc")
    except QdaRejected as exc:
        assert exc.errors and all(e.reason for e in exc.errors)


if __name__ == "__main__":
    import io
    import zipfile

    seeds = harness.fixture_bytes("refi_qda/*.qdpx")
    for project in list(seeds):
        archive = zipfile.ZipFile(io.BytesIO(project))
        seeds += [archive.read(n) for n in archive.namelist() if n.lower() == "project.qde"]
    harness.run(test_one_input, seeds)
