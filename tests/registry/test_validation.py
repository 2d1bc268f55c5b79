from datetime import date

import pytest
from django.core.exceptions import ValidationError

from healthlinks.registry.models import Institution, Partnership, ror_checksum_ok
from healthlinks.registry.services import MemberSpec, institution_create, partnership_create

pytestmark = pytest.mark.django_db


def _members(make_institution, n=2):
    return [MemberSpec(institution=make_institution(c)) for c in ("GBR", "UGA", "KEN")[:n]]


def test_end_before_start_names_the_field_and_saves_nothing(make_institution):
    members = _members(make_institution)
    with pytest.raises(ValidationError) as err:
        partnership_create(by=None, members=members, name="X", start_date=date(2020, 1, 1), end_date=date(2019, 1, 1))
    assert "end_date" in err.value.message_dict
    assert not Partnership.objects.exists()


def test_a_partnership_needs_two_distinct_institutions(make_institution):
    one = make_institution("GBR")
    for members in ([MemberSpec(institution=one)], [MemberSpec(institution=one), MemberSpec(institution=one)]):
        with pytest.raises(ValidationError) as err:
            partnership_create(by=None, members=members, name="Solo", start_date=date(2020, 1, 1))
        assert "members" in err.value.message_dict
    assert not Partnership.objects.exists()


def test_duplicate_slug_is_refused_but_a_missing_slug_is_made_unique(make_institution):
    kwargs = {"name": "Kampala link", "start_date": date(2020, 1, 1)}
    first = partnership_create(by=None, members=_members(make_institution), **kwargs)
    second = partnership_create(by=None, members=_members(make_institution), **kwargs)
    assert (first.slug, second.slug) == ("kampala-link", "kampala-link-2")
    with pytest.raises(ValidationError) as err:
        partnership_create(by=None, members=_members(make_institution), slug="kampala-link", **kwargs)
    assert "slug" in err.value.message_dict
    assert Partnership.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ror_id", "02jx3x896"),  # wrong checksum
        ("ror_id", "12jx3x895"),  # must start with 0
        ("ror_id", "not-a-ror"),
        ("iati_org_id", "GB CHC 123"),
        ("iati_org_id", "gb-chc"),
        ("latitude", 95.0),
    ],
)
def test_bad_identifiers_and_coordinates_are_refused(field, value):
    fields = {"name": "Bad id", "country_id": "GBR", "kind": "hospital", field: value}
    if field == "latitude":
        fields["longitude"] = 0.0
    with pytest.raises(ValidationError) as err:
        institution_create(by=None, **fields)
    assert field in err.value.message_dict
    assert not Institution.objects.exists()


def test_unknown_country_is_refused():
    with pytest.raises(ValidationError) as err:
        institution_create(by=None, name="Nowhere", country_id="XXX", kind="hospital")
    assert "country" in err.value.message_dict


def test_real_ror_ids_pass_the_checksum_and_urls_are_accepted():
    # ids from the ROR records in shared/data/external/ror/v2
    for ror in ("02jx3x895", "00he80998", "03dmz0111", "02rhp5f96", "00286hs46", "0595gz585", "00khnq787"):
        assert ror_checksum_ok(ror), ror
    inst = institution_create(
        by=None, name="UCL", country_id="GBR", kind="university", ror_id="https://ror.org/02jx3x895"
    )
    assert inst.ror_id == "02jx3x895"
