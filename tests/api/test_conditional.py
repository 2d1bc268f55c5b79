"""Conditional GETs: ETag and Last-Modified on every list and detail, 304 when the copy is current, and a new
validator after any write, whoever makes it and wherever (API, services, apps analytics does not watch)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.http import http_date

from healthlinks.accounts.models import Role
from healthlinks.analytics.models import DataVersion
from healthlinks.api.conditional import ConditionalGetMixin
from healthlinks.api.models import ApiVersion
from healthlinks.api.urls import router
from healthlinks.evidence.models import Reference

pytestmark = pytest.mark.django_db


def test_every_api_view_answers_conditional_gets():
    views = [viewset for _prefix, viewset, _basename in router.registry]
    assert len(views) >= 38
    assert [v.__name__ for v in views if not issubclass(v, ConditionalGetMixin)] == []


def test_list_and_detail_carry_an_etag_and_answer_304_while_nothing_changed(client_for, admin_user, make_partnership):
    p = make_partnership(name="Leeds Gulu")
    client = client_for(admin_user)
    for path in ("/api/v1/partnerships/", f"/api/v1/partnerships/{p.slug}/"):
        first = client.get(path)
        etag = first["ETag"]
        # a list: a weak validator of the data; a record: a strong one of its representation (If-Match needs it)
        assert first.status_code == 200 and etag.startswith('W/"' if path.endswith("partnerships/") else '"')
        assert "private" in first["Cache-Control"] and "Authorization" in first["Vary"]
        again = client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
        assert client.get(path, HTTP_IF_NONE_MATCH='W/"something-else"').status_code == 200
        assert client.get(path, HTTP_IF_NONE_MATCH=f'"x", {etag}').status_code == 304  # one of a list
        assert client.get(path, HTTP_IF_NONE_MATCH=etag.removeprefix("W/")).status_code == 304  # weak comparison


def test_the_etag_depends_on_the_query_the_reader_and_the_data(client_for, admin_user, make_user, make_partnership):
    p = make_partnership(name="Leeds Gulu")
    admin = client_for(admin_user)
    researcher = client_for(make_user("res", Role.RESEARCHER))
    tags = {
        admin.get("/api/v1/partnerships/")["ETag"],
        admin.get("/api/v1/partnerships/?ordering=-name")["ETag"],
        researcher.get("/api/v1/partnerships/")["ETag"],
        client_for(None).get("/api/v1/partnerships/")["ETag"],
    }
    assert len(tags) == 4
    etag = admin.get("/api/v1/partnerships/")["ETag"]
    # A write through the API changes the data version: the old ETag no longer matches.
    resp = admin.patch(f"/api/v1/partnerships/{p.slug}/", {"summary": "new"}, content_type="application/json")
    assert resp.status_code == 200
    after = admin.get("/api/v1/partnerships/", HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert after.json()["results"][0]["summary"] == "new"


def test_a_write_analytics_does_not_watch_changes_the_etag_too(client_for, admin_user):
    client = client_for(admin_user)
    ref = Reference.objects.create(title="First", year=2020)
    etag = client.get(f"/api/v1/references/{ref.pk}/")["ETag"]
    before = ApiVersion.objects.get(pk=1).token
    ref.title = "Renamed"
    ref.save()
    assert ApiVersion.objects.get(pk=1).token != before
    resp = client.get(f"/api/v1/references/{ref.pk}/", HTTP_IF_NONE_MATCH=etag)
    assert resp.status_code == 200 and resp.json()["title"] == "Renamed"


def test_a_log_in_changes_nothing_but_a_new_role_does(client_for, make_user):
    user = make_user("someone", Role.MEMBER)
    client = client_for(user)
    etag = client.get("/api/v1/people/")["ETag"]
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    assert client.get("/api/v1/people/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    user.role = Role.RESEARCHER
    user.save()
    assert client.get("/api/v1/people/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_last_modified_and_if_modified_since(client_for, admin_user, make_partnership):
    make_partnership(name="Leeds Gulu")
    earlier = timezone.now() - timedelta(hours=2)
    # Both versions were last written two hours ago (earlier today, or the day before: then midnight counts).
    DataVersion.objects.update(changed_at=earlier)
    ApiVersion.objects.update_or_create(pk=1, defaults={"token": "t"})
    ApiVersion.objects.update(changed_at=earlier)
    client = client_for(admin_user)
    resp = client.get("/api/v1/partnerships/")
    last_modified = resp["Last-Modified"]
    midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert last_modified == http_date(max(earlier, midnight).timestamp())
    assert client.get("/api/v1/partnerships/", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    older = http_date((earlier - timedelta(days=2)).timestamp())
    assert client.get("/api/v1/partnerships/", HTTP_IF_MODIFIED_SINCE=older).status_code == 200
    # If-None-Match wins over If-Modified-Since.
    mismatch = client.get("/api/v1/partnerships/", HTTP_IF_MODIFIED_SINCE=last_modified, HTTP_IF_NONE_MATCH='"x"')
    assert mismatch.status_code == 200
    assert client.get("/api/v1/partnerships/", HTTP_IF_MODIFIED_SINCE="not a date").status_code == 200


def test_no_last_modified_in_the_second_of_a_write(client_for, admin_user, make_partnership):
    """A later write in the same second would carry the same Last-Modified: none is sent until the second ends."""
    make_partnership(name="Leeds Gulu")  # writes now
    DataVersion.objects.update(changed_at=timezone.now() + timedelta(seconds=5))
    resp = client_for(admin_user).get("/api/v1/partnerships/")
    assert resp.status_code == 200 and resp.has_header("ETag") and not resp.has_header("Last-Modified")


def test_errors_and_writes_carry_no_validator(client_for, admin_user):
    client = client_for(admin_user)
    missing = client.get("/api/v1/partnerships/no-such-one/")
    assert missing.status_code == 404 and not missing.has_header("ETag")
    token = client.get("/api/v1/token/")
    assert token.status_code == 200 and not token.has_header("ETag")  # token rows change no data version
