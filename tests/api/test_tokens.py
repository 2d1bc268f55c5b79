"""A user's own API token: the page and the endpoint show whether there is one, create or regenerate it (the key
once) and revoke it; an old key stops working at once."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from healthlinks.accounts.models import Role

pytestmark = pytest.mark.django_db


def _api(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_the_page_needs_a_log_in(client):
    resp = client.get("/accounts/token/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
    assert client.post("/accounts/token/", {"action": "regenerate"}).status_code == 302
    assert not Token.objects.exists()


def test_create_regenerate_and_revoke_on_the_page(client_for, make_user):
    user = make_user("tokenuser", Role.MEMBER)
    client = client_for(user)
    page = client.get("/accounts/token/")
    assert page.status_code == 200 and "You have no token." in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]

    created = client.post("/accounts/token/", {"action": "regenerate"})
    key = Token.objects.get(user=user).key
    assert created.status_code == 200 and key in created.content.decode()
    assert _api(key).get("/api/v1/token/").json()["exists"] is True
    # Shown once: a later visit says there is a token but never shows the key.
    later = client.get("/accounts/token/").content.decode()
    assert key not in later and "You have a token" in later

    regenerated = client.post("/accounts/token/", {"action": "regenerate"}).content.decode()
    new_key = Token.objects.get(user=user).key
    assert new_key != key and new_key in regenerated
    assert _api(key).get("/api/v1/token/").status_code == 401  # the old key stops working at once
    assert _api(new_key).get("/api/v1/token/").status_code == 200

    client.post("/accounts/token/", {"action": "revoke"})
    assert not Token.objects.filter(user=user).exists()
    assert _api(new_key).get("/api/v1/people/").status_code == 401
    assert "You have no token." in client.get("/accounts/token/").content.decode()


def test_the_page_form_carries_csrf_protection(make_user):
    user = make_user("csrfuser", Role.MEMBER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post("/accounts/token/", {"action": "regenerate"}).status_code == 403
    page = client.get("/accounts/token/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf
    ok = client.post("/accounts/token/", {"action": "regenerate", "csrfmiddlewaretoken": csrf.group(1)})
    assert ok.status_code == 200 and Token.objects.filter(user=user).exists()


def test_the_endpoint(client_for, make_user, client):
    user = make_user("apiuser", Role.RESEARCHER)
    assert client.get("/api/v1/token/").status_code == 401
    assert client.post("/api/v1/token/").status_code in (401, 403)
    session = client_for(user)
    assert session.get("/api/v1/token/").json() == {"exists": False, "created": None, "key": None}
    made = session.post("/api/v1/token/")
    body = made.json()
    assert made.status_code == 201 and body["exists"] is True and body["key"] == Token.objects.get(user=user).key
    assert made["Cache-Control"] == "no-store"
    state = _api(body["key"]).get("/api/v1/token/").json()
    assert state["exists"] is True and state["key"] is None and state["created"]
    # Regenerating with the token itself: the answer carries the new key, the old one is dead.
    again = _api(body["key"]).post("/api/v1/token/").json()
    assert again["key"] != body["key"] and _api(body["key"]).get("/api/v1/token/").status_code == 401
    assert _api(again["key"]).delete("/api/v1/token/").status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert session.delete("/api/v1/token/").status_code == 204  # nothing to revoke: still done


def test_one_users_token_actions_never_touch_anothers(client_for, make_user):
    alice, bob = make_user("alice_t", Role.MEMBER), make_user("bob_t", Role.MEMBER)
    bob_key = Token.objects.create(user=bob).key
    client = client_for(alice)
    client.post("/accounts/token/", {"action": "regenerate"})
    client.post("/accounts/token/", {"action": "revoke"})
    client.delete("/api/v1/token/")
    assert Token.objects.get(user=bob).key == bob_key
