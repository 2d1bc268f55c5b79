"""Who may see and change what: pages and API must agree, and are both enforced by registry.selectors."""

import pytest
from django.urls import reverse

from healthlinks.accounts.models import Role

pytestmark = pytest.mark.django_db

PRIVATE_VALUES = ("Dr Private partnershipa", "private.partnershipa@example.org", "internal note of partnershipa")


@pytest.fixture
def world(make_user, make_partnership):
    coord_a = make_user("coord_a", Role.COORDINATOR)
    coord_b = make_user("coord_b", Role.COORDINATOR)
    member_a = make_user("member_a", Role.MEMBER)
    a = make_partnership(name="Partnership A", coordinator=coord_a, member=member_a)
    b = make_partnership(name="Partnership B", coordinator=coord_b)
    draft = make_partnership(name="Draft C", publication="draft", coordinator=coord_a)
    return {"a": a, "b": b, "draft": draft, "coord_a": coord_a, "coord_b": coord_b, "member_a": member_a}


def test_coordinator_of_a_gets_403_editing_b_in_api_and_pages(world, client_for):
    client = client_for(world["coord_a"])
    b = world["b"]
    resp = client.patch(f"/api/v1/partnerships/{b.slug}/", {"name": "hijacked"}, content_type="application/json")
    assert resp.status_code == 403
    assert client.get(reverse("partnership-edit", args=[b.slug])).status_code == 403
    assert client.post(reverse("partnership-edit", args=[b.slug]), {"name": "hijacked"}).status_code == 403
    b.refresh_from_db()
    assert b.name == "Partnership B"


def test_coordinator_edits_own_partnership_through_the_api(world, client_for):
    a = world["a"]
    resp = client_for(world["coord_a"]).patch(
        f"/api/v1/partnerships/{a.slug}/", {"summary": "updated"}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    a.refresh_from_db()
    assert a.summary == "updated"
    assert a.history.first().history_user == world["coord_a"]


def test_members_read_but_cannot_edit(world, client_for):
    client = client_for(world["member_a"])
    a = world["a"]
    detail = client.get(f"/api/v1/partnerships/{a.slug}/").json()
    assert detail["contact_email"] == "private.partnershipa@example.org"
    assert (
        client.patch(f"/api/v1/partnerships/{a.slug}/", {"summary": "x"}, content_type="application/json").status_code
        == 403
    )
    assert client.get(reverse("partnership-edit", args=[a.slug])).status_code == 403


@pytest.mark.parametrize("who", ["public", "researcher", "coord_b"])
def test_unpublished_fields_never_reach_roles_outside_the_partnership(world, client_for, researcher, who):
    user = {"public": None, "researcher": researcher, "coord_b": world["coord_b"]}[who]
    client = client_for(user)
    a = world["a"]
    api_list = client.get("/api/v1/partnerships/").content.decode()
    api_detail = client.get(f"/api/v1/partnerships/{a.slug}/").content.decode()
    page = client.get(reverse("partnership-detail", args=[a.slug])).content.decode()
    listing = client.get(reverse("partnership-list")).content.decode()
    for body in (api_list, api_detail, page, listing):
        for secret in PRIVATE_VALUES:
            assert secret not in body
    assert "contact_email" not in client.get(f"/api/v1/partnerships/{a.slug}/").json()


def test_drafts_are_hidden_from_the_public_in_api_and_pages_alike(world, client_for):
    public = client_for(None)
    draft = world["draft"]
    slugs = {p["slug"] for p in public.get("/api/v1/partnerships/").json()["results"]}
    assert draft.slug not in slugs and world["a"].slug in slugs
    assert public.get(f"/api/v1/partnerships/{draft.slug}/").status_code == 404
    assert public.get(reverse("partnership-detail", args=[draft.slug])).status_code == 404
    assert draft.name not in public.get(reverse("partnership-list")).content.decode()
    # ... and visible to its coordinator
    assert client_for(world["coord_a"]).get(f"/api/v1/partnerships/{draft.slug}/").status_code == 200


def test_public_cannot_write_and_members_cannot_create(world, client_for, make_institution):
    body = {
        "name": "New",
        "start_date": "2024-01-01",
        "members": [{"institution": make_institution("GBR").pk}, {"institution": make_institution("UGA").pk}],
    }
    assert client_for(None).post("/api/v1/partnerships/", body, content_type="application/json").status_code in (
        401,
        403,
    )
    resp = client_for(world["member_a"]).post("/api/v1/partnerships/", body, content_type="application/json")
    assert resp.status_code == 403
    assert client_for(world["member_a"]).get(reverse("partnership-create")).status_code == 403


def test_researchers_see_grant_reference_but_no_contact(world, client_for, researcher):
    data = client_for(researcher).get(f"/api/v1/partnerships/{world['a'].slug}/").json()
    assert "grant_reference" in data and "contact_name" not in data


def test_history_is_shown_to_members_only(world, client_for):
    a = world["a"]
    url = reverse("partnership-detail", args=[a.slug])
    assert "History" in client_for(world["member_a"]).get(url).content.decode()
    assert "History" not in client_for(None).get(url).content.decode()


def test_pages_show_each_role_its_fields(world, client_for, researcher):
    a = world["a"]
    url = reverse("partnership-detail", args=[a.slug])
    a.grant_reference = "GRANT-42"
    a.save()
    member_page = client_for(world["member_a"]).get(url).content.decode()
    assert "private.partnershipa@example.org" in member_page and "GRANT-42" in member_page
    research_page = client_for(researcher).get(url).content.decode()
    assert "GRANT-42" in research_page and "private.partnershipa@example.org" not in research_page
    public_page = client_for(None).get(url).content.decode()
    assert "GRANT-42" not in public_page
