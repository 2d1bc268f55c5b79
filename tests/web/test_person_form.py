"""The coordinator's form to add a person to a partnership: through network.services.person_save, with a role in
the partnership, errors named by field, and one answer for an external id that is not theirs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from healthlinks.network.models import Person, PersonRole
from healthlinks.network.services import person_save
from healthlinks.registry.models import AccessRole, PartnershipAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(make_partnership, make_user):
    coordinator = make_user("pcoord", "coordinator")
    p = make_partnership(name="Leeds Gulu", coordinator=coordinator)
    member = make_user("pmember", "member")
    PartnershipAccess.objects.create(user=member, partnership=p, role=AccessRole.MEMBER)
    return {"p": p, "coordinator": coordinator, "member": member, "url": reverse("person-create", args=[p.slug])}


def test_a_coordinator_adds_a_person_who_can_be_used_at_once(setting, client_for):
    client = client_for(setting["coordinator"])
    page = client.get(setting["url"]).content.decode()
    assert "Role in this partnership" in page and "Trainee" in page  # labels, not codes
    resp = client.post(
        setting["url"],
        {"given_name": "Grace", "family_name": "Akello", "role": "trainee", "sex": "female", "cadre": "2221",
         "email": "grace@example.org", "research_consent": "on"},
    )  # fmt: skip
    person = Person.objects.get(personal__family_name="Akello")
    assert resp.status_code == 302 and resp["Location"] == reverse("person-detail", args=[person.pseudo_id])
    assert PersonRole.objects.filter(person=person, partnership=setting["p"], role="trainee").exists()
    assert person.research_consent and person.consent_date is not None
    assert person.history.get().history_user == setting["coordinator"]
    # the stay form offers them at once
    assert person.pseudo_id in client.get(reverse("stay-create", args=[setting["p"].slug])).content.decode()


def test_save_and_add_another_comes_back_to_an_empty_form(setting, client_for):
    resp = client_for(setting["coordinator"]).post(
        setting["url"], {"given_name": "A", "role": "volunteer", "sex": "not_recorded", "then": "another"}
    )
    assert resp.status_code == 302 and resp["Location"] == setting["url"]


def test_bad_input_is_named_by_field_and_nothing_is_saved(setting, client_for):
    resp = client_for(setting["coordinator"]).post(
        setting["url"], {"given_name": "B", "role": "nobody", "sex": "female", "email": "not-an-email"}
    )
    page = resp.content.decode()
    assert resp.status_code == 200 and "Enter a valid email address." in page and "nobody" in page
    assert not Person.objects.filter(personal__given_name="B").exists()


def test_an_external_id_outside_the_users_partnerships_gets_the_one_answer(setting, client_for):
    person_save(by=None, external_id="ELSEWHERE-1")  # someone in no partnership of the coordinator
    resp = client_for(setting["coordinator"]).post(
        setting["url"], {"given_name": "C", "role": "trainee", "sex": "female", "external_id": "ELSEWHERE-1"}
    )
    page = resp.content.decode()
    assert resp.status_code == 200 and "among the people of the partnerships you coordinate" in page
    assert Person.objects.filter(external_id="ELSEWHERE-1").count() == 1


def test_members_and_the_public_cannot_add_people(setting, client_for):
    assert client_for(setting["member"]).get(setting["url"]).status_code == 403
    assert client_for(setting["member"]).post(setting["url"], {"role": "trainee", "sex": "female"}).status_code == 403
    assert client_for(None).get(setting["url"]).status_code == 302
