"""Who sees which projects (API and pages), the IATI download on the partnership page, the upload page."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from healthlinks.accounts.models import Role
from healthlinks.interchange.iati.importer import import_iati
from healthlinks.interchange.iati.standard import activity_schema, safe_parser
from healthlinks.projects.models import Project
from tests.interchange.iati.xmlgen import REAL_FILES, activity, document, org

pytestmark = pytest.mark.django_db


def _project_of(partnership, identifier, extra=""):
    names = [m.institution.name for m in partnership.members.all()]
    stream = io.BytesIO(document(activity(identifier, [org(n) for n in names], extra=extra)).encode())
    stream.name = f"{identifier}.xml"
    report = import_iati(stream)
    assert report.created == 1, report
    return Project.objects.get(iati_identifier=identifier)


@pytest.fixture
def world(make_partnership, make_user, admin_user, researcher):
    users = {
        "coordinator": make_user("coord", Role.COORDINATOR),
        "other_coordinator": make_user("othercoord", Role.COORDINATOR),
        "member": make_user("member1", Role.MEMBER),
        "researcher": researcher,
        "hub_admin": admin_user,
        "public": None,
    }
    published = make_partnership(name="Published", coordinator=users["coordinator"])
    draft = make_partnership(
        name="Draft", publication="draft", coordinator=users["coordinator"], member=users["member"]
    )
    archived = make_partnership(name="Archived", publication="archived")
    other = make_partnership(name="Other", coordinator=users["other_coordinator"])
    projects = {
        "published": _project_of(published, "GB-CHC-1234567-PUB"),
        "draft": _project_of(draft, "GB-CHC-1234567-DRAFT", extra='<recipient-country code="ZZ"/>'),
        "archived": _project_of(archived, "GB-CHC-1234567-ARCH"),
        "other": _project_of(other, "GB-CHC-1234567-OTHER"),
    }
    return users, projects


VISIBLE = {
    "public": {"published", "other"},
    "researcher": {"published", "other", "archived"},
    "member": {"published", "other", "draft"},
    "other_coordinator": {"published", "other"},
    "coordinator": {"published", "other", "draft"},
    "hub_admin": {"published", "other", "draft", "archived"},
}


@pytest.mark.parametrize("who", list(VISIBLE))
def test_api_lists_and_shows_only_projects_of_visible_partnerships(world, client_for, who):
    users, projects = world
    client = client_for(users[who])
    data = client.get("/api/v1/projects/").json()
    expected = {projects[k].iati_identifier for k in VISIBLE[who]}
    assert {row["iati_identifier"] for row in data["results"]} == expected
    for key, project in projects.items():
        response = client.get(f"/api/v1/projects/{project.pk}/")
        assert response.status_code == (200 if key in VISIBLE[who] else 404)
        found = client.get("/api/v1/projects/", {"iati_identifier": project.iati_identifier}).json()["results"]
        assert [r["id"] for r in found] == ([project.pk] if key in VISIBLE[who] else [])


def test_api_filters_by_partnership_and_shows_parts(world, client_for):
    users, projects = world
    client = client_for(users["hub_admin"])
    slug = projects["draft"].partnership.slug
    rows = client.get("/api/v1/projects/", {"partnership": slug}).json()["results"]
    assert [r["iati_identifier"] for r in rows] == ["GB-CHC-1234567-DRAFT"]
    row = rows[0]
    assert row["partnership"] == slug and len(row["participants"]) == 2
    assert row["import_warnings"] and row["import_warnings"][0]["rule"] == "codelist Country"
    assert client.post("/api/v1/projects/", {}).status_code in (403, 405)


def test_api_list_costs_a_fixed_number_of_queries(world, client_for):
    users, _projects = world
    client = client_for(users["hub_admin"])
    import_iati(str(REAL_FILES[-1]))  # the standard example: results, indicators, periods
    client.get("/api/v1/projects/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/projects/")
    for path in REAL_FILES[:-1]:
        import_iati(str(path))
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/projects/")
    assert len(more) == len(few)


@pytest.mark.parametrize("who", list(VISIBLE))
def test_project_pages_and_iati_download_follow_partnership_visibility(world, client_for, who):
    users, projects = world
    client = client_for(users[who])
    listing = client.get("/projects/").content.decode()
    for key, project in projects.items():
        visible = key in VISIBLE[who]
        assert (project.iati_identifier in listing) == visible
        page = client.get(f"/projects/{project.pk}/")
        assert page.status_code == (200 if visible else 404)
        download = client.get(f"/partnerships/{project.partnership.slug}/iati.xml")
        assert download.status_code == (200 if visible else 404)
        if visible:
            tree = etree.parse(io.BytesIO(download.content), safe_parser())
            assert activity_schema().validate(tree)
            assert [e.findtext("iati-identifier") for e in tree.getroot()] == [project.iati_identifier]
            detail = client.get(f"/partnerships/{project.partnership.slug}/").content.decode()
            assert f"/partnerships/{project.partnership.slug}/iati.xml" in detail


def test_project_page_shows_parts_and_warnings(world, client_for):
    users, projects = world
    html = client_for(users["coordinator"]).get(f"/projects/{projects['draft'].pk}/").content.decode()
    assert "GB-CHC-1234567-DRAFT" in html and "import warning" in html and "unknown code" in html
    assert "Participating organisations" in html and "History" in html
    public_html = client_for(None).get(f"/projects/{projects['published'].pk}/").content.decode()
    assert "History" not in public_html


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("researcher", 403), ("coordinator", 200), ("hub_admin", 200)]
)
def test_upload_page_is_for_coordinators_and_hub_admins(world, client_for, who, status):
    users, _projects = world
    assert client_for(users[who]).get("/import/iati/").status_code == status


def test_upload_page_anonymous_is_sent_to_log_in(client_for):
    response = client_for(None).get("/import/iati/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_upload_imports_and_shows_the_report(world, client_for):
    users, _projects = world
    client = client_for(users["hub_admin"])
    upload = SimpleUploadedFile("fcdo.xml", REAL_FILES[0].read_bytes(), content_type="application/xml")
    html = client.post("/import/iati/", {"file": upload}).content.decode()
    assert "1 imported" in html and Project.objects.filter(iati_identifier="GB-1-103662-101").exists()
    broken = SimpleUploadedFile("broken.xml", b"<iati-activities version='2.03'><iati-activity>", "application/xml")
    html = client.post("/import/iati/", {"file": broken}).content.decode()
    assert "Nothing was written" in html and "not well-formed" in html


def test_a_partnership_with_nothing_to_publish_says_so_instead_of_an_invalid_file(client, make_partnership):
    p = make_partnership(name="No Projects Yet")
    download = client.get(f"/partnerships/{p.slug}/iati.xml")
    assert download.status_code == 404 and "Nothing to publish" in download.content.decode()
    assert download["Content-Type"].startswith("text/plain")
    page = client.get(f"/partnerships/{p.slug}/").content.decode()
    assert "/iati.xml" not in page  # no imported projects; the partnership itself is published on its IATI file
    assert f"/iati/partnerships/{p.slug}.xml" in page or "Not published to IATI" in page
