"""The offline forms' server side: a stay sent twice with the same idempotency key (a retry after the answer was
lost) is saved once; the key is the sender's own; the pages are marked for the service worker, which is served
from the site's root."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from healthlinks.network.models import PersonRole, Stay
from healthlinks.web.models import SentForm
from healthlinks.web.offline import HEADER

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(network_world):
    PersonRole.objects.create(person=network_world["bob"], partnership=network_world["p"], role="counterpart")
    return network_world


def _stay(w, key, **overrides):
    return {
        "person": w["bob"].pk,
        "mode": "physical",
        "host_institution": w["uk"].pk,
        "start_date": "2019-05-01",
        "end_date": "2019-05-28",
        "idempotency_key": key,
        **overrides,
    }


def test_a_stay_sent_twice_with_the_same_key_is_saved_once(w, client_for):
    client = client_for(w["coordinator"])
    url = reverse("stay-create", args=[w["p"].slug])
    key = str(uuid.uuid4())
    first = client.post(url, _stay(w, key))
    again = client.post(url, _stay(w, key), follow=True)
    assert first.status_code == 302 and again.redirect_chain[-1][0] == first.url
    assert "had already been saved" in again.content.decode()
    assert Stay.objects.count() == 1 and SentForm.objects.get().location == first.url
    client.post(url, _stay(w, str(uuid.uuid4()), start_date="2020-05-01", end_date="2020-05-02"))
    assert Stay.objects.count() == 2  # another key is another entry


def test_a_refused_entry_keeps_no_key_and_can_be_sent_again_corrected(w, client_for):
    client = client_for(w["coordinator"])
    url = reverse("stay-create", args=[w["p"].slug])
    key = str(uuid.uuid4())
    refused = client.post(url, _stay(w, key, end_date="2019-04-01"))
    assert refused.status_code == 200 and not SentForm.objects.exists()
    assert client.post(url, _stay(w, key)).status_code == 302 and Stay.objects.count() == 1


def test_a_key_is_the_senders_own(w, client_for, make_user):
    from healthlinks.registry.models import AccessRole, PartnershipAccess

    other = make_user("second-coordinator", "coordinator")
    PartnershipAccess.objects.create(user=other, partnership=w["p"], role=AccessRole.COORDINATOR)
    url = reverse("stay-create", args=[w["p"].slug])
    key = str(uuid.uuid4())
    client_for(w["coordinator"]).post(url, _stay(w, key))
    second = client_for(other).post(url, _stay(w, key, start_date="2021-01-04", end_date="2021-01-08"))
    assert second.status_code == 302 and second.url != "/"  # saved: not led to the first user's record
    assert Stay.objects.count() == 2


def test_the_offline_pages_are_marked_and_the_worker_is_served_from_the_root(w, client_for):
    client = client_for(w["coordinator"])
    page = client.get(reverse("stay-create", args=[w["p"].slug]))
    assert page[HEADER] == "1" and 'name="idempotency_key"' in page.content.decode()
    assert HEADER not in client.get(reverse("people-list"))
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert "healthlinks-offline-v1" in worker.content.decode()
