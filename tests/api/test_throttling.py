"""Rate limits: anonymous use per address, signed-in use per user; 429 with Retry-After past them."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from healthlinks.accounts.services import user_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    """Set the rates for one test (the suite runs without them, tests/conftest.py), with a fresh count."""

    def set_rates(anon: str | None, user: str | None) -> None:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user}}
        cache.clear()

    yield set_rates
    cache.clear()


def test_anonymous_use_is_limited_per_address_with_retry_after(rates):
    rates("3/min", "100/min")
    client = Client()
    codes = [client.get("/api/v1/countries/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/countries/UGA/")
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert "detail" in refused.json()
    # Another address has its own allowance.
    assert Client(REMOTE_ADDR="192.0.2.7").get("/api/v1/countries/").status_code == 200


def test_signed_in_use_has_its_own_larger_allowance(rates, admin_user, make_user):
    rates("1/min", "3/min")
    token = user_token(username=admin_user.username)
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert [client.get("/api/v1/countries/").status_code for _ in range(4)] == [200, 200, 200, 429]
    # The limit is per user, not per address: another user from the same address is served.
    other = Client(HTTP_AUTHORIZATION=f"Token {user_token(username=make_user('other').username)}")
    assert other.get("/api/v1/countries/").status_code == 200


def test_the_rates_are_configured_by_environment_with_sane_defaults():
    import os

    import healthlinks.settings as module

    assert module.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": os.environ.get("HEALTHLINKS_ANON_RATE", "60/min"),
        "user": os.environ.get("HEALTHLINKS_USER_RATE", "1200/min"),
    }
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {"anon": None, "user": None}  # off in the suite
