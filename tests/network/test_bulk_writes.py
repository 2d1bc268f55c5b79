"""The network's bulk services as the demo world and the importers use them: people with their own roles and given
pseudonymous ids, stays whose people already hold a role, ties; history rows with the author; a refused row named,
nothing written."""

from __future__ import annotations

from datetime import date

import pytest

from healthlinks.network.models import Person, PersonRole, Stay, Tie
from healthlinks.network.services import (
    PersonIn,
    PersonInvalid,
    RoleSpec,
    people_save_many,
    stay_create,
    stays_save_many,
    stays_set,
    ties_save_many,
)
from healthlinks.records import RowInvalid

pytestmark = pytest.mark.django_db


def _person(pseudo_id: str, partnership, role="counterpart", **fields) -> PersonIn:
    return PersonIn(
        external_id=None,
        fields={"sex": "female", **fields},
        personal={},
        roles=(RoleSpec(partnership_id=partnership.pk, role=role),),
        pseudo_id=pseudo_id,
        synthetic=True,
    )


def test_people_get_the_pseudonymous_ids_and_roles_given_marked_synthetic_with_history(network_world, admin_user):
    p = network_world["p"]
    created, updated = people_save_many(
        by=admin_user, people=[_person("HL-AAAAAAAAAA", p), _person("HL-BBBBBBBBBB", p, role="trainee")]
    )
    assert updated == [] and [c.pseudo_id for c in created] == ["HL-AAAAAAAAAA", "HL-BBBBBBBBBB"]
    assert all(person.is_synthetic for person in Person.objects.filter(pk__in=[c.pk for c in created]))
    assert set(PersonRole.objects.filter(partnership=p, person__in=created).values_list("role", flat=True)) == {
        "counterpart",
        "trainee",
    }
    row = created[0].history.get()
    assert (row.history_type, row.history_user, row.pseudo_id) == ("+", admin_user, "HL-AAAAAAAAAA")


@pytest.mark.parametrize(
    ("people", "index", "field"),
    [
        (lambda p: [_person("HL-CCCCCCCCCC", p), _person("HL-CCCCCCCCCC", p)], 1, "pseudo_id"),  # twice
        (lambda p: [_person("HL-DDDDDDDDDD", p), _person("HL-AAAAAAAAAA", p)], 1, "pseudo_id"),  # someone's
        (lambda p: [_person("HL-EEEEEEEEEE", p), _person("HL-FFFFFFFFFF", p, cadre_id="9999")], 1, "cadre"),
        (lambda p: [_person("HL-GGGGGGGGGG", p, research_consent=True, consent_date=None, sex="x")], 0, "sex"),
    ],
)
def test_a_refused_person_is_named_and_nothing_is_written(network_world, people, index, field):
    p = network_world["p"]
    people_save_many(by=None, people=[_person("HL-AAAAAAAAAA", p)])
    before = (Person.objects.count(), Person.history.count(), PersonRole.objects.count())
    with pytest.raises(PersonInvalid) as refused:
        people_save_many(by=None, people=people(p))
    assert refused.value.index == index and field in refused.value.message_dict
    assert (Person.objects.count(), Person.history.count(), PersonRole.objects.count()) == before


def test_a_persons_pseudonymous_id_never_changes(network_world):
    with pytest.raises(PersonInvalid) as refused:
        people_save_many(by=None, people=[PersonIn("A1", {}, {}, pseudo_id="HL-ZZZZZZZZZZ")])
    assert "pseudo_id" in refused.value.message_dict


def _stay(w, person, start, end, mode="physical"):
    return Stay(
        person=person, partnership=w["p"], host_institution=w["ug"], sending_institution=w["uk"], mode=mode,
        start_date=start, end_date=end, purposes=["teaching"],
    )  # fmt: skip


def test_stays_are_written_with_their_derived_fields_in_their_history_rows(network_world, admin_user):
    w = network_world
    stay_create(
        by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], mode="physical",
        start_date=date(2022, 1, 1), end_date=date(2022, 1, 10),
    )  # fmt: skip
    created, _updated = stays_save_many(
        by=admin_user,
        stays=[_stay(w, w["alice"], date(2022, 6, 1), date(2022, 6, 14)), _stay(w, w["bob"], *[date(2022, 2, 1)] * 2)],
    )
    row = created[0].history.get()
    assert (row.history_user, row.duration_days, row.repeat_index, row.circular) == (admin_user, 14, 2, True)
    first = Stay.objects.get(person=w["alice"], start_date=date(2022, 1, 1))
    assert first.circular  # the stay recorded before, now one of two at the same host
    assert PersonRole.objects.filter(person=w["bob"], partnership=w["p"], role="volunteer").exists()


