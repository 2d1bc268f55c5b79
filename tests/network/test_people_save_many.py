"""network.services.people_save_many: the bulk path validates and records history as person_save does."""

from __future__ import annotations

import pytest

from healthlinks.network.models import Person, PersonalData
from healthlinks.network.services import PersonIn, PersonInvalid, RoleSpec, people_save_many, person_save

pytestmark = pytest.mark.django_db


def test_many_people_are_created_and_updated_with_history_and_roles(admin_user, make_partnership):
    partnership = make_partnership()
    person_save(by=None, external_id="E1", given_name="Old", research_consent=False)
    created, updated = people_save_many(
        by=admin_user,
        people=[
            PersonIn("E1", {"grade": "Band 7", "research_consent": True}, {"given_name": "New"}),
            PersonIn("E2", {"sex": "male"}, {"email": "e2@example.org"}),
        ],
        roles=[RoleSpec(partnership_id=partnership.pk, role="trainee")],
    )
    assert ([p.external_id for p in created], [p.external_id for p in updated]) == (["E2"], ["E1"])
    e1 = Person.objects.get(external_id="E1")
    assert e1.grade == "Band 7" and e1.consent_date is not None  # consent dated as person_save dates it
    assert e1.history.latest("history_id").history_user == admin_user
    assert PersonalData.objects.get(person=e1).history.latest("history_id").given_name == "New"
    assert set(partnership.person_roles.values_list("person__external_id", flat=True)) == {"E1", "E2"}


def test_a_refused_person_names_its_index_and_nothing_is_written():
    with pytest.raises(PersonInvalid) as refused:
        people_save_many(
            by=None,
            people=[PersonIn("F1", {}, {}), PersonIn("F2", {"sex": "unknown-sex"}, {})],
        )
    assert refused.value.index == 1 and "sex" in refused.value.message_dict
    assert not Person.objects.filter(external_id__in=["F1", "F2"]).exists()


def test_fields_no_form_may_set_are_refused():
    with pytest.raises(Exception, match="pseudo_id"):
        people_save_many(by=None, people=[PersonIn("G1", {"pseudo_id": "HL-X"}, {})])
