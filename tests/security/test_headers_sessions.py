"""Security headers and CSP on every response, templates CSP-clean, password rules, idle session expiry."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from healthlinks.accounts.services import user_create
from healthlinks.ops.middleware import SEEN_KEY

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[2] / "src" / "healthlinks"


@pytest.mark.parametrize("url", ["/", "/partnerships/", "/accounts/login/", "/api/v1/partnerships/", "/institutions/"])
def test_every_response_carries_the_csp_and_security_headers(client, url):
    resp = client.get(url)
    assert resp.status_code == 200
    csp = dict(part.strip().split(" ", 1) for part in resp["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"


def test_no_template_has_inline_script_or_style_that_the_csp_would_block():
    """Every template of every app, including ones added later: scripts only by src, no on*= handlers,
    no style attributes or <style> blocks (JSON data blocks from json_script are not executed and are fine)."""
    offences = []
    templates = list(SRC.rglob("templates/**/*.html"))
    assert len(templates) > 20
    for path in templates:
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"\sstyle\s*=", r"<style\b", "javascript:"):
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                offences.append(f"{path.relative_to(SRC)}: {match.group(0)!r}")
    assert offences == []


def test_swagger_ui_page_has_no_inline_script(client):
    body = client.get("/api/docs/").content.decode()
    inline = [m for m in re.findall(r"<script([^>]*)>", body) if "src=" not in m and "application/json" not in m]
    assert inline == [], "the API docs page would be blocked by the CSP"


def test_password_rules_refuse_short_common_and_numeric_passwords(db):
    for bad in ("short1!", "password123", "12345678901234", "alicealice1"):
        with pytest.raises(ValidationError):
            user_create(username="alicealice", role="member", password=bad)
    assert user_create(username="alicealice", role="member", password="Tawny-Heron-42").has_usable_password()


def test_sessions_expire_after_the_idle_time_and_are_refreshed_only_now_and_then(make_user):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    make_user("walker")
    client = Client()
    assert client.post("/accounts/login/", {"username": "walker", "password": "Correct-Horse-9"}).status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    first = Session.objects.get(session_key=key).expire_date
    # Within the refresh interval: no session write at all.
    with CaptureQueriesContext(connection) as ctx:
        client.get("/partnerships/")
    assert not any("django_session" in q["sql"] and q["sql"].startswith("UPDATE") for q in ctx.captured_queries)
    # Last seen longer ago than the refresh interval: the expiry is pushed forward (idle expiry, not absolute).
    session = client.session
    session[SEEN_KEY] = int(time.time()) - settings.HEALTHLINKS_SESSION_REFRESH_SECONDS - 1
    session.save()
    before = first - timedelta(hours=1)
    Session.objects.filter(session_key=key).update(expire_date=before)
    client.get("/partnerships/")
    after = Session.objects.get(session_key=key).expire_date
    assert after > before
    assert client.session[SEEN_KEY] >= int(time.time()) - 5
