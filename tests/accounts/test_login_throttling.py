import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_five_failed_logins_lock_the_account(make_user):
    make_user("victim")
    client = Client()
    for _ in range(5):
        resp = client.post("/accounts/login/", {"username": "victim", "password": "wrong"})
    resp = client.post("/accounts/login/", {"username": "victim", "password": "Correct-Horse-9"})
    assert resp.status_code == 429
    assert "Too many failed log-ins" in resp.content.decode()


def test_correct_password_logs_in(make_user):
    make_user("fine")
    resp = Client().post("/accounts/login/", {"username": "fine", "password": "Correct-Horse-9"})
    assert resp.status_code == 302
