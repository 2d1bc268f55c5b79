"""Trainees, facilitators and the stays an activity was delivered during are ticked from what typing finds: the
page offers a few, the server finds the rest (a constant number of queries), and any of the partnership's is
accepted when the form is sent."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthlinks.network.models import Mode, Person, PersonalData, PersonRole, PersonRoleKind, Stay
from healthlinks.web import pickers

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(network_world):
    """The world's partnership with 60 more people and 60 more stays than the form offers."""
    world = network_world
    p = world["p"]
    host = world["ug"]
    people = Person.objects.bulk_create(Person(pseudo_id=f"HL-MANY{i:05d}") for i in range(60))
    PersonalData.objects.bulk_create(
        PersonalData(person=x, given_name="Tumaini" if i == 59 else "Ann", family_name=f"Many{i}")
        for i, x in enumerate(people)
    )
    PersonRole.objects.bulk_create(PersonRole(person=x, partnership=p, role=PersonRoleKind.TRAINEE) for x in people)
    Stay.objects.bulk_create(
        Stay(
            person=people[i],
            partnership=p,
            host_institution=host,
            mode=Mode.PHYSICAL,
            start_date=datetime.date(2010 + i // 12, i % 12 + 1, 1),
            end_date=datetime.date(2010 + i // 12, i % 12 + 1, 10),
        )
        for i in range(60)
    )
    return world


def _boxes(html: str) -> int:
    return html.count('type="checkbox"')


def test_the_people_found_by_typing_are_boxes_to_tick_in_constant_queries(many, client_for):
    client = client_for(many["coordinator"])
    url = reverse("pick-people") + f"?partnership={many['p'].slug}&multi=trainees"
    with CaptureQueriesContext(connection) as few:
        page = client.get(url + "&q=Tumaini").content.decode()
    assert _boxes(page) == 1 and "Tumaini Many59" in page and 'name="trainees"' in page
    with CaptureQueriesContext(connection) as lots:
        page = client.get(url + "&q=Ann").content.decode()
    assert _boxes(page) == pickers.SHOWN
    assert len(few.captured_queries) == len(lots.captured_queries)


def test_stays_are_found_by_month_name_or_host_and_only_by_who_keeps_the_records(many, client_for, make_user):
    p = many["p"]
    url = reverse("pick-stays") + f"?partnership={p.slug}&multi=stays"
    client = client_for(many["coordinator"])
    page = client.get(url + "&q=2012-03").content.decode()
    assert _boxes(page) == 1 and "Many26" in page
    assert "Many59" in client.get(url + "&q=tumaini").content.decode()
    outsider = client_for(make_user("stays-outsider", "coordinator"))
    assert _boxes(outsider.get(url + "&q=tumaini").content.decode()) == 0
    assert client.get(reverse("pick-stays") + f"?partnership={p.slug}&multi=bad-name!").status_code == 400


def test_the_form_offers_a_few_and_accepts_any_the_search_found(many, client_for):
    from healthlinks.activities.models import Activity

    p = many["p"]
    client = client_for(many["coordinator"])
    page = client.get(reverse("activity-create", args=[p.slug])).content.decode()
    oldest = Stay.objects.filter(partnership=p).order_by("start_date").first()
    tumaini = Person.objects.get(personal__given_name="Tumaini")
    assert f'name="stays" value="{oldest.pk}"' not in page  # past what is offered: found by typing
    assert page.count('name="trainees"') <= pickers.OFFERED
    resp = client.post(
        reverse("activity-create", args=[p.slug]),
        {
            "title": "Found by typing",
            "kind": "training_course",
            "mode": "in_person",
            "start_date": "2024-03-02",
            "end_date": "2024-03-03",
            "facility_level": "district",
            "stays": [oldest.pk],
            "trainees": [tumaini.pk],
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    activity = Activity.objects.get(title="Found by typing")
    assert list(activity.stays.all()) == [oldest]
    edit = client.get(reverse("activity-edit", args=[activity.pk])).content.decode()
    assert f'name="stays" value="{oldest.pk}" checked' in edit  # what is linked is shown ticked, offered or not
