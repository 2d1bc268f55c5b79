"""Institutions are chosen by typing (IATI and ROR imports bring thousands): the picker's answer costs the same
few queries with 50 institutions as with 5,000, a name shared by two institutions is told apart by its country,
a ROR id picks its institution, and without JavaScript the typed text is resolved when the form is sent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from healthlinks.registry.models import Institution
from healthlinks.web.forms import MemberForm
from healthlinks.web.pickers import institution_text

pytestmark = pytest.mark.django_db


def _institutions(start: int, n: int, country: str = "UGA") -> list[Institution]:
    return Institution.objects.bulk_create(
        [Institution(name=f"Bulk Hospital {i}", country_id=country, kind="hospital") for i in range(start, start + n)]
    )


def _answer(client: Client, query: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("pick-institutions") + query)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_the_picker_costs_a_fixed_number_of_queries_whatever_the_number_of_institutions(client: Client) -> None:
    _institutions(0, 50)
    few = [_answer(client, f"?q={q}")[1] for q in ("Bulk 1", "Hospital", "")]
    _institutions(50, 5000)
    body, _n = _answer(client, "?q=Bulk+Hospital+4")
    many = [_answer(client, f"?q={q}")[1] for q in ("Bulk 1", "Hospital", "")]
    assert many == few and max(many) <= 2, (few, many)
    assert body.count("<option") == 20 and "Bulk Hospital 4 — Uganda" in body


def test_a_typed_name_id_or_ror_id_resolves_and_ambiguity_is_said() -> None:
    kampala = Institution.objects.create(name="St Mary's Hospital", country_id="UGA", kind="hospital")
    lilongwe = Institution.objects.create(
        name="St Mary's Hospital", country_id="MWI", kind="hospital", ror_id="03dbr7087"
    )

    def picked(text: str) -> Institution | None:
        form = MemberForm({"institution": text, "role": "lead"})
        return form.cleaned_data["institution"] if form.is_valid() else None

    assert picked(institution_text(kampala)) == kampala  # what the list offers: name — country
    assert picked("St Mary's Hospital — Malawi") == lilongwe
    assert picked("https://ror.org/03dbr7087") == lilongwe
    assert picked(str(kampala.pk)) == kampala  # scripts and older pages post the id
    form = MemberForm({"institution": "St Mary", "role": "lead"})
    assert not form.is_valid() and "More than one institution matches St Mary" in str(form.errors)
    form = MemberForm({"institution": "Nowhere General", "role": "lead"})
    assert not form.is_valid() and "No institution matches Nowhere General" in str(form.errors)


def test_the_member_form_shows_the_picker_not_a_list_of_every_institution(admin_client: Client) -> None:
    _institutions(0, 300)
    page = admin_client.get(reverse("partnership-create")).content.decode()
    assert 'list="id_members-0-institution-options"' in page and "Bulk Hospital 299" not in page
