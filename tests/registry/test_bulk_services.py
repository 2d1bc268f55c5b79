"""institutions_create_many and partnerships_create_many: many records in a few statements, validated as the
services of one record validate them (a refused one is named by its index and nothing is written), recorded in the
history with who wrote them, the data versions bumped, and the same slugs and geography as one by one."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks.accounts.models import Role
from healthlinks.analytics.models import TableVersion
from healthlinks.records import RowInvalid
from healthlinks.registry.models import (
    AccessRole,
    GeographyClass,
    Institution,
    Partnership,
    PartnershipAccess,
    PartnershipMember,
)
from healthlinks.registry.services import (
    MemberSpec,
    NewPartnership,
    institutions_create_many,
    partnership_create,
    partnerships_create_many,
)

pytestmark = pytest.mark.django_db

VALID_ROR = "02jx3x895"  # University College London: a real ROR id, its checksum right


def _institution(name: str, country: str = "GBR", **fields):
    return {"name": name, "country_id": country, "kind": "ngo", **fields}


def _token(table: str) -> str | None:
    return TableVersion.objects.filter(table=table).values_list("token", flat=True).first()


def test_institutions_are_created_in_order_with_their_history_and_the_data_version(make_user):
    coordinator = make_user("coord", Role.COORDINATOR)
    before = _token("registry_institution")
    made = institutions_create_many(
        by=coordinator,
        institutions=[
            _institution("Alpha Hospital", iati_org_id="GB-CHC-111", org_type_id="21"),
            _institution("Beta Clinic", "UGA", ror_id=f"https://ror.org/{VALID_ROR}"),
            _institution("Gamma NGO", "KEN", iati_org_id="", latitude=1.5, longitude=36.8),
        ],
    )
    assert [i.name for i in made] == ["Alpha Hospital", "Beta Clinic", "Gamma NGO"]
    assert all(i.pk for i in made) and len({i.pk for i in made}) == 3
    stored = {i.name: i for i in Institution.objects.all()}
    assert stored["Beta Clinic"].ror_id == VALID_ROR  # normalised as institution_create does
    assert stored["Gamma NGO"].iati_org_id is None
    assert stored["Alpha Hospital"].created_at is not None and stored["Alpha Hospital"].updated_at is not None
    history = Institution.history.filter(history_type="+")
    assert history.count() == 3 and set(history.values_list("history_user", flat=True)) == {coordinator.pk}
    assert set(history.values_list("name", flat=True)) == set(stored)
    assert _token("registry_institution") not in (None, before)  # no signals: the service said what changed


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (_institution("Bad id", iati_org_id="not an id"), "iati_org_id"),
        (_institution("Bad ROR", ror_id="not-a-ror"), "ror_id"),
        (_institution("Nowhere", "XXX"), "country"),
        (_institution("No country", None), "country"),
        (_institution("Odd type", org_type_id="999"), "org_type"),
        (_institution("Half a place", latitude=1.0), "longitude"),  # Institution.clean
        (_institution("", kind="hospital"), "name"),
        (_institution("Odd kind", kind="castle"), "kind"),
        (_institution("Taken id", iati_org_id="GB-CHC-TAKEN"), "iati_org_id"),  # unique, in the database
        (_institution("Twice", iati_org_id="GB-CHC-111"), "iati_org_id"),  # unique, in the same call
        ({"name": "Unknown field", "country_id": "GBR", "kind": "ngo", "colour": "red"}, "colour"),
    ],
)
def test_a_refused_institution_is_named_by_its_index_and_nothing_is_written(make_institution, bad, field):
    make_institution(name="Taken", iati_org_id="GB-CHC-TAKEN")
    before = Institution.history.count()
    rows = [_institution("Alpha", iati_org_id="GB-CHC-111"), _institution("Beta", "UGA"), bad, _institution("Z")]
    with pytest.raises(RowInvalid) as err:
        institutions_create_many(by=None, institutions=rows)
    assert err.value.index == 2 and field in err.value.message_dict, err.value.message_dict
    assert Institution.objects.count() == 1 and Institution.history.count() == before


def test_the_first_refused_institution_is_named_whatever_the_check(make_institution):
    """A row refused by a lookup (an unknown country) before a row refused by its own fields: the earlier one."""
    rows = [_institution("A"), _institution("Nowhere", "XXX"), _institution("Bad id", iati_org_id="nope")]
    with pytest.raises(RowInvalid) as err:
        institutions_create_many(by=None, institutions=rows)
    assert err.value.index == 1 and set(err.value.message_dict) == {"country"}


def test_institutions_take_a_few_queries_however_many(make_user):
    def queries(n: int, start: int) -> int:
        rows = [_institution(f"Org {start + i}", iati_org_id=f"GB-CHC-{start + i}") for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            institutions_create_many(by=None, institutions=rows)
        return len(captured)

    queries(1, 1000)  # the data versions' rows are created by the first write
    assert queries(3, 0) == queries(60, 100)


def _members(make_institution, *countries):
    return [
        MemberSpec(institution=make_institution(country), role="lead" if i == 0 else "partner")
        for i, country in enumerate(countries)
    ]


def test_partnerships_are_created_with_members_history_access_and_geography(make_institution, make_user):
    coordinator = make_user("coord", Role.COORDINATOR)
    made = partnerships_create_many(
        by=coordinator,
        partnerships=[
            NewPartnership(
                fields={"name": "Leeds–Gulu", "start_date": date(2020, 1, 1), "needs_review": True},
                members=_members(make_institution, "GBR", "UGA"),
            ),
            NewPartnership(
                fields={"name": "Three ways", "start_date": date(2021, 1, 1), "end_date": date(2022, 1, 1)},
                members=_members(make_institution, "GBR", "UGA", "KEN"),
            ),
        ],
    )
    first, second = (Partnership.objects.get(pk=p.pk) for p in made)
    assert (first.slug, first.geography_class) == ("leeds-gulu", GeographyClass.NORTH_SOUTH)
    assert second.geography_class == GeographyClass.MULTI_COUNTRY and second.publication == "draft"
    members = PartnershipMember.objects.filter(partnership=first).order_by("role")
    assert [(m.role, m.joined) for m in members] == [("lead", date(2020, 1, 1)), ("partner", date(2020, 1, 1))]
    assert PartnershipMember.objects.filter(partnership=second).count() == 3
    for model, count in ((Partnership, 2), (PartnershipMember, 5)):
        history = model.history.filter(history_type="+")
        assert history.count() == count and set(history.values_list("history_user", flat=True)) == {coordinator.pk}
    assert set(PartnershipAccess.objects.values_list("user", "partnership", "role")) == {
        (coordinator.pk, first.pk, AccessRole.COORDINATOR),
        (coordinator.pk, second.pk, AccessRole.COORDINATOR),
    }


def test_slugs_are_the_ones_partnership_create_gives_one_after_the_other(make_institution):
    start = date(2020, 1, 1)
    partnership_create(by=None, members=_members(make_institution, "GBR", "UGA"), name="Kampala link", start_date=start)
    partnership_create(
        by=None, members=_members(make_institution, "GBR", "UGA"), name="Other", slug="kampala-link-3", start_date=start
    )
    partnership_create(
        by=None, members=_members(make_institution, "GBR", "UGA"), name="Mbale", slug="mbale-2", start_date=start
    )
    names = ["Kampala link", "Kampala link", "Mbale", "Mbale", "Kampala Link", "Fresh"]
    made = partnerships_create_many(
        by=None,
        partnerships=[
            NewPartnership(fields={"name": name, "start_date": start}, members=_members(make_institution, "GBR", "UGA"))
            for name in names
        ],
    )
    assert [p.slug for p in made] == ["kampala-link-2", "kampala-link-4", "mbale", "mbale-3", "kampala-link-5", "fresh"]
    # a slug given earlier in the same call is taken for those that follow, as one after the other
    made = partnerships_create_many(
        by=None,
        partnerships=[
            NewPartnership(
                fields={"name": name, "slug": slug, "start_date": start},
                members=_members(make_institution, "GBR", "UGA"),
            )
            for name, slug in (("Given", "fresh-link"), ("Fresh link", ""), ("Fresh link", ""))
        ],
    )
    assert [p.slug for p in made] == ["fresh-link", "fresh-link-2", "fresh-link-3"]


@pytest.mark.parametrize(
    ("fields", "members", "field"),
    [
        ({"name": "Backwards", "start_date": date(2020, 1, 1), "end_date": date(2019, 1, 1)}, 2, "end_date"),
        ({"name": "Solo", "start_date": date(2020, 1, 1)}, 1, "members"),
        ({"name": "", "start_date": date(2020, 1, 1)}, 2, "name"),
        ({"name": "No start"}, 2, "start_date"),
        ({"name": "Odd", "start_date": date(2020, 1, 1), "publication": "secret"}, 2, "publication"),
        ({"name": "Taken", "slug": "taken", "start_date": date(2020, 1, 1)}, 2, "slug"),
        ({"name": "Given twice", "slug": "first", "start_date": date(2020, 1, 1)}, 2, "slug"),
        ({"name": "Derived", "start_date": date(2020, 1, 1), "geography_class": "north_south"}, 2, "geography_class"),
    ],
)
def test_a_refused_partnership_is_named_by_its_index_and_nothing_is_written(make_institution, fields, members, field):
    partnership_create(
        by=None, members=_members(make_institution, "GBR", "UGA"), name="Taken", start_date=date(2020, 1, 1)
    )
    counts = (Partnership.objects.count(), PartnershipMember.objects.count(), Partnership.history.count())
    new = [
        NewPartnership(
            fields={"name": "First", "slug": "first", "start_date": date(2020, 1, 1)},
            members=_members(make_institution, "GBR", "UGA"),
        ),
        NewPartnership(fields=fields, members=_members(make_institution, "GBR", "UGA")[:members]),
    ]
    with pytest.raises(RowInvalid) as err:
        partnerships_create_many(by=None, partnerships=new)
    assert err.value.index == 1 and field in err.value.message_dict, err.value.message_dict
    assert (Partnership.objects.count(), PartnershipMember.objects.count(), Partnership.history.count()) == counts


def test_partnerships_take_a_few_queries_however_many(make_institution):
    institutions = [make_institution(c) for c in ("GBR", "UGA", "KEN")]

    def queries(n: int) -> int:
        new = [
            NewPartnership(
                fields={"name": f"Link {n} {i}", "start_date": date(2020, 1, 1)},
                members=[
                    MemberSpec(institution=institutions[0], role="lead"),
                    MemberSpec(institution=institutions[i % 2 + 1]),
                ],
            )
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as captured:
            partnerships_create_many(by=None, partnerships=new)
        return len(captured)

    queries(1)  # the data versions' rows are created by the first write
    assert queries(2) == queries(40)


def test_partnerships_are_created_with_their_links_which_their_first_history_rows_show(make_institution):
    from healthlinks.reference.models import DeliveryMethod, Specialty
    from healthlinks.registry.services import funding_schemes_ensure_many

    specialties = list(Specialty.objects.order_by("slug")[:2])
    method = DeliveryMethod.objects.order_by("slug").first()
    [scheme] = funding_schemes_ensure_many(schemes=[{"slug": "hps", "name": "Health Partnership Scheme"}])
    new = [
        NewPartnership(
            fields={"name": "Linked", "start_date": date(2020, 1, 1)},
            members=_members(make_institution, "GBR", "UGA"),
            specialties=specialties,
            delivery_methods=[method.pk],  # records or their keys
            funding_schemes=[scheme],
        ),
        NewPartnership(fields={"name": "Bare", "start_date": date(2020, 1, 1)}, members=_members(make_institution,
                       "GBR", "KEN")),  # fmt: skip
    ]
    linked, bare = partnerships_create_many(by=None, partnerships=new, synthetic=True)
    assert sorted(linked.specialties.values_list("pk", flat=True)) == sorted(s.pk for s in specialties)
    assert list(linked.delivery_methods.all()) == [method] and list(linked.funding_schemes.all()) == [scheme]
    assert not bare.specialties.exists()
    first = linked.history.get()
    assert sorted(s.specialty_id for s in first.specialties.all()) == sorted(s.pk for s in specialties)
    assert [m.fundingscheme_id for m in first.funding_schemes.all()] == [scheme.pk]
    assert Partnership.objects.filter(is_synthetic=True).count() == 2


def test_a_partnership_linked_to_an_unknown_specialty_is_refused_by_its_index_and_nothing_is_written(
    make_institution,
):
    new = [
        NewPartnership(fields={"name": f"P{i}", "start_date": date(2020, 1, 1)},
                       members=_members(make_institution, "GBR", "UGA"), specialties=[slug])
        for i, slug in enumerate(["nonexistent-specialty", "nonexistent-specialty"])
    ]  # fmt: skip
    from healthlinks.reference.models import Specialty

    new[0] = NewPartnership(fields=new[0].fields, members=new[0].members, specialties=[Specialty.objects.first()])
    with pytest.raises(RowInvalid) as err:
        partnerships_create_many(by=None, partnerships=new)
    assert err.value.index == 1 and set(err.value.message_dict) == {"specialties"}
    assert not Partnership.objects.exists() and not Partnership.specialties.through.objects.exists()


def test_funding_schemes_are_kept_as_stored_and_the_missing_ones_created_in_the_order_given():
    from healthlinks.registry.models import FundingScheme
    from healthlinks.registry.services import funding_schemes_ensure_many

    [kept] = funding_schemes_ensure_many(schemes=[{"slug": "hps", "name": "Health Partnership Scheme"}])
    got = funding_schemes_ensure_many(
        schemes=[{"slug": "new-one", "name": "New", "funder": "F"}, {"slug": "hps", "name": "Another name"}]
    )
    assert [s.slug for s in got] == ["new-one", "hps"] and got[1].pk == kept.pk
    assert FundingScheme.objects.get(slug="hps").name == "Health Partnership Scheme"  # not overwritten
    with pytest.raises(RowInvalid) as err:
        funding_schemes_ensure_many(schemes=[{"slug": "fine", "name": "Fine"}, {"slug": "not a slug!", "name": "X"}])
    assert err.value.index == 1 and "slug" in err.value.message_dict
    assert not FundingScheme.objects.filter(slug="fine").exists()


def test_assessments_are_created_with_their_history_and_a_side_outside_the_partnership_is_refused(
    make_institution, make_user
):
    from healthlinks.registry.models import PrinciplesAssessment
    from healthlinks.registry.services import assessments_create_many

    coordinator = make_user("assessor", Role.COORDINATOR)
    [p] = partnerships_create_many(
        by=None,
        partnerships=[NewPartnership(fields={"name": "Assessed", "start_date": date(2020, 1, 1)},
                                     members=_members(make_institution, "GBR", "UGA"))],
    )  # fmt: skip
    side = p.members.first().institution
    outsider = make_institution("KEN")

    def assessment(**fields):
        return PrinciplesAssessment(partnership=p, assessed_on=date(2021, 1, 1), **{"scores": {"1": 3}, **fields})

    made = assessments_create_many(by=coordinator, assessments=[assessment(), assessment(side=side)])
    assert all(a.pk for a in made) and {a.history.get().history_user for a in made} == {coordinator}
    for bad, field in ((assessment(side=outsider), "side"), (assessment(scores={"1": 9}), "scores")):
        with pytest.raises(RowInvalid) as err:
            assessments_create_many(by=None, assessments=[assessment(), bad])
        assert err.value.index == 1 and set(err.value.message_dict) == {field}
    assert PrinciplesAssessment.objects.count() == 2
