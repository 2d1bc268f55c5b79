import pytest

from healthlinks.reference.models import Country, Occupation, OrganisationType, PurposeCode, ReferenceDataset
from healthlinks.reference.services import reference_load

pytestmark = pytest.mark.django_db


def test_the_safeguards_list_has_55_countries_in_the_who_regional_counts():
    ssl = Country.objects.filter(ssl2023=True)
    assert ssl.count() == 55
    by_region = {r: ssl.filter(who_region=r).count() for r in ("AFR", "WPR", "EMR", "SEAR", "AMR")}
    assert by_region == {"AFR": 37, "WPR": 8, "EMR": 6, "SEAR": 3, "AMR": 1}


def test_uk_code_status_keeps_amber_for_kenya_and_nepal_and_red_for_the_rest_of_the_list():
    assert Country.objects.get(iso3="KEN").uk_code_status == "amber"
    assert not Country.objects.get(iso3="KEN").ssl2023
    nepal = Country.objects.get(iso3="NPL")
    assert nepal.ssl2023 and nepal.uk_code_status == "amber"
    assert Country.objects.filter(uk_code_status="red").count() == 54


def test_income_groups_carry_their_fiscal_year():
    uganda = Country.objects.get(iso3="UGA")
    assert (uganda.income_group, uganda.income_fy, uganda.iso2, uganda.numeric) == ("LIC", "FY26", "UG", "800")
    assert Country.objects.get(iso3="GBR").income_group == "HIC"


def test_code_lists_are_loaded_with_their_sources():
    assert Occupation.objects.get(code="2221").label == "Nursing professionals"
    assert OrganisationType.objects.get(code="80").name == "Academic, Training and Research"
    assert PurposeCode.objects.filter(code__in=["12181", "12281", "13081", "11430"]).count() == 4
    assert ReferenceDataset.objects.get(key="countries").rows == Country.objects.count()


def test_loading_again_updates_in_place_without_duplicates():
    Country.objects.filter(iso3="UGA").update(name="changed")
    before = Country.objects.count()
    reference_load()
    assert Country.objects.count() == before
    assert Country.objects.get(iso3="UGA").name == "Uganda"
