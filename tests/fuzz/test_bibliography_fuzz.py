"""RIS and BibTeX reference lists: random bytes and broken copies of files written by EndNote, Zotero and the
parsers' own examples are imported or refused with BibliographyRejected (file, line and record named), never
anything else, and a refused file writes nothing; huge, deeply nested or runaway files in bounded time and memory."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthlinks.interchange.bibliography import BibliographyRejected, import_references
from tests.fixtures import EXTERNAL
from tests.fuzz.common import HOSTILE_CELLS, bounded, fuzz, load, mutated_bytes, probe, rejected_or_imported

pytestmark = pytest.mark.django_db
FILES = {
    "ris": sorted((EXTERNAL / "bibliography" / "ris").glob("*.ris")),
    "bibtex": sorted((EXTERNAL / "bibliography" / "bibtex").glob("*.bib")),
}
RIS_TAGS = ["TY", "AU", "TI", "T1", "PY", "Y1", "DA", "JO", "T2", "VL", "IS", "SP", "EP", "DO", "UR", "AB", "KW", "ER"]
BIB_FIELDS = ["title", "author", "year", "journal", "volume", "number", "pages", "doi", "url", "keywords"]


def _import(data: bytes, fmt: str, **kwargs):
    return rejected_or_imported(
        lambda: import_references(data, f"refs.{fmt}", fmt=fmt, user=None, **kwargs), BibliographyRejected
    )


def test_the_starting_files_import(db):
    for fmt, paths in FILES.items():
        for path in paths:
            assert _import(path.read_bytes(), fmt)[0] == "imported", path.name


@fuzz(25)
@given(data=st.binary(max_size=2048), fmt=st.sampled_from(["ris", "bibtex"]))
def test_random_bytes_are_refused_or_hold_nothing_readable(db, data, fmt):
    outcome, result = _import(data, fmt)
    if outcome == "rejected":
        assert all(e.reason for e in result.errors)


@fuzz(30)
@given(st.data())
def test_broken_files_are_imported_or_refused_cleanly(db, data):
    fmt = data.draw(st.sampled_from(["ris", "bibtex"]))
    raw = data.draw(st.sampled_from(FILES[fmt])).read_bytes()
    _import(data.draw(mutated_bytes(raw)), fmt, themes=data.draw(st.lists(st.sampled_from(HOSTILE_CELLS), max_size=2)))


@fuzz(25)
@given(st.data())
def test_any_field_may_hold_anything(db, data):
    value = data.draw(st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=60)))
    if data.draw(st.booleans()):
        tag = data.draw(st.sampled_from(RIS_TAGS[1:-1]))
        raw = f"TY  - JOUR\nTI  - A title\nPY  - 2020\n{tag}  - {value}\nER  - \n"
        fmt = "ris"
    else:
        field = data.draw(st.sampled_from(BIB_FIELDS))
        raw = f"@article{{key1,\n  title = {{A title}},\n  year = {{2020}},\n  {field} = {{{value}}}\n}}\n"
        fmt = "bibtex"
    _import(raw.encode("utf-8", "surrogatepass"), fmt)


SETUP = """
from healthlinks.interchange.bibliography import parse_bibtex, parse_ris
"""


@pytest.mark.parametrize(
    ("build", "call", "message"),
    [
        ("b'@article{k, title={' + b'{' * 100_000 + b'x' + b'}' * 100_000 + b'}}'", "parse_bibtex(data, 'r.bib')",
         None),
        ("b'@article{k, title={' + b'{' * 100_000 + b'x}'", "parse_bibtex(data, 'r.bib')", "not readable BibTeX"),
        ("b'@article{k, title={' + b'x' * 5_000_000 + b'}}'", "parse_bibtex(data, 'r.bib')", None),
        ("b'TY  - JOUR\\nTI  - ' + b'x' * 5_000_000 + b'\\nER  - \\n'", "parse_ris(data, 'r.ris')", None),
        ("b'TY  - JOUR\\nER  - \\n' * 500_000", "parse_ris(data, 'r.ris')", "more than 50000 records"),
        ("b'@misc{k,}\\n' * 500_000", "parse_bibtex(data, 'r.bib')", "more than 50000 entries"),
        ("b'x' * (20 * 1024 * 1024 + 1)", "parse_ris(data, 'r.ris')", "larger than 20 MB"),
        ("b'@string{a = \"' + b'x' * 1000 + b'\"}\\n' + b''.join(b'@string{a%d = a # a}\\n' % i for i in range(30))"
         " + b'@article{k, title = a29}'", "parse_bibtex(data, 'r.bib')", None),
    ],
    ids=["bib-deep-braces", "bib-unclosed-deep-braces", "bib-5MB-field", "ris-5MB-line", "ris-500k-records",
         "bib-500k-entries", "ris-over-20MB", "bib-string-expansion"],
)  # fmt: skip
def test_huge_and_deep_files_are_read_or_refused_in_bounded_time_and_memory(tmp_path, build, call, message):
    outcome = probe(SETUP + load(build), call, tmp=tmp_path)
    if message is None:
        assert outcome["error"] in (None, "BibliographyRejected"), outcome
    else:
        assert outcome["error"] == "BibliographyRejected" and message in outcome["message"], outcome
    assert bounded(outcome), outcome
