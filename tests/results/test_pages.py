"""Outcome, cost and activity pages, and recording an activity that moves the results table."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.activities.models import Activity, AggregateTrainees, Trainee
from healthlinks.network.models import PersonRole
from healthlinks.network.services import person_save
from healthlinks.results.services import indicator_add

pytestmark = pytest.mark.django_db


def test_outcome_cost_and_activity_pages_render_for_the_public(world, client):
    p = world["p"]
    activity = Activity.objects.get()
    for url in (
        reverse("partnership-outcomes", args=[p.slug]),
        reverse("partnership-costs", args=[p.slug]),
        reverse("activity-list"),
        reverse("activity-detail", args=[activity.pk]),
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert "Secretname" not in resp.content.decode()  # no trainee names for the public
    costs = client.get(reverse("partnership-costs", args=[p.slug])).content.decode()
    assert "KES 2022" in costs and "3.0 volunteer days have no day rate" in costs


def test_recording_an_activity_with_trainees_updates_the_results_table(world, client_for):
    p = world["p"]
    indicator_add(
        by=None,
        partnership=p,
        result_level=1,
        result_title="Skills",
        library_code="TRN-01",
        start=date(2023, 1, 1),
        end=date(2023, 12, 31),
        target=Decimal(20),
    )
    trainees = [person_save(by=None, external_id=f"T{i}", cadre_id="2221", sex="female") for i in range(3)]
    for person in trainees:
        PersonRole.objects.create(person=person, partnership=p, role="trainee")
    client = client_for(world["coordinator"])
    resp = client.post(
        reverse("activity-create", args=[p.slug]),
        {
            "title": "Emergency triage",
            "kind": "training_course",
            "mode": "in_person",
            "start_date": "2023-02-01",
            "end_date": "2023-02-03",
            "trainees": [t.pk for t in trainees],
            "facility_level": "district",
            "counted": "7",
            "counted_cadre": "2221",
            "counted_sex": "female",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    activity = Activity.objects.get(title="Emergency triage")
    assert Trainee.objects.filter(activity=activity).count() == 3
    assert AggregateTrainees.objects.get(activity=activity).count == 7
    page = client.get(reverse("partnership-results", args=[p.slug])).content.decode()
    assert "35%" in page  # 7 trained (3 named inside the count of 7) against a target of 20


def test_activity_form_errors_and_permissions(world, client_for, make_user):
    p = world["p"]
    url = reverse("activity-create", args=[p.slug])
    resp = client_for(world["coordinator"]).post(
        url,
        {
            "title": "Bad",
            "kind": "workshop",
            "mode": "remote",
            "start_date": "2023-02-05",
            "end_date": "2023-02-01",
            "facility_level": "district",
        },
    )
    assert resp.status_code == 200 and "the end date is before the start date" in resp.content.decode()
    assert not Activity.objects.filter(title="Bad").exists()
    assert client_for(make_user("outsider", "coordinator")).get(url).status_code == 403


def test_an_activity_is_linked_to_any_stay_of_the_partnership_even_one_not_offered(world, client_for, monkeypatch):
    """Linking a stay used to fail for every stay ("… is not a valid value"): the picker's queryset was a slice."""
    from healthlinks.network.models import Stay
    from healthlinks.web import pickers

    p = world["p"]
    stays = list(Stay.objects.filter(partnership=p).order_by("-start_date", "-pk"))
    monkeypatch.setattr(pickers, "OFFERED", 1)  # the oldest stay is past the list offered
    page = client_for(world["coordinator"]).get(reverse("activity-create", args=[p.slug])).content.decode()
    import lxml.html

    offered = lxml.html.fromstring(page).xpath("//select[@name='stays']/option/@value | //input[@name='stays']/@value")
    assert str(stays[0].pk) in offered and str(stays[-1].pk) not in offered
    resp = client_for(world["coordinator"]).post(
        reverse("activity-create", args=[p.slug]),
        {
            "title": "Linked",
            "kind": "training_course",
            "mode": "in_person",
            "start_date": "2022-03-02",
            "end_date": "2022-03-03",
            "facility_level": "district",
            "stays": [stays[0].pk, stays[-1].pk],
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:3000]
    assert set(Activity.objects.get(title="Linked").stays.all()) == {stays[0], stays[-1]}
