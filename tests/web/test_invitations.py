"""Survey invitations (issue 23): a coordinator makes an open link and personal links for an activity's
trainees, reads the response rate and sends reminders; a respondent with only a link and a phone answers
without an account; a personal link is used once and files the answers under its person; an expired link, an
unknown token and too many answers from one address are refused, and nobody's data are shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Invitation, Response
from healthlinks.web import invitation_views
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

ANSWERS = {"followup_point": "m6", "respondent_role": "nurse", "uses_skills": "often", "practice_changed": "no"}


@pytest.fixture
def links(world, client_for):  # noqa: F811
    from django.core.cache import cache

    cache.clear()  # the answers counted by address, in this process's cache
    load_instruments()
    from healthlinks.activities.models import Activity

    activity = Activity.objects.get(title="ETAT")
    client = client_for(world["coordinator"])
    url = reverse("instrument-invitations", args=["trainee-followup"])
    made = client.post(
        url, {"partnership": world["p"].slug, "activity": activity.pk, "open_link": "1", "trainees": "1"}
    )
    assert made.status_code == 302
    return {"world": world, "client": client, "url": url, "activity": activity}


def test_a_coordinator_makes_an_open_link_and_one_per_trainee_and_sees_the_rate(links):
    invitations = Invitation.objects.all()
    assert invitations.filter(person__isnull=True).count() == 1
    assert {i.person.pseudo_id for i in invitations.filter(person__isnull=False)} == {
        links["world"]["bob"].pseudo_id,
        *[t.person.pseudo_id for t in links["activity"].trainees.all() if t.person_id != links["world"]["bob"].pk],
    }
    page = links["client"].get(links["url"] + f"?partnership={links['world']['p'].slug}").content.decode()
    assert "0 of 2 personal links answered" in page and 'src="data:image/svg+xml' in page  # the open link's QR
    csv = links["client"].get(links["url"] + f"?partnership={links['world']['p'].slug}&format=csv").content.decode()
    assert csv.count("/a/") == 2


def test_anyone_with_the_open_link_answers_without_an_account(links, client):
    open_link = Invitation.objects.get(person__isnull=True)
    page = client.get(f"/a/{open_link.token}/").content.decode()
    assert 'name="followup_point"' in page and 'name="partnership"' not in page  # the link says which
    assert links["world"]["p"].name in page
    for _n in range(2):
        assert "your answers were saved" in client.post(f"/a/{open_link.token}/", ANSWERS).content.decode()
    responses = Response.objects.filter(invitation=open_link)
    assert responses.count() == 2 and {r.partnership for r in responses} == {links["world"]["p"]}
    assert {r.person for r in responses} == {None} and {r.submitted_by for r in responses} == {None}


def test_a_personal_link_files_the_answer_under_its_person_once(links, client):
    bob = links["world"]["bob"]
    personal = Invitation.objects.get(person=bob)
    page = client.get(f"/a/{personal.token}/").content.decode()
    assert "Bob" not in page and bob.pseudo_id not in page  # the link shows nobody's data, not even theirs
    client.post(f"/a/{personal.token}/", ANSWERS)
    assert Response.objects.get(invitation=personal).person == bob
    again = client.post(f"/a/{personal.token}/", ANSWERS)
    assert again.status_code == 410 and "already received" in again.content.decode()
    assert Response.objects.filter(invitation=personal).count() == 1
    page = links["client"].get(links["url"] + f"?partnership={links['world']['p'].slug}").content.decode()
    assert "1 of 2 personal links answered" in page


def test_a_bad_answer_is_named_and_nothing_is_saved(links, client):
    open_link = Invitation.objects.get(person__isnull=True)
    page = client.post(f"/a/{open_link.token}/", {**ANSWERS, "followup_point": "m99"})
    assert page.status_code == 200 and "followup_point" in page.content.decode()
    assert not Response.objects.exists()


def test_expired_unknown_and_flooding_are_refused(links, client, monkeypatch):
    open_link = Invitation.objects.get(person__isnull=True)
    assert client.get("/a/not-a-token/").status_code == 404
    monkeypatch.setattr(invitation_views, "ANSWERS_PER_HOUR", 1)
    client.post(f"/a/{open_link.token}/", ANSWERS)
    flooded = client.post(f"/a/{open_link.token}/", ANSWERS)
    assert flooded.status_code == 429 and Response.objects.count() == 1
    Invitation.objects.filter(pk=open_link.pk).update(expires_on=date.today() - timedelta(days=1))
    assert client.get(f"/a/{open_link.token}/").status_code == 410


def test_reminders_go_to_those_who_have_not_answered_and_have_an_address(links, client):
    bob = links["world"]["bob"]  # bob has an email address; the other trainee has none and answers
    other = Invitation.objects.filter(person__isnull=False).exclude(person=bob).get()
    client.post(f"/a/{other.token}/", ANSWERS)
    mail.outbox.clear()
    page = links["client"].post(
        links["url"], {"partnership": links["world"]["p"].slug, "action": "remind"}, follow=True
    )
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert Invitation.objects.get(person=bob).token in mail.outbox[0].body
    assert "1 reminder sent; 0 people waiting have no email address" in page.content.decode()


def test_only_who_keeps_the_partnership_makes_links(links, client_for, make_user):
    outsider = client_for(make_user("other-coordinator", "coordinator"))
    outsider.post(links["url"], {"partnership": links["world"]["p"].slug, "open_link": "1"})
    assert Invitation.objects.count() == 3  # nothing made for a partnership the user does not coordinate
    assert client_for(make_user("a-researcher", "researcher")).get(links["url"]).status_code == 403
