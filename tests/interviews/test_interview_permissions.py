"""Interview text only for the partnership's members and coordinators and hub admins; researchers see coded
segments without speakers, titles or memos; the public sees nothing."""

from __future__ import annotations

import pytest

from healthlinks.interviews.models import Segment
from healthlinks.registry.models import Publication

SECRET_BITS = ["UK consultant", "Speaker A", "Interview with Dr Secretname", "private memo"]


def _user(world, who):
    return None if who == "public" else world[who]


@pytest.mark.parametrize(
    ("who", "status"),
    [("public", 302), ("researcher", 404), ("other", 404), ("member", 200), ("coordinator", 200), ("admin", 200)],
)
def test_transcript_page(coded_world, client_for, who, status):
    response = client_for(_user(coded_world, who)).get(f"/interviews/sources/{coded_world['source'].pk}/")
    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert "no money for flights" in body and "UK consultant" in body and "private memo" in body


@pytest.mark.parametrize("who", ["researcher", "member", "coordinator", "admin"])
def test_segments_of_a_code(coded_world, client_for, who):
    body = client_for(coded_world[who]).get(f"/interviews/codes/{coded_world['funding'].pk}/").content.decode()
    assert "We had no money for flights, so funding" in body
    if who == "researcher":
        for secret in SECRET_BITS:
            assert secret not in body
        assert f"S-{coded_world['source'].pk}" in body
    else:
        assert "UK consultant" in body and "Interview with Dr Secretname" in body


def test_segments_of_a_code_public_and_other_partnership(coded_world, client_for):
    url = f"/interviews/codes/{coded_world['funding'].pk}/"
    assert client_for(None).get(url).status_code == 302
    body = client_for(coded_world["other"]).get(url).content.decode()
    assert "no money" not in body


def test_researcher_sees_no_segments_of_a_draft_partnership(coded_world, client_for):
    p = coded_world["p"]
    p.publication = Publication.DRAFT
    p.save()
    body = client_for(coded_world["researcher"]).get(f"/interviews/codes/{coded_world['funding'].pk}/").content.decode()
    assert "no money" not in body


@pytest.mark.parametrize(
    ("who", "sources", "segments", "speakers"),
    [
        ("public", 0, 0, False),
        ("researcher", 0, 3, False),
        ("other", 0, 0, False),
        ("member", 1, 3, True),
        ("coordinator", 1, 3, True),
        ("admin", 1, 3, True),
    ],
)
def test_api_scoping(coded_world, client_for, who, sources, segments, speakers):
    client = client_for(_user(coded_world, who))
    assert client.get("/api/v1/sources/").json()["count"] == sources
    data = client.get("/api/v1/segments/").json()
    assert data["count"] == segments
    if segments:
        texts = {r["text"] for r in data["results"]}
        assert any(t.startswith("We had no money") for t in texts)
        assert all((r["speaker"] is not None) == speakers for r in data["results"])
        assert "UK consultant" in str(data) if speakers else all(s not in str(data) for s in SECRET_BITS)


def test_api_codes_need_login(coded_world, client_for):
    assert client_for(None).get("/api/v1/codes/").json()["count"] == 0
    assert client_for(coded_world["researcher"]).get("/api/v1/codes/").json()["count"] == 24


@pytest.mark.parametrize(
    ("who", "status"),
    [("public", 302), ("researcher", 404), ("other", 404), ("member", 201), ("coordinator", 201), ("admin", 201)],
)
def test_coding_a_passage(coded_world, client_for, who, status):
    before = Segment.objects.count()
    response = client_for(_user(coded_world, who)).post(
        f"/interviews/sources/{coded_world['source'].pk}/segments/",
        {"code": coded_world["skills"].pk, "start": 0, "end": 11},
    )
    assert response.status_code == status
    assert Segment.objects.count() == before + (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["text"] == "Interviewer" and response.json()["count"] == 2


def test_coding_outside_the_text_is_refused(coded_world, client_for):
    response = client_for(coded_world["member"]).post(
        f"/interviews/sources/{coded_world['source'].pk}/segments/",
        {"code": coded_world["skills"].pk, "start": 5, "end": 10_000},
    )
    assert response.status_code == 400 and "after the text" in response.json()["error"]


@pytest.mark.parametrize(
    ("who", "status"), [("public", 302), ("researcher", 403), ("member", 403), ("coordinator", 200), ("admin", 200)]
)
def test_new_transcript_page(coded_world, client_for, who, status):
    assert client_for(_user(coded_world, who)).get("/interviews/sources/new/").status_code == status


@pytest.mark.parametrize(("who", "status"), [("public", 302), ("researcher", 200), ("member", 200), ("admin", 200)])
def test_analysis_page(coded_world, client_for, who, status):
    response = client_for(_user(coded_world, who)).get("/interviews/analysis/?by=role")
    assert response.status_code == status
    if who == "researcher":
        body = response.content.decode()
        assert "Funding" in body and "Interview with Dr Secretname" not in body and "UK consultant" not in body


def test_export_holds_only_readable_transcripts(coded_world, client_for):
    import io
    import zipfile

    for who, n in (("member", 1), ("other", 0), ("researcher", 0)):
        data = client_for(coded_world[who]).get("/interviews/export.qdpx").content
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert sum(1 for name in z.namelist() if name.startswith("sources/")) == n
    assert client_for(None).get("/interviews/export.qdpx").status_code == 302
