"""The Principles of Partnership self-assessment is made by each side of the partnership on its own; the page
sets the sides' latest scores side by side and marks the principles they see differently."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from healthlinks.registry.models import PrinciplesAssessment
from healthlinks.registry.services import assessment_create

pytestmark = pytest.mark.django_db


def test_each_side_assesses_and_the_page_shows_where_they_differ(network_world, client_for, make_institution):
    w = network_world
    client = client_for(w["coordinator"])
    url = reverse("assessment-create", args=[w["p"].slug])
    for side, scores in ((w["uk"], {"p1": "5", "p4": "5"}), (w["ug"], {"p1": "4", "p4": "2"})):
        r = client.post(url, {"side": side.pk, "assessed_on": "2024-06-01", **scores})
        assert r.status_code == 302, r.context["form"].errors
    assert {a.side for a in PrinciplesAssessment.objects.all()} == {w["uk"], w["ug"]}
    assert PrinciplesAssessment.objects.first().history.first().history_user == w["coordinator"]
    page = client.get(reverse("partnership-detail", args=[w["p"].slug])).content.decode()
    table = page.split('class="compact principles-sides"')[1].split("</table>")[0]
    assert w["uk"].name in table and w["ug"].name in table
    rows = table.split("<tr")
    respectful = next(r for r in rows if "4. Respectful" in r)
    strategic = next(r for r in rows if "1. Strategic" in r)
    assert "seen differently" in respectful and "seen differently" not in strategic


def test_a_side_must_be_a_member(network_world, make_institution):
    w = network_world
    outsider = make_institution("KEN")
    with pytest.raises(ValidationError) as err:
        assessment_create(by=None, partnership=w["p"], side=outsider, assessed_on=date(2024, 1, 1), scores={"1": 3})
    assert "side" in err.value.message_dict and not PrinciplesAssessment.objects.exists()
