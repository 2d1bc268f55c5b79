"""Recording an activity with its attendance list typed in: each new trainee becomes one of the partnership's
people and a named trainee, in the same step as the activity; a bad line is named and nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from healthlinks.activities.models import Activity, Trainee
from healthlinks.network.models import Person, PersonRole

pytestmark = pytest.mark.django_db

BODY = {"title": "Neonatal resuscitation", "kind": "training_course", "mode": "in_person",
        "start_date": "2024-05-06", "end_date": "2024-05-07", "facility_level": "district"}  # fmt: skip


def test_new_trainees_typed_one_per_line_become_people_and_trainees(network_world, client_for):
    w = network_world
    client = client_for(w["coordinator"])
    url = reverse("activity-create", args=[w["p"].slug])
    lines = "Grace Akello, 2221\n\nOkello\nMary  Jane Atim , 3221\n"
    r = client.post(
        url, {**BODY, "new_trainees": lines, "counted": "5", "counted_cadre": "2222", "counted_sex": "male"}
    )
    assert r.status_code == 302, r.context["form"].errors
    activity = Activity.objects.get()
    people = {t.person.personal.given_name: t.person for t in Trainee.objects.select_related("person__personal")}
    assert set(people) == {"Grace", "Okello", "Mary"}
    assert people["Mary"].personal.family_name == "Jane Atim" and people["Mary"].cadre_id == "3221"
    assert PersonRole.objects.filter(partnership=w["p"], role="trainee").count() == 3
    assert "8 (3 named, 5 counted)" in client.get(reverse("activity-detail", args=[activity.pk])).content.decode()
    assert Person.history.filter(history_user=w["coordinator"]).count() == 3


def test_a_bad_line_is_named_and_nothing_is_saved(network_world, client_for):
    w = network_world
    client = client_for(w["coordinator"])
    r = client.post(reverse("activity-create", args=[w["p"].slug]), {**BODY, "new_trainees": "Grace, 9999\n, 2221"})
    assert r.status_code == 200
    errors = r.context["form"].errors["new_trainees"]
    assert errors == ["Line 1: 9999 is not an ISCO-08 health occupation code.", "Line 2: a name is needed."]
    assert not Activity.objects.exists() and not Person.objects.exclude(pk__in=[w["alice"].pk, w["bob"].pk]).exists()
