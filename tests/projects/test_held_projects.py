"""Projects held for review (imported without a partnership): who sees them, on the pages and in the API."""

from __future__ import annotations

import io

import pytest

from healthlinks.accounts.models import Role
from healthlinks.interchange.iati.importer import import_iati
from healthlinks.projects import selectors
from healthlinks.projects.models import Project
from tests.interchange.iati.xmlgen import activity, document, org

pytestmark = pytest.mark.django_db

FUNDER_ONLY = [org("Test Funder", role="1", ref="GB-CHC-1234567")]  # the reporting organisation, nobody else


def _held(identifier: str, user=None) -> Project:
    stream = io.BytesIO(document(activity(identifier, FUNDER_ONLY)).encode())
    stream.name = f"{identifier}.xml"
    report = import_iati(stream, user=user)
    assert report.held == [identifier], report
    return Project.objects.get(iati_identifier=identifier)


@pytest.fixture
def held_world(make_user, admin_user, researcher, make_partnership):
    users = {
        "coordinator": make_user("coord", Role.COORDINATOR),
        "other_coordinator": make_user("othercoord", Role.COORDINATOR),
        "member": make_user("member1", Role.MEMBER),
        "researcher": researcher,
        "hub_admin": admin_user,
        "public": None,
    }
    make_partnership(name="Coordinated", coordinator=users["other_coordinator"], member=users["member"])
    projects = {
        "by_coordinator": _held("GB-CHC-1234567-HELD-C", users["coordinator"]),
        "by_system": _held("GB-CHC-1234567-HELD-S"),
    }
    return users, projects


VISIBLE = {
    "public": set(),
    "researcher": set(),
    "member": set(),
    "other_coordinator": set(),
    "coordinator": {"by_coordinator"},
    "hub_admin": {"by_coordinator", "by_system"},
}


def test_a_held_project_has_no_partnership_and_records_its_importer(held_world):
    users, projects = held_world
    project = projects["by_coordinator"]
    assert project.partnership is None and project.held_for_review and project.needs_review
    assert project.imported_by == users["coordinator"] and projects["by_system"].imported_by is None
    assert project.reporting_org is not None and project.reporting_org.iati_org_id == "GB-CHC-1234567"
    assert any(w["rule"] == "held" for w in project.import_warnings)


@pytest.mark.parametrize("who", list(VISIBLE))
def test_held_projects_are_seen_by_hub_admins_and_their_importer_only(held_world, client_for, who):
    users, projects = held_world
    client = client_for(users[who])
    rows = client.get("/api/v1/projects/").json()["results"]
    assert {r["iati_identifier"] for r in rows} == {projects[k].iati_identifier for k in VISIBLE[who]}
    listing = client.get("/projects/").content.decode()
    for key, project in projects.items():
        visible = key in VISIBLE[who]
        found = client.get("/api/v1/projects/", {"iati_identifier": project.iati_identifier}).json()["results"]
        assert [(r["id"], r["partnership"]) for r in found] == ([(project.pk, None)] if visible else [])
        assert client.get(f"/api/v1/projects/{project.pk}/").status_code == (200 if visible else 404)
        assert (project.iati_identifier in listing) == visible
        assert client.get(f"/projects/{project.pk}/").status_code == (200 if visible else 404)
        searched = client.get("/projects/", {"q": project.iati_identifier}).content.decode()
        assert (f"/projects/{project.pk}/" in searched) == visible


def test_held_filter_and_page(held_world, client_for, make_partnership):
    users, projects = held_world
    admin = users["hub_admin"]
    placed = make_partnership(name="Placed")
    names = [m.institution.name for m in placed.members.all()]
    stream = io.BytesIO(document(activity("GB-CHC-1234567-PLACED", [org(n) for n in names])).encode())
    stream.name = "placed.xml"
    assert import_iati(stream).held == []
    held = set(selectors.project_list(admin, held=True).values_list("iati_identifier", flat=True))
    assert held == {"GB-CHC-1234567-HELD-C", "GB-CHC-1234567-HELD-S"}
    assert selectors.projects_held_for_review(users["coordinator"]).get() == projects["by_coordinator"]
    client = client_for(admin)
    rows = client.get("/api/v1/projects/", {"held": "true"}).json()["results"]
    assert {r["iati_identifier"] for r in rows} == held
    listing = client.get("/projects/", {"held": "1"}).content.decode()
    assert "GB-CHC-1234567-PLACED" not in listing and "held for review" in listing
    page = client.get(f"/projects/{projects['by_system'].pk}/").content.decode()
    assert "Held for review" in page and "Test Funder" in page and "History" in page


def test_someone_else_may_not_overwrite_a_held_project_by_reimporting_it(held_world):
    users, projects = held_world
    stream = io.BytesIO(document(activity("GB-CHC-1234567-HELD-C", FUNDER_ONLY, title="Changed")).encode())
    stream.name = "again.xml"
    report = import_iati(stream, user=users["other_coordinator"])
    assert report.skipped and "held for review" in report.skipped[0].reason
    assert Project.objects.get(pk=projects["by_coordinator"].pk).title == "Test project"
    stream.seek(0)
    report = import_iati(stream, user=users["coordinator"])  # its importer may
    assert report.updated == 1 and Project.objects.get(pk=projects["by_coordinator"].pk).title == "Changed"
