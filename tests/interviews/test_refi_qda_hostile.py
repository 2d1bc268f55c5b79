"""Hostile .qdpx/.qdc files are refused with a clear error and nothing is written."""

from __future__ import annotations

import io
import zipfile

import pytest

from healthlinks.interchange.refi_qda import safe
from healthlinks.interchange.refi_qda.project import import_qdc, import_qdpx
from healthlinks.interchange.refi_qda.safe import QdaRejected
from healthlinks.interviews.models import Code, Segment, Source

GUID = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
MINIMAL = (
    '<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">'
    f'<CodeBook><Codes><Code guid="{GUID}" name="c" isCodable="true"/></Codes></CodeBook></Project>'
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _nothing_written():
    return Code.objects.count() == 0 and Source.objects.count() == 0 and Segment.objects.count() == 0


def test_zip_bomb_is_refused_by_ratio(qda_world):
    data = _zip({"project.qde": MINIMAL.encode(), "sources/big.txt": b"0" * (30 * 1024 * 1024)})
    with pytest.raises(QdaRejected, match="zip bomb"):
        import_qdpx(data, "bomb.qdpx", partnership=qda_world["p"], user=None)
    assert _nothing_written()


def test_archive_larger_than_the_limit_once_unpacked_is_refused(qda_world, monkeypatch):
    monkeypatch.setattr(safe, "MAX_TOTAL_BYTES", 1000)
    data = _zip({"project.qde": MINIMAL.encode(), "sources/a.txt": "é".join(str(i) for i in range(900)).encode()})
    with pytest.raises(QdaRejected, match="too large once unpacked"):
        import_qdpx(data, "big.qdpx", partnership=qda_world["p"], user=None)
    assert _nothing_written()


@pytest.mark.parametrize("member", ["../evil.txt", "/etc/passwd", "sources/../../x.txt", "C:/x.txt", "a\\..\\b"])
def test_path_traversal_in_member_names_is_refused(qda_world, member):
    data = _zip({"project.qde": MINIMAL.encode(), member: b"x"})
    with pytest.raises(QdaRejected, match="unsafe path") as info:
        import_qdpx(data, "trav.qdpx", partnership=qda_world["p"], user=None)
    assert member in str(info.value)
    assert _nothing_written()


def test_entity_expansion_is_refused(qda_world):
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>'
    )
    with pytest.raises(QdaRejected, match="entity"):
        import_qdpx(_zip({"project.qde": lol.encode()}), "lol.qdpx", partnership=qda_world["p"], user=None)
    with pytest.raises(QdaRejected, match="entity"):
        import_qdc(lol.encode(), "lol.qdc", user=None)
    assert _nothing_written()


def test_external_entity_is_refused(qda_world):
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
    )
    with pytest.raises(QdaRejected, match="DOCTYPE"):
        import_qdpx(_zip({"project.qde": xxe.encode()}), "xxe.qdpx", partnership=qda_world["p"], user=None)


def test_schema_errors_name_the_line(qda_world):
    bad = MINIMAL.replace('isCodable="true"', "").replace("><Code", ">\n<Code")
    with pytest.raises(QdaRejected) as info:
        import_qdpx(_zip({"project.qde": bad.encode()}), "bad.qdpx", partnership=qda_world["p"], user=None)
    assert "line 4" in str(info.value) and "isCodable" in str(info.value)  # <Code> is on the 4th line
    assert _nothing_written()


def test_selection_outside_the_text_is_refused_with_its_line_and_nothing_written(qda_world):
    project = MINIMAL.replace(
        "</Project>",
        f'<Sources><TextSource guid="{GUID.replace("F", "A")}" name="t" plainTextPath="internal://t.txt">\n'
        f'<PlainTextSelection guid="{GUID.replace("F", "B")}" startPosition="2" endPosition="99">'
        f'<Coding guid="{GUID.replace("F", "C")}"><CodeRef targetGUID="{GUID}"/></Coding>'
        "</PlainTextSelection></TextSource></Sources></Project>",
    )
    data = _zip({"project.qde": project.encode(), "sources/t.txt": b"short text"})
    with pytest.raises(QdaRejected) as info:
        import_qdpx(data, "range.qdpx", partnership=qda_world["p"], user=None)
    assert "line 2" in str(info.value) and "outside the text" in str(info.value)
    assert _nothing_written()


def test_not_a_zip_and_missing_project_are_explained(qda_world):
    with pytest.raises(QdaRejected, match="not a zip"):
        import_qdpx(b"hello", "x.qdpx", partnership=qda_world["p"], user=None)
    with pytest.raises(QdaRejected, match="no project.qde"):
        import_qdpx(_zip({"other.xml": b"<a/>"}), "x.qdpx", partnership=qda_world["p"], user=None)
