from datetime import date

import pytest
from django.urls import reverse

from healthlinks.registry.models import Institution, Partnership

pytestmark = pytest.mark.django_db


def test_public_pages_render(client, make_partnership):
    p = make_partnership(name="Liverpool–Mulago Obstetrics")
    inst = p.members.first().institution
    for url in (
        "/",
        "/partnerships/",
        f"/partnerships/{p.slug}/",
        "/institutions/",
        f"/institutions/{inst.pk}/",
        "/reference/",
        "/accounts/login/",
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "cdn" not in resp.content.decode().lower()


def test_list_filters_by_country_specialty_and_search(client, make_partnership):
    make_partnership(name="Alpha surgery", countries=("GBR", "UGA"), specialties=["surgery"])
    make_partnership(name="Beta midwifery", countries=("GBR", "MWI"), specialties=["midwifery"])
    body = client.get("/partnerships/?country=MWI").content.decode()
    assert "Beta midwifery" in body and "Alpha surgery" not in body
    body = client.get("/partnerships/?specialty=surgery").content.decode()
    assert "Alpha surgery" in body and "Beta midwifery" not in body
    body = client.get("/partnerships/?q=beta").content.decode()
    assert "Beta midwifery" in body and "Alpha surgery" not in body


def test_htmx_filter_returns_only_the_results_fragment(client, make_partnership):
    make_partnership(name="Alpha surgery")
    body = client.get("/partnerships/?q=alpha", HTTP_HX_REQUEST="true").content.decode()
    assert "Alpha surgery" in body and "<html" not in body


def _form_data(**overrides):
    data = {
        "name": "Gulu–Leeds Anaesthesia",
        "slug": "",
        "summary": "",
        "start_date": "2024-02-01",
        "end_date": "",
        "publication": "published",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_create_partnership_through_the_form_records_history(client_for, admin_user, make_institution):
    a, b = make_institution("GBR"), make_institution("UGA")
    client = client_for(admin_user)
    data = _form_data(
        **{
            "members-0-institution": a.pk,
            "members-0-role": "lead",
            "members-1-institution": b.pk,
            "members-1-role": "partner",
            "specialties": ["anaesthesia"],
        }
    )
    resp = client.post(reverse("partnership-create"), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    p = Partnership.objects.get(slug="gulu-leeds-anaesthesia")
    assert p.geography_class == "north_south" and p.members.count() == 2
    assert p.history.first().history_user == admin_user
    page = client.get(resp["Location"]).content.decode()
    assert "hubadmin" in page and "created" in page


def test_form_errors_name_the_field_and_save_nothing(client_for, admin_user, make_institution):
    a = make_institution("GBR")
    client = client_for(admin_user)
    resp = client.post(
        reverse("partnership-create"),
        _form_data(end_date="2020-01-01", **{"members-0-institution": a.pk, "members-0-role": "lead"}),
    )
    assert resp.status_code == 200
    assert "the end date is before the start date" in resp.content.decode()
    resp = client.post(
        reverse("partnership-create"), _form_data(**{"members-0-institution": a.pk, "members-0-role": "lead"})
    )
    assert "at least two member institutions" in resp.content.decode()
    assert not Partnership.objects.exists()


def test_institution_form_rejects_a_bad_ror_id(client_for, admin_user):
    client = client_for(admin_user)
    resp = client.post(
        reverse("institution-create"), {"name": "Mulago", "country": "UGA", "kind": "hospital", "ror_id": "02jx3x896"}
    )
    assert resp.status_code == 200 and "not a valid ROR id" in resp.content.decode()
    assert not Institution.objects.exists()
    resp = client.post(
        reverse("institution-create"), {"name": "Mulago", "country": "UGA", "kind": "hospital", "scope": "national"}
    )
    assert resp.status_code == 302


def test_edit_keeps_members_and_logs_the_change(client_for, make_user, make_partnership):
    coord = make_user("coord", "coordinator")
    p = make_partnership(name="Edit me", coordinator=coord, start_date=date(2020, 1, 1))
    client = client_for(coord)
    members = list(p.members.all())
    data = _form_data(
        name="Edited",
        slug=p.slug,
        start_date="2020-01-01",
        **{
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "2",
            "members-0-institution": members[0].institution_id,
            "members-0-role": "lead",
            "members-1-institution": members[1].institution_id,
            "members-1-role": "partner",
        },
    )
    resp = client.post(reverse("partnership-edit", args=[p.slug]), data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    p.refresh_from_db()
    assert p.name == "Edited" and p.members.count() == 2
    page = client.get(reverse("partnership-detail", args=[p.slug])).content.decode()
    assert "Edit me" in page and "Edited" in page  # the history shows old → new


def test_a_coordinator_records_a_principles_self_assessment(client_for, make_user, make_partnership):
    coord = make_user("popcoord", "coordinator")
    p = make_partnership(name="PoP", coordinator=coord)
    url = reverse("assessment-create", args=[p.slug])
    resp = client_for(coord).post(url, {"assessed_on": "2024-05-01", "p1": "4", "p9": "2", "notes": "first"})
    assert resp.status_code == 302
    assessment = p.assessments.get()
    assert assessment.scores == {"1": 4, "9": 2} and assessment.history.first().history_user == coord
    resp = client_for(coord).post(url, {"assessed_on": "", "p1": "7"})
    assert resp.status_code == 200 and p.assessments.count() == 1
    other = make_user("notcoord", "coordinator")
    assert client_for(other).get(url).status_code == 403
    page = client_for(coord).get(reverse("partnership-detail", args=[p.slug])).content.decode()
    assert "1: 4" in page and "9: 2" in page


def test_dashboard_is_shared_by_those_who_see_the_same_and_fresh_after_a_write(
    client_for, admin_user, make_partnership
):
    """Its figures are stored per set of visible partnerships and data version (analytics.store)."""
    make_partnership(name="Published link")
    make_partnership(name="Draft link", publication="draft")

    def partnerships(user):
        return client_for(user).get(reverse("dashboard")).context["counts"]["partnerships"]

    assert partnerships(None) == 1 and partnerships(admin_user) == 2
    assert partnerships(None) == 1  # answered from the store, still the public's own figures
    make_partnership(name="Another published link", countries=("GBR", "KEN"))
    assert partnerships(None) == 2 and partnerships(admin_user) == 3


def test_the_first_explicit_submit_button_on_the_login_page_logs_in(client):
    """Scripts and password managers that press the page's first `button[type=submit]` log in rather than
    switch the language: the language buttons submit by default, without the explicit type."""
    import lxml.html

    page = lxml.html.fromstring(client.get("/accounts/login/").content)
    first = page.xpath("//button[@type='submit'] | //input[@type='submit']")[0]
    form = next(a for a in first.iterancestors() if a.tag == "form")
    assert "password" in [i.get("name") for i in form.iter("input")]
    assert page.xpath("//button[@name='language']"), "the language switch is still there"
