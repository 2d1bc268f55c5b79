"""IATI activity files: random bytes and broken copies of published files never raise (the importer reports a
refusal instead, import_iati's contract) and a refused file writes nothing; activities it skips are listed. XML
nested 10^5 deep and a 100 MB text node are refused in bounded time and memory. (Billion laughs, external
entities and DTDs: tests/interchange/iati/test_import.py.)"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthlinks.interchange.iati.importer import import_iati
from tests.fixtures import EXTERNAL
from tests.fuzz.common import HOSTILE_CELLS, bounded, fuzz, load, mutated_bytes, probe, table_counts

pytestmark = pytest.mark.django_db
FILES = sorted((EXTERNAL / "iati").rglob("*.xml"))


def _import(data: bytes):
    """import_iati never raises for bad content; a refused file leaves every table as it was."""
    before = table_counts()
    upload = io.BytesIO(data)
    upload.name = "activities.xml"
    report = import_iati(upload, name="activities.xml")
    if report.refused is not None:
        assert str(report.refused).strip()
        assert table_counts() == before, f"refused ({report.refused}) but rows were written"
    return report


def test_the_starting_files_import(db):
    for path in FILES:
        report = _import(path.read_bytes())
        assert report.refused is None or "invalid" in path.parts, (path.name, report.refused)


@fuzz(25)
@given(data=st.binary(max_size=2048))
def test_random_bytes_are_refused_cleanly(db, data):
    assert _import(data).refused is not None


@fuzz(25)
@given(st.data())
def test_broken_files_are_imported_or_refused_cleanly(db, data):
    raw = data.draw(st.sampled_from(FILES)).read_bytes()
    _import(data.draw(mutated_bytes(raw)))


@fuzz(25)
@given(st.data())
def test_any_attribute_or_text_may_hold_anything(db, data):
    """Values of attributes (dates, codes, percentages, currencies, amounts) and texts replaced in a sound file."""
    text = data.draw(st.sampled_from(FILES)).read_text("utf-8")
    for _ in range(data.draw(st.integers(1, 4))):
        spans = [m.span(1) for m in re.finditer(r'="([^"]*)"|>([^<>]+)</', text) if m.start(1) >= 0]
        start, end = data.draw(st.sampled_from(spans))
        value = data.draw(st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=30)))
        value = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        text = text[:start] + value + text[end:]
    _import(text.encode("utf-8", "surrogatepass"))


HEAD = '<iati-activities version="2.03"><iati-activity><iati-identifier>'
TAIL = "</iati-identifier></iati-activity></iati-activities>"
SETUP = """
import io
from healthlinks.interchange.iati.reader import ActivityReader
"""


@pytest.mark.parametrize(
    ("build", "message"),
    [
        ("bombs.deep_xml('iati-activities', 'iati-activity', 100_000, ' version=\"2.03\"')", "not well-formed XML"),
        ("(HEAD + 'x' * 100_000_000 + TAIL).encode()", "not well-formed XML"),
    ],
    ids=["deep-xml", "100MB-text"],
)  # fmt: skip
def test_deep_or_huge_xml_is_refused_in_bounded_time_and_memory(tmp_path, build, message):
    data = load(build, HEAD=HEAD, TAIL=TAIL)
    outcome = probe(SETUP + data, "list(ActivityReader(io.BytesIO(data)))", tmp=tmp_path, django=False)
    assert outcome["error"] == "FileRefused" and message in outcome["message"], outcome
    assert bounded(outcome), outcome
