"""Erasure on request: no trace of the person's identity in any table (history included); counts unchanged."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from healthlinks.cli import main
from healthlinks.network.models import Person, Stay
from healthlinks.network.services import person_save
from healthlinks.ops.backup import database_rows
from healthlinks.ops.erasure import person_erase
from healthlinks.ops.models import Erasure
from tests.security.world import build_world

pytestmark = pytest.mark.django_db
PERSON_SECRETS = ("Sentinel-Name", "Sentinel-Family", "sentinel@example.org", "+44 7700 900461", "SENTINEL-EXT-1")
PERSON_SECRETS += ("Sentinel private stay note", "sentinel.second@example.org")


@pytest.fixture
def world():
    w = build_world()
    person = Person.objects.get(pseudo_id=w["ids"]["person"])
    # A later change: the history now holds two versions of the personal data.
    person_save(by=None, person=person, email="sentinel.second@example.org", grade="Band 6")
    return w


def _everywhere() -> str:
    return json.dumps(database_rows(), ensure_ascii=False)


def test_erasure_scrubs_every_table_and_history_but_keeps_the_pseudonymous_record(world):
    pseudo = world["ids"]["person"]
    before = _everywhere()
    assert all(s in before for s in PERSON_SECRETS)  # the check below can fail
    stays = Stay.objects.filter(person__pseudo_id=pseudo).count()

    erasure = person_erase(by=world["users"]["hub_admin"], pseudo_id=pseudo)

    after = _everywhere()
    assert [s for s in PERSON_SECRETS if s in after] == []
    assert "Mentor" in after  # other people untouched
    person = Person.objects.get(pseudo_id=pseudo)
    assert Stay.objects.filter(person=person).count() == stays and person.cadre_id == "2221"
    assert person.research_consent is False and person.external_id is None
    assert erasure.erased_by == "m_admin" and erasure.rows >= 5
    assert erasure.detail["network.historicalpersonaldata"] >= 2 and erasure.detail["network.historicalstay"] >= 1
    # Researchers no longer see the record (consent withdrawn); the coordinator sees it without a name.
    researcher = Client()
    researcher.force_login(world["users"]["researcher"], backend="django.contrib.auth.backends.ModelBackend")
    assert researcher.get(f"/api/v1/people/{pseudo}/").status_code == 404


def test_erase_from_the_cli_and_the_hub_admin_page_only(world, capsys, client_for):
    pseudo = world["ids"]["person"]
    for role in ("coordinator", "member", "researcher"):
        client = client_for(world["users"][role])
        assert client.post("/ops/erasure/", {"pseudo_id": pseudo, "confirm": pseudo}).status_code == 403
    assert not Erasure.objects.exists()
    admin = client_for(world["users"]["hub_admin"])
    refused = admin.post("/ops/erasure/", {"pseudo_id": pseudo, "confirm": "HL-OTHER"})
    assert "type the pseudonymous id twice" in refused.content.decode() and not Erasure.objects.exists()
    done = admin.post("/ops/erasure/", {"pseudo_id": pseudo, "confirm": pseudo}, follow=True)
    assert f"{pseudo}: personal data erased" in done.content.decode()
    assert "Sentinel-Name" not in _everywhere()
    assert main(["erase", "HL-NOBODY"]) == 2
    assert "no person with pseudonymous id 'HL-NOBODY'" in capsys.readouterr().err
    other = Person.objects.exclude(pseudo_id=pseudo).first()
    assert main(["erase", other.pseudo_id, "--user", "m_admin"]) == 0
    assert "personal data erased" in capsys.readouterr().out
    assert Erasure.objects.filter(pseudo_id=other.pseudo_id, erased_by="m_admin").exists()
    assert date.today() == Erasure.objects.first().erased_at.date()