def test_stays_of_people_without_a_role_are_refused_when_the_caller_says_they_have_one(network_world):
    w = network_world
    PersonRole.objects.create(person=w["alice"], partnership=w["p"], role="counterpart")
    stays = [_stay(w, w["alice"], date(2022, 6, 1), date(2022, 6, 2)), _stay(w, w["bob"], *[date(2022, 2, 1)] * 2)]
    with pytest.raises(RowInvalid) as refused:
        stays_save_many(by=None, stays=stays, role=None)
    assert refused.value.index == 1 and "person" in refused.value.message_dict
    assert not Stay.objects.exists() and not Stay.history.exists()
    stays_save_many(by=None, stays=stays[:1], role=None)
    assert set(PersonRole.objects.filter(person=w["alice"]).values_list("role", flat=True)) == {"counterpart"}


def test_a_stay_refused_by_its_fields_is_named_and_nothing_is_written(network_world):
    w = network_world
    bad = _stay(w, w["bob"], date(2022, 2, 1), date(2022, 2, 1), mode="teleport")
    with pytest.raises(RowInvalid) as refused:
        stays_save_many(by=None, stays=[_stay(w, w["alice"], date(2022, 6, 1), date(2022, 6, 2)), bad])
    assert refused.value.index == 1 and "mode" in refused.value.message_dict
    assert not Stay.objects.exists() and not PersonRole.objects.filter(role="volunteer").exists()


def test_a_stay_updated_through_the_bulk_path_leaves_a_history_row_and_a_bad_row_is_named(network_world, admin_user):
    w = network_world
    (stay, other), _updated = stays_save_many(
        by=None,
        stays=[_stay(w, w["alice"], date(2022, 6, 1), date(2022, 6, 2)), _stay(w, w["bob"], *[date(2022, 2, 1)] * 2)],
    )
    stay.end_date = date(2022, 6, 20)
    created, updated = stays_save_many(by=admin_user, stays=[stay])
    assert created == [] and updated == [stay]
    row = Stay.history.filter(id=stay.pk).order_by("-history_id").first()
    assert (row.history_type, row.history_user, row.end_date, row.duration_days) == (
        "~", admin_user, date(2022, 6, 20), 20
    )  # fmt: skip
    assert Stay.objects.get(pk=stay.pk).end_date == date(2022, 6, 20)
    before = (Stay.history.count(), list(Stay.objects.order_by("pk").values_list("end_date", "mode")))
    stay.end_date, other.mode = date(2022, 6, 25), "teleport"
    with pytest.raises(RowInvalid) as refused:
        stays_save_many(by=admin_user, stays=[stay, other])
    assert refused.value.index == 1 and "mode" in refused.value.message_dict
    assert (Stay.history.count(), list(Stay.objects.order_by("pk").values_list("end_date", "mode"))) == before


def test_setting_a_field_on_many_stays_goes_through_the_bulk_writer(network_world, admin_user):
    w = network_world
    stays, _updated = stays_save_many(
        by=None,
        stays=[_stay(w, w["alice"], date(2022, 6, 1), date(2022, 6, 2)), _stay(w, w["bob"], *[date(2022, 2, 1)] * 2)],
    )
    assert stays_set(by=admin_user, stays=stays, funding="self") == 2
    rows = [Stay.history.filter(id=s.pk).order_by("-history_id").first() for s in stays]
    assert [(r.history_type, r.history_user, r.funding) for r in rows] == [("~", admin_user, "self")] * 2
    before = Stay.history.count()
    with pytest.raises(RowInvalid) as refused:
        stays_set(by=admin_user, stays=list(Stay.objects.order_by("pk")), funding="lottery")
    assert refused.value.index == 0 and "funding" in refused.value.message_dict
    assert Stay.history.count() == before and set(Stay.objects.values_list("funding", flat=True)) == {"self"}


def test_a_tie_given_twice_is_refused_and_ties_have_history(network_world, admin_user):
    w = network_world
    alice, bob = w["alice"], w["bob"]
    with pytest.raises(RowInvalid) as refused:
        ties_save_many(
            by=None,
            ties=[
                Tie(person_a=alice, person_b=bob, kind="counterparts"),
                Tie(person_a=bob, person_b=alice, kind="counterparts"),
            ],
        )
    assert refused.value.index == 1 and not Tie.objects.exists()
    (tie,), _updated = ties_save_many(by=admin_user, ties=[Tie(person_a=bob, person_b=alice, kind="counterparts")])
    assert (tie.person_a_id, tie.person_b_id) == tuple(sorted([alice.pk, bob.pk]))
    assert tie.history.get().history_user == admin_user
