"""A NUL character in a page's address (404), query or form (400) is refused with a plain message on SQLite and
PostgreSQL alike (PostgreSQL cannot hold NUL in text: these reached it and gave 500s), and nothing is written."""

from __future__ import annotations

import pytest
from django.test import Client

from healthlinks.registry.models import Partnership

pytestmark = pytest.mark.django_db

QUERIES = [
    "/partnerships/?q=%00",
    "/partnerships/?country=U%00G",
    "/partnerships/?%00=1",
    "/activities/?partnership=a%00b",
    "/analytics/impact/?country=%00",
    "/projects/?q=x%00",
]


@pytest.mark.parametrize("url", QUERIES)
def test_a_nul_in_the_query_is_a_400_that_names_it(url):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_nul_in_the_path_is_a_404_as_in_the_api():
    assert Client(raise_request_exception=False).get("/partnerships/a%00b/").status_code == 404


def test_a_nul_in_a_form_field_writes_nothing(django_user_model):
    user = django_user_model.objects.create_user("hub", password="pw-long-enough-123", is_superuser=True)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    before = Partnership.objects.count()
    response = client.post("/partnerships/new/", {"name": "Kampala\x00link", "slug": "kampala"})
    assert response.status_code == 400
    assert Partnership.objects.count() == before


def test_a_clean_query_still_works():
    assert Client().get("/partnerships/?q=kampala").status_code == 200
