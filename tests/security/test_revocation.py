"""An administrator revokes a user's sessions and API tokens: service, page (hub admins only) and CLI."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from healthlinks.accounts.models import Role, User
from healthlinks.cli import main
from healthlinks.ops.sessions import user_revoke, user_sessions

pytestmark = pytest.mark.django_db


def _logged_in(username: str) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": username, "password": "Correct-Horse-9"}).status_code == 302
    return client


def _signed_in(client: Client) -> bool:
    return client.get("/people/").status_code == 200


@pytest.fixture
def victim(make_user):
    return make_user("victim", Role.COORDINATOR)


def test_revoking_ends_every_session_and_token_of_that_user_only(victim, make_user):
    bystander = make_user("bystander")
    laptop, phone, other = _logged_in("victim"), _logged_in("victim"), _logged_in("bystander")
    token = Token.objects.create(user=victim)
    Token.objects.create(user=bystander)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/people/").status_code == 200
    assert _signed_in(laptop) and _signed_in(phone) and len(user_sessions(victim)) == 2

    result = user_revoke(username="victim")

    assert (result.sessions, result.tokens) == (2, 1)
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert api.get("/api/v1/people/").status_code == 401
    assert _signed_in(other) and Token.objects.filter(user=bystander).exists()
    assert User.objects.get(pk=victim.pk).is_active  # can log in again unless deactivated
    assert _signed_in(_logged_in("victim"))


def test_revoke_and_deactivate_stops_new_log_ins(victim):
    user_revoke(username="victim", deactivate=True)
    resp = Client().post("/accounts/login/", {"username": "victim", "password": "Correct-Horse-9"})
    assert resp.status_code == 200 and not User.objects.get(pk=victim.pk).is_active


def test_the_access_page_is_for_hub_admins_only(victim, admin_user, make_user, client_for):
    laptop = _logged_in("victim")
    for role in (Role.COORDINATOR, Role.MEMBER, Role.RESEARCHER):
        someone = make_user(f"not-admin-{role}", role)
        assert client_for(someone).get("/ops/users/").status_code == 403
        assert client_for(someone).post("/ops/users/victim/revoke/").status_code == 403
    assert Client().get("/ops/users/").status_code == 302  # to log in
    assert _signed_in(laptop)
    admin = client_for(admin_user)
    page = admin.get("/ops/users/")
    assert page.status_code == 200 and "victim" in page.content.decode()
    assert admin.get("/ops/users/victim/revoke/").status_code == 405  # POST only (CSRF-protected form)
    done = admin.post("/ops/users/victim/revoke/", follow=True)
    assert "victim: 1 sessions and 0 API tokens revoked" in done.content.decode()
    assert not _signed_in(laptop)


def test_cli_revoke(victim, capsys):
    laptop = _logged_in("victim")
    Token.objects.create(user=victim)
    assert main(["revoke", "victim"]) == 0
    assert "victim: 1 sessions and 1 API tokens revoked" in capsys.readouterr().out
    assert not _signed_in(laptop)
    assert main(["revoke", "nobody"]) == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
