"""The evidence library page, search, import page and API, for each role."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from healthlinks.accounts.models import Role
from healthlinks.evidence.models import Reference
from healthlinks.interchange.bibliography import import_references
from healthlinks.registry.models import Publication

RIS = (
    "TY  - JOUR\nTI  - Twinning in Rwanda: goal setting and skill transfer\nAU  - Uwizeye, G.\nPY  - 2016\n"
    "DO  - 10.1186/s12992-016-0141-4\nKW  - twinning\nER  - \n\n"
    "TY  - RPRT\nTI  - NHS international partnerships census\nPY  - 2023\nER  - \n"
)


@pytest.fixture
def library(make_partnership, make_user):
    coordinator = make_user("ecoord", Role.COORDINATOR)
    draft = make_partnership(name="Secret draft link", publication=Publication.DRAFT, coordinator=coordinator)
    public = make_partnership(name="Open link")
    import_references(RIS.encode(), "x.ris", fmt="ris", user=None, partnership=draft, themes=["Skill transfer"])
    Reference.objects.get(year=2023).partnerships.add(public)
    return {
        "coordinator": coordinator,
        "draft": draft,
        "public": public,
        "researcher": make_user("eresearcher", Role.RESEARCHER),
        "member": make_user("emember", Role.MEMBER),
    }


def test_public_search_lists_references_without_hidden_partnerships(library, client_for):
    client = client_for(None)
    body = client.get("/evidence/?q=rwanda").content.decode()
    assert "Twinning in Rwanda" in body and "census" not in body
    assert "Secret draft link" not in body
    partial = client.get("/evidence/?theme=skill-transfer", HTTP_HX_REQUEST="true").content.decode()
    assert "Twinning in Rwanda" in partial and "<html" not in partial
    assert "Secret draft link" in client_for(library["coordinator"]).get("/evidence/").content.decode()


def test_api_lists_references_and_only_visible_links(library, client_for):
    data = client_for(None).get("/api/v1/references/?q=twinning").json()
    assert data["count"] == 1
    assert data["results"][0]["partnerships"] == [] and data["results"][0]["themes"] == ["skill-transfer"]
    mine = client_for(library["coordinator"]).get("/api/v1/references/?q=twinning").json()
    assert mine["results"][0]["partnerships"] == [library["draft"].slug]
    assert client_for(None).get("/api/v1/references/?year=2023").json()["count"] == 1


@pytest.mark.parametrize(
    ("who", "status"), [("public", 302), ("researcher", 403), ("member", 403), ("coordinator", 200)]
)
def test_import_page_access(library, client_for, who, status):
    user = None if who == "public" else library[who]
    assert client_for(user).get("/evidence/import/").status_code == status


def test_upload_reports_line_errors_and_imports(library, client_for):
    client = client_for(library["coordinator"])
    bad = client.post(
        "/evidence/import/", {"format": "ris", "file": SimpleUploadedFile("b.ris", b"TY  - JOUR\nPY  - 2020\nER  - \n")}
    )
    assert "b.ris, line 1 (record 1): no title" in bad.content.decode()
    good = client.post(
        "/evidence/import/",
        {
            "format": "bibtex",
            "themes": "ethics",
            "file": SimpleUploadedFile("g.bib", b"@article{k, title={New one}, year={2021}}"),
        },
    )
    assert "1 created" in good.content.decode()
    assert Reference.objects.get(title="New one").themes.get().slug == "ethics"


def test_tagging_and_linking_on_the_detail_page(library, client_for):
    ref = Reference.objects.get(year=2023)
    client_for(library["researcher"]).post(f"/evidence/{ref.pk}/", {"themes": "x"})
    assert list(ref.themes.values_list("slug", flat=True)) == ["skill-transfer"]  # unchanged
    client_for(library["coordinator"]).post(
        f"/evidence/{ref.pk}/",
        {"themes": "Benefits, Ethics", "partnerships": [library["draft"].slug], "countries": ["RWA"]},
    )
    assert sorted(ref.themes.values_list("slug", flat=True)) == ["benefits", "ethics"]
    # the coordinator cannot unlink "Open link" (not theirs): it is kept
    assert set(ref.partnerships.values_list("slug", flat=True)) == {library["draft"].slug, library["public"].slug}
    assert list(ref.countries.values_list("iso3", flat=True)) == ["RWA"]


def test_export_follows_the_search(library, client_for):
    body = client_for(None).get("/evidence/export.ris?q=census").content.decode()
    assert body.count("TY  - ") == 1 and "census" in body
    assert "@techreport" in client_for(None).get("/evidence/export.bib?q=census").content.decode()
