"""People are chosen by typing: the picker's answer costs the same few queries with 60 people as with 6,000
(the M world has 100,000; `make bench` times it there), shows names only to those who may see them, and offers
only people the user may edit. Without JavaScript, the typed id or name is resolved when the form is sent."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthlinks.network.models import Person, PersonalData, PersonRole, Stay

pytestmark = pytest.mark.django_db


def _people(partnership, start, n):
    people = Person.objects.bulk_create(
        [Person(external_id=f"BULK-{i}", cadre_id="2221", research_consent=False) for i in range(start, start + n)]
    )
    PersonalData.objects.bulk_create(
        [PersonalData(person=p, given_name=f"Given{i}", family_name=f"Family{i % 97}") for i, p in enumerate(people)]
    )
    PersonRole.objects.bulk_create([PersonRole(person=p, partnership=partnership, role="trainee") for p in people])
    return people


def _answer(client, query):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("pick-people") + query)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_the_picker_costs_a_fixed_number_of_queries_whatever_the_number_of_people(network_world, client_for):
    w = network_world
    client = client_for(w["coordinator"])
    _people(w["p"], 0, 60)
    few = [_answer(client, f"?partnership={w['p'].slug}&q={q}")[1] for q in ("Family1", "HL-", "")]
    _people(w["p"], 60, 6000)
    body, _n = _answer(client, f"?partnership={w['p'].slug}&q=Family1")
    many = [_answer(client, f"?partnership={w['p'].slug}&q={q}")[1] for q in ("Family1", "HL-", "")]
    assert many == few and max(many) <= 6, (few, many)
    assert body.count("<option") == 20 and "Family1" in body and "Nursing professionals" in body


def test_names_are_searched_and_shown_only_among_people_one_may_edit(network_world, client_for, make_user):
    w = network_world
    PersonRole.objects.create(person=w["alice"], partnership=w["p"], role="volunteer")
    body, _n = _answer(client_for(w["coordinator"]), "?q=alice")
    assert w["alice"].pseudo_id in body and "Alice Secretname" in body
    assert w["bob"].pseudo_id not in body  # no role in the partnership: not the coordinator's to choose
    researcher = make_user("picky", "researcher")
    body, _n = _answer(client_for(researcher), f"?q={w['alice'].pseudo_id}")
    assert "<option" not in body and "Secretname" not in body
    assert client_for(None).get(reverse("pick-people")).status_code == 302


def test_the_stay_form_resolves_a_typed_name_or_id_and_says_when_it_is_ambiguous(network_world, client_for):
    w = network_world
    for person in (w["alice"], w["bob"]):
        PersonRole.objects.create(person=person, partnership=w["p"], role="volunteer")
    client = client_for(w["coordinator"])
    url = reverse("stay-create", args=[w["p"].slug])
    page = client.get(url).content.decode()
    assert 'list="id_person-options"' in page and w["alice"].pseudo_id in page  # suggestions without JavaScript
    body = {"mode": "physical", "host_institution": w["ug"].pk, "start_date": "2023-01-01", "end_date": "2023-01-09"}
    r = client.post(url, {**body, "person": "Secretname"})
    assert r.status_code == 302 and Stay.objects.get().person == w["alice"]
    r = client.post(url, {**body, "person": "name", "start_date": "2023-02-01", "end_date": "2023-02-02"})
    assert "More than one person matches" in r.content.decode()
    r = client.post(
        url, {**body, "person": f"Bob ({w['bob'].pseudo_id})", "start_date": "2023-02-01", "end_date": "2023-02-03"}
    )
    assert r.status_code == 302 and Stay.objects.filter(person=w["bob"], start_date=date(2023, 2, 1)).exists()
