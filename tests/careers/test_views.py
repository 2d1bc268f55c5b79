from healthlinks.careers.models import CareerRecord


def test_careers_page_shows_retained_of_followed_up_for_signed_in_users(careers_world, client_for, admin_user):
    assert client_for(None).get("/careers/").status_code == 302
    page = client_for(careers_world["member"]).get("/careers/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Leeds Gulu</th>" in text and "Other pair</th>" not in text  # its people are not visible
    assert "3 of 4 (75%)" in text  # partnership at 1 year (test_selectors' hand count; today is later)
    assert "Medium stay" in text and "medium_stay" not in text
    chosen = client_for(admin_user).get(f"/careers/?partnership={careers_world['q'].slug}").content.decode()
    assert "Other pair</th>" in chosen and "Leeds Gulu</th>" not in chosen


def test_only_coordinators_of_the_person_add_a_record(careers_world, client_for):
    person = careers_world["people"]["V1"]
    url = f"/people/{person.pseudo_id}/careers/new/"
    data = {"recorded_on": "2025-02-01", "status": "promoted", "grade": "P3", "country": "UGA"}
    before = CareerRecord.objects.count()
    assert client_for(careers_world["member"]).post(url, data).status_code == 403
    assert client_for(careers_world["qcoord"]).post(url, data).status_code == 404
    assert CareerRecord.objects.count() == before
    coordinator = client_for(careers_world["coordinator"])
    assert coordinator.get(url).status_code == 200
    response = coordinator.post(url, data)
    assert response.status_code == 302
    record = CareerRecord.objects.get(person=person, recorded_on="2025-02-01")
    assert (record.status, record.grade, record.country_id, record.source) == ("promoted", "P3", "UGA", "form")


def test_the_form_refuses_bad_input_and_writes_nothing(careers_world, client_for):
    person = careers_world["people"]["V1"]
    before = CareerRecord.objects.count()
    response = client_for(careers_world["coordinator"]).post(
        f"/people/{person.pseudo_id}/careers/new/", {"recorded_on": "not a date", "status": "retired"}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"recorded_on", "status"}
    assert CareerRecord.objects.count() == before
