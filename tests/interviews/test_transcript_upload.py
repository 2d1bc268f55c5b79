"""Transcripts arrive as pasted text, .txt or .docx; the codebook page loads the starter codebook."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from healthlinks.interviews.models import Code, Source


def _docx(paragraphs):
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_transcript_becomes_plain_text(qda_world, client_for):
    data = _docx(["Speaker A: The link began in 2012.", "Speaker B: Funding was short."])
    response = client_for(qda_world["coordinator"]).post(
        "/interviews/sources/new/",
        {
            "partnership": qda_world["p"].slug,
            "title": "Docx one",
            "language": "en",
            "file": SimpleUploadedFile("t.docx", data),
        },
    )
    assert response.status_code == 302
    source = Source.objects.get(title="Docx one")
    assert source.content == "Speaker A: The link began in 2012.\nSpeaker B: Funding was short."
    assert source.partnership == qda_world["p"]


def test_txt_in_windows_1252_and_pasted_text(qda_world, client_for):
    client = client_for(qda_world["coordinator"])
    client.post(
        "/interviews/sources/new/",
        {
            "partnership": qda_world["p"].slug,
            "title": "cp",
            "file": SimpleUploadedFile("t.txt", "Café talk".encode("cp1252")),
        },
    )
    client.post(
        "/interviews/sources/new/", {"partnership": qda_world["p"].slug, "title": "pasted", "content": "Pasted words"}
    )
    assert Source.objects.get(title="cp").content == "Café talk"
    assert Source.objects.get(title="pasted").content == "Pasted words"


def test_broken_docx_and_other_partnership_are_refused(qda_world, client_for):
    client = client_for(qda_world["coordinator"])
    response = client.post(
        "/interviews/sources/new/",
        {"partnership": qda_world["p"].slug, "file": SimpleUploadedFile("t.docx", b"not a zip")},
    )
    assert "not a readable .docx" in response.content.decode()
    response = client.post("/interviews/sources/new/", {"partnership": qda_world["q"].slug, "content": "x"})
    assert "choose one of your partnerships" in response.content.decode()
    assert Source.objects.count() == 0


def test_codebook_page_loads_starter_and_edits(qda_world, client_for):
    client = client_for(qda_world["coordinator"])
    client.post("/interviews/codes/", {"action": "starter"})
    assert Code.objects.count() == 24
    parent = Code.objects.get(name="Challenges")
    client.post(
        "/interviews/codes/",
        {"name": "Language", "parent": parent.pk, "colour": "#123456", "description": "Working in a second language"},
    )
    assert Code.objects.get(name="Language").parent == parent
    member = client_for(qda_world["member"])
    assert member.post("/interviews/codes/", {"action": "starter"}).status_code == 403
    assert "Language" in member.get("/interviews/codes/").content.decode()


def test_speakers_are_added_by_coordinators(qda_world, client_for):
    source = Source.objects.create(partnership=qda_world["p"], title="s", content="Speaker A: hello")
    client_for(qda_world["member"]).post(f"/interviews/sources/{source.pk}/speakers/", {"label": "Speaker A"})
    assert source.speakers.count() == 0
    client_for(qda_world["coordinator"]).post(
        f"/interviews/sources/{source.pk}/speakers/", {"label": "Speaker A", "role": "trainee", "country": "UGA"}
    )
    assert source.speakers.get().role == "trainee"
