"""Real REFI-QDA projects written by other tools import with the counts their XML holds."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from healthlinks.interchange.refi_qda.project import export_qdpx, import_qdpx
from healthlinks.interviews.models import Code, Memo, Segment, Source
from tests.interviews.conftest import FIXTURES

NS = {"q": "urn:QDA-XML:project:1.0"}


def _expected(path):
    """Counted straight from the XML, independently of the importer."""
    with zipfile.ZipFile(path) as z:
        qde = next(n for n in z.namelist() if n.lower() == "project.qde")
        root = etree.fromstring(z.read(qde))
        names = {n.lower() for n in z.namelist()}
    codes = root.findall(".//q:CodeBook//q:Code", NS)
    spans = set()
    sources = 0
    for src in root.findall("q:Sources/q:TextSource", NS):
        path_ = src.get("plainTextPath", "").replace("internal://", "")
        if f"sources/{path_}".lower() not in names:
            continue
        sources += 1
        for sel in src.findall("q:PlainTextSelection", NS):
            for coding in sel.findall("q:Coding", NS):
                spans.add(
                    (
                        src.get("guid"),
                        coding.find("q:CodeRef", NS).get("targetGUID"),
                        sel.get("startPosition"),
                        sel.get("endPosition"),
                    )
                )
    return len(codes), sources, len(spans)


def test_qc_demo_project_imports_every_code_source_and_coding(qda_world):
    path = FIXTURES / "qc_demo_project.qdpx"
    n_codes, n_sources, n_segments = _expected(path)
    assert n_segments > 100  # the fixture is the one we think it is
    result = import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=qda_world["coordinator"])
    assert Code.objects.count() == n_codes
    assert Source.objects.count() == n_sources == 2
    assert Segment.objects.count() == n_segments
    # a segment's text is the passage the offsets point at in the source file
    with zipfile.ZipFile(path) as z:
        board = z.read("sources/board_2017.txt").decode("utf-8")
    segment = Segment.objects.filter(source__title="board_2017.txt").order_by("start").first()
    assert segment.text == board[segment.start : segment.end]
    assert result.counts["segments created"] == n_segments


def test_reimporting_the_same_project_changes_nothing(qda_world):
    path = FIXTURES / "qc_demo_project.qdpx"
    import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=None)
    before = (Code.objects.count(), Source.objects.count(), Segment.objects.count())
    again = import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=None)
    assert (Code.objects.count(), Source.objects.count(), Segment.objects.count()) == before
    assert again.counts["segments created"] == 0 and again.counts["codes created"] == 0


def test_atlas_ti_project_without_source_texts_imports_its_codebook_and_warns(qda_world):
    path = FIXTURES / "atlasti_standard_project.qdpx"
    n_codes, n_sources, _n = _expected(path)
    result = import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=None)
    assert Code.objects.count() == n_codes == 14
    assert Source.objects.count() == n_sources == 0
    assert any("not in the archive" in w for w in result.warnings)
    assert any("PDFSource" in w for w in result.warnings)
    assert Code.objects.get(name="Coke").description == "the breakfast of champions"
    assert Code.objects.get(name="Coke").colour == "#966450"


def test_export_of_an_imported_project_is_valid_and_reimports_elsewhere(qda_world):
    path = FIXTURES / "qc_demo_project.qdpx"
    import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=None)
    data = export_qdpx(Source.objects.all(), memos=Memo.objects.all())
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        assert "project.qde" in z.namelist()
        assert sum(1 for n in z.namelist() if n.startswith("sources/")) == 2


def test_importing_into_a_partnership_one_does_not_coordinate_is_refused(qda_world):
    from healthlinks.interchange.refi_qda.safe import QdaRejected

    path = FIXTURES / "qc_demo_project.qdpx"
    with pytest.raises(QdaRejected, match="may not import"):
        import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=qda_world["other"])
    with pytest.raises(QdaRejected):
        import_qdpx(path.read_bytes(), path.name, partnership=qda_world["p"], user=qda_world["member"])
    assert Code.objects.count() == 0


def test_upload_page_imports_a_project_and_lists_errors(qda_world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    path = FIXTURES / "qc_demo_project.qdpx"
    client = client_for(qda_world["coordinator"])
    response = client.post(
        "/interviews/import/",
        {"kind": "qdpx", "partnership": qda_world["p"].slug, "file": SimpleUploadedFile(path.name, path.read_bytes())},
        HTTP_HX_REQUEST="true",
    )
    assert "sources created" in response.content.decode() and Source.objects.count() == 2
    bad = client.post(
        "/interviews/import/", {"kind": "qdc", "file": SimpleUploadedFile("x.qdc", b"<oops")}, HTTP_HX_REQUEST="true"
    )
    assert "x.qdc, line 1" in bad.content.decode() and "Nothing was written" in bad.content.decode()
    # a member may not import; another coordinator may not import into this partnership
    assert client_for(qda_world["member"]).get("/interviews/import/").status_code == 403
    client_for(qda_world["other"]).post(
        "/interviews/import/",
        {"kind": "qdpx", "partnership": qda_world["p"].slug, "file": SimpleUploadedFile(path.name, path.read_bytes())},
    )
    assert Source.objects.filter(partnership=qda_world["q"]).count() == 0
