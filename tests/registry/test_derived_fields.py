from datetime import date

import pytest

from healthlinks.registry import selectors
from healthlinks.registry.models import Partnership
from healthlinks.registry.services import MemberSpec, partnership_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("countries", "expected"),
    [
        (("GBR", "UGA"), "north_south"),
        (("UGA", "GBR"), "north_south"),
        (("UGA", "KEN"), "south_south"),
        (("GBR", "NOR"), "north_north"),
        (("GBR", "UGA", "MWI"), "multi_country"),
        (("GBR", "GBR"), "north_north"),
    ],
)
def test_geography_class_follows_world_bank_income_groups(make_partnership, countries, expected):
    p = make_partnership(countries=countries)
    assert Partnership.objects.get(pk=p.pk).geography_class == expected


def test_geography_is_recomputed_when_members_change(make_partnership, make_institution):
    p = make_partnership(countries=("GBR", "UGA"))
    kenya, malawi = make_institution("KEN"), make_institution("MWI")
    partnership_update(
        by=None, partnership=p, members=[MemberSpec(institution=kenya, role="lead"), MemberSpec(institution=malawi)]
    )
    assert Partnership.objects.get(pk=p.pk).geography_class == "south_south"


def test_lifecycle_and_duration_are_derived_from_dates(make_partnership):
    p = make_partnership(start_date=date(2020, 1, 1), end_date=date(2020, 12, 31))
    assert p.duration_days() == 366
    assert p.lifecycle(today=date(2019, 12, 31)) == "planned"
    assert p.lifecycle(today=date(2020, 6, 1)) == "active"
    assert p.lifecycle(today=date(2021, 1, 1)) == "closed"
    open_ended = make_partnership(name="open", start_date=date(2024, 1, 1))
    assert open_ended.lifecycle(today=date(2030, 1, 1)) == "active"
    assert open_ended.duration_days(today=date(2024, 1, 10)) == 10


def test_equal_influence_compares_member_scopes(make_partnership):
    p = make_partnership()
    members = list(p.members.select_related("institution"))
    assert selectors.equal_influence(p) is None  # scopes unknown
    for m in members:
        m.institution.scope = "national"
        m.institution.save()
    assert selectors.equal_influence(Partnership.objects.get(pk=p.pk)) is True
    members[0].institution.scope = "local"
    members[0].institution.save()
    assert selectors.equal_influence(Partnership.objects.get(pk=p.pk)) is False


def test_mobility_resilience_needs_infrastructure_and_generic_skills(make_partnership):
    p = make_partnership(intervention="training_infrastructure", skills="generic")
    assert p.edwards_mobility_resilient is True
    p.skills = "specialist"
    assert p.edwards_mobility_resilient is False
    p.skills = ""
    assert p.edwards_mobility_resilient is None
