from datetime import date

import pytest
from django.urls import reverse

from healthlinks.accounts.models import Role
from healthlinks.network.models import PersonRole, Stay
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(network_world):
    w = network_world
    PersonRole.objects.create(person=w["bob"], partnership=w["p"], role="counterpart")
    return w


def _post(client, w, **overrides):
    data = {
        "person": w["bob"].pk,
        "mode": "physical",
        "host_institution": w["uk"].pk,
        "sending_institution": w["ug"].pk,
        "start_date": "2019-05-01",
        "end_date": "2019-05-28",
        "purposes": ["teaching"],
        "funding": "partnership",
    }
    data.update(overrides)
    return client.post(reverse("stay-create", args=[w["p"].slug]), data, follow=True)


def test_a_coordinator_logs_a_stay_and_sees_the_global_code_warning(client_for, setup):
    w = setup
    resp = _post(client_for(w["coordinator"]), w)
    body = resp.content.decode()
    assert resp.redirect_chain and "Stay recorded: 28 days, Short stay." in body
    assert "WHO Global Code" in body  # Uganda (SSL) to a UK host
    stay = Stay.objects.get()
    assert stay.safeguard_flag and stay.partnership == w["p"]


def test_an_overlapping_stay_is_refused_on_the_form(client_for, setup):
    w = setup
    stay_create(
        by=None,
        person=w["bob"],
        partnership=w["p"],
        host_institution=w["uk"],
        mode="physical",
        start_date=date(2019, 5, 10),
        end_date=date(2019, 5, 12),
    )
    resp = _post(client_for(w["coordinator"]), w)
    assert not resp.redirect_chain and "overlaps the physical stay" in resp.content.decode()
    assert Stay.objects.count() == 1


def test_only_people_of_the_partnership_and_only_its_coordinators(client_for, setup, make_user):
    w = setup
    resp = _post(client_for(w["coordinator"]), w, person=w["alice"].pk)  # Alice has no role here
    assert "No one matches" in resp.content.decode()
    member = make_user("justamember", Role.MEMBER)
    assert client_for(member).get(reverse("stay-create", args=[w["p"].slug])).status_code == 403
    assert not Stay.objects.exists()
