"""Who already works where (issue 26 §3): on a fixture of four partnerships, the place and specialty find the right
ones, the countries in need with no partnership are named, a proposed partnership's overlaps come strongest first,
and the public sees published partnerships only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from healthlinks.analytics.matchmaking import Place, overlaps, who_works_where
from healthlinks.reference.models import Country
from healthlinks.registry.models import Publication

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(make_institution: Any) -> dict[str, Any]:
    from datetime import date

    from healthlinks.registry.services import MemberSpec, partnership_create

    uk = make_institution("GBR", name="Leeds Teaching Hospitals")
    mulago = make_institution("UGA", name="Mulago Hospital")
    gulu = make_institution("UGA", name="Gulu Hospital")
    moi = make_institution("KEN", name="Moi Teaching Hospital")

    def make(name: str, host: Any, specialty: str, publication: str = Publication.PUBLISHED) -> Any:
        members = [MemberSpec(institution=uk, role="lead"), MemberSpec(institution=host, role="partner")]
        return partnership_create(
            by=None,
            members=members,
            name=name,
            specialties=[specialty],
            publication=publication,
            start_date=date(2020, 1, 1),
        )

    make("Leeds–Mulago surgery", mulago, "surgery")
    make("Leeds–Mulago mental health", mulago, "mental-health")
    make("Leeds–Gulu surgery", gulu, "surgery", Publication.DRAFT)
    make("Leeds–Moi surgery", moi, "surgery")
    return {"institutions": {"uk": uk, "mulago": mulago, "gulu": gulu, "moi": moi}}


def _names(rows: list[dict[str, Any]]) -> list[str]:
    return [r["partnership"].name for r in rows]


def test_a_country_and_a_specialty_find_the_partnerships_working_there(places: Any, admin_user: Any) -> None:
    found = who_works_where(admin_user, Place(country="UGA", specialty="surgery"))
    assert _names(found["partnerships"]) == ["Leeds–Gulu surgery", "Leeds–Mulago surgery"]
    assert found["partnerships"][1]["institutions_here"] == ["Mulago Hospital"]
    assert [c["country"].iso3 for c in found["countries"]] == ["UGA"]
    anyone = who_works_where(admin_user, Place(country="UGA"))
    assert len(anyone["partnerships"]) == 3


def test_the_public_sees_published_partnerships_only(places: Any) -> None:
    found = who_works_where(AnonymousUser(), Place(country="UGA", specialty="surgery"))
    assert _names(found["partnerships"]) == ["Leeds–Mulago surgery"]


def test_countries_in_need_with_no_partnership_are_named(places: Any, admin_user: Any) -> None:
    found = who_works_where(admin_user, Place(region="AFR", specialty="surgery"))
    gaps = {c.iso3 for c in found["gaps_in_need"]}
    in_need = set(Country.objects.filter(who_region="AFR", ssl2023=True).values_list("iso3", flat=True))
    assert gaps == in_need - {"UGA", "KEN"} and gaps
    working = {c["country"].iso3: c["partnerships"] for c in found["countries"]}
    assert working["UGA"] == 2 and working["KEN"] == 1


def test_a_proposed_partnership_overlaps_strongest_first(places: Any, admin_user: Any) -> None:
    i = places["institutions"]
    rows = overlaps(admin_user, institutions=[i["mulago"].pk], specialty="surgery")
    assert [(r["partnership"].name, r["reason"]) for r in rows] == [
        ("Leeds–Mulago surgery", "institution_specialty"),
        ("Leeds–Mulago mental health", "institution"),
        ("Leeds–Gulu surgery", "country_specialty"),
    ]
    assert overlaps(admin_user, institutions=[]) == []


def test_the_page_answers_the_public_with_a_map(places: Any, client_for: Any) -> None:
    page = client_for(None).get("/who-works-where/", {"country": "UGA", "specialty": "surgery"})
    text = page.content.decode()
    assert page.status_code == 200 and "Leeds–Mulago surgery" in text and "Leeds–Gulu surgery" not in text
    assert 'id="map-spec"' in text
    checked = client_for(None).get("/who-works-where/", {"with": [places["institutions"]["mulago"].pk]})
    assert "shares an institution" in checked.content.decode()
