"""REFI-QDA projects (.qdpx) and codebooks (.qdc): random bytes and broken copies of projects exported by ATLAS.ti
and QualCoder (damaged archives, damaged XML, odd attribute values) are imported or refused with QdaRejected, never
anything else, and a refused file writes nothing. Hostile archives and XML beyond those of
tests/interviews/test_refi_qda_hostile.py (ratio bomb, size, traversal, laughs, external entity): XML nested 10^5
deep, archives lying about their sizes, too many members, a 100 MB text."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthlinks.interchange.refi_qda.project import import_qdc, import_qdpx
from healthlinks.interchange.refi_qda.safe import QdaRejected
from tests.fixtures import EXTERNAL
from tests.fuzz import bombs
from tests.fuzz.common import bounded, fuzz, load, mutated_bytes, mutated_zip, probe, rejected_or_imported, zip_bytes

pytestmark = pytest.mark.django_db
PROJECTS = sorted((EXTERNAL / "refi_qda").glob("*.qdpx"))
WEIGHTED = [p for p in PROJECTS for _ in range(1 if p.stat().st_size > 20_000 else 3)]  # the big one is slow
ODD_VALUES = [
    "", "-1", "0", "99999999999999999999999999", "1e9", "{00000000-0000-0000-0000-000000000000}", "x" * 5000,
    "6F9619FF-8B86-D011-B42D-00C04FC964FF", "#GGGGGG", "#FFF", "\u202e", "true", "2", "&amp;", "internal://../x.txt",
    "relative://x.txt", "file:///etc/passwd",
]  # fmt: skip


@pytest.fixture
def world(make_partnership):
    return {"p": make_partnership(name="Leeds Gulu")}


def _qdpx(data: bytes, world):
    return rejected_or_imported(lambda: import_qdpx(data, "p.qdpx", partnership=world["p"], user=None), QdaRejected)


def test_the_starting_projects_import(world):
    for path in PROJECTS:
        assert _qdpx(path.read_bytes(), world)[0] == "imported", path.name


@fuzz(40)
@given(data=st.one_of(st.binary(max_size=2048), st.binary(max_size=256).map(lambda b: b"PK\x03\x04" + b)))
def test_random_bytes_are_refused_cleanly(world, data):
    assert _qdpx(data, world)[0] == "rejected"
    assert rejected_or_imported(lambda: import_qdc(data, "c.qdc", user=None), QdaRejected)[0] == "rejected"


@fuzz(25)
@given(st.data())
def test_broken_projects_are_imported_or_refused_cleanly(world, data):
    raw = data.draw(st.sampled_from(WEIGHTED)).read_bytes()
    _qdpx(data.draw(mutated_zip(raw)), world)


@fuzz(25)
@given(st.data())
def test_any_attribute_may_hold_anything(world, data):
    """One to three attribute values of project.qde replaced (positions, guids, colours, paths) in a sound archive."""
    raw = data.draw(st.sampled_from(WEIGHTED)).read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(raw))
    members = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    qde = next(name for name in members if name.lower() == "project.qde")
    text = members[qde].decode("utf-8")
    spans = [m.span(1) for m in re.finditer(r'="([^"]*)"', text)]
    for _ in range(data.draw(st.integers(1, 3))):
        start, end = data.draw(st.sampled_from(spans))
        value = data.draw(st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=20)))
        value = value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        text = text[:start] + value + text[end:]
        spans = [m.span(1) for m in re.finditer(r'="([^"]*)"', text)]
    members[qde] = text.encode("utf-8", "surrogatepass")
    _qdpx(zip_bytes(members), world)


@pytest.fixture
def starter_codebook(world) -> bytes:
    """The starter codebook as a .qdc, exported once: the examples below import into the same database, so the
    bytes they break must not depend on it."""
    from healthlinks.interchange.refi_qda.project import export_qdc
    from healthlinks.interviews import services

    services.codebook_load_starter()
    return export_qdc()


@fuzz(25)
@given(st.data())
def test_broken_codebooks_are_imported_or_refused_cleanly(starter_codebook, data):
    codebook = data.draw(mutated_bytes(starter_codebook))
    rejected_or_imported(lambda: import_qdc(codebook, "c.qdc", user=None), QdaRejected)


def test_duplicate_guids_in_one_project_are_refused_or_imported_without_error(world):
    """The same coding guid twice (hand-edited files, buggy exporters)."""
    for path in PROJECTS:
        archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
        members = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
        qde = next(name for name in members if name.lower() == "project.qde")
        text = members[qde].decode("utf-8")
        for element in ("Coding", "PlainTextSelection", "Code", "TextSource"):
            guids = re.findall(rf'<{element} guid="([^"]+)"', text)
            if len(guids) >= 2:
                members[qde] = text.replace(guids[1], guids[0]).encode("utf-8")
                _qdpx(zip_bytes(members), world)


# --- resources, each in a fresh process -----------------------------------------------------------------------

GUID = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
MINIMAL = (
    '<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
    f'<CodeBook><Codes><Code guid="{GUID}" name="c" isCodable="true"/></Codes></CodeBook></Project>'
)
SETUP = f"""
from healthlinks.interchange.refi_qda.project import import_qdc, import_qdpx
from healthlinks.registry.models import Partnership
MINIMAL = {MINIMAL!r}
"""
QDPX = "import_qdpx(data, 'p.qdpx', partnership=Partnership(pk=1, name='p'), user=None)"


@pytest.mark.parametrize(
    ("build", "call", "message"),
    [
        ("bombs.deep_xml('Project', 'Code', 100_000, ' xmlns=\"urn:QDA-XML:project:1.0\" name=\"x\"')",
         "import_qdc(data, 'c.qdc', user=None)", "not well-formed XML"),
        ("bombs.zip_of({'project.qde': bombs.deep_xml('Project', 'Sources', 100_000, "
         "' xmlns=\"urn:QDA-XML:project:1.0\" name=\"x\"')}, method=0)", QDPX, "not well-formed XML"),
        ("bombs.lie_about_sizes(bombs.zip_of({'project.qde': MINIMAL.encode(), "
         "'sources/t.txt': bombs._repeat(b'', b'a' * 1024, 60 * 1024, b'')}), 'sources/t.txt')", QDPX,
         "damaged archive member"),
        ("bombs.zip_of({'project.qde': MINIMAL.encode(), **{f'sources/{i}.txt': b'x' for i in range(5001)}})", QDPX,
         "more than 5000"),
        ("bombs.zip_of({'project.qde': MINIMAL.encode(), "
         "'sources/t.txt': bombs._repeat(b'', bytes(range(256)) * 4, 110 * 1024, b'')}, method=0)", QDPX,
         "too large once unpacked"),
    ],
    ids=["qdc-deep-xml", "qdpx-deep-xml", "qdpx-lying-sizes", "qdpx-too-many-members", "qdpx-110MB-text"],
)  # fmt: skip
def test_hostile_projects_are_refused_in_bounded_time_and_memory(tmp_path, build, call, message):
    outcome = probe(SETUP + load(build, MINIMAL=MINIMAL), call, tmp=tmp_path)
    assert outcome["error"] == "QdaRejected" and message in outcome["message"], outcome
    assert bounded(outcome), outcome


def test_the_deep_xml_builder_nests_as_asked():
    assert bombs.deep_xml("a", "b", 3) == b'<?xml version="1.0"?><a><b><b><b></b></b></b></a>'
