"""Deployment readiness (issue 26): the checklist blocks nothing, shows every missing item, the coordinator's
home lists the stays starting within 30 days with items missing, and who may read, record and configure."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from healthlinks.accounts.models import Role
from healthlinks.network.models import PersonRole, Stay
from healthlinks.network.services import stay_create, stay_update
from healthlinks.readiness import selectors, services
from healthlinks.readiness.models import ItemKind, ReadinessCheck, ReadinessItem

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def world(network_world, make_user):
    w = network_world
    PersonRole.objects.create(person=w["alice"], partnership=w["p"], role="volunteer")
    PersonRole.objects.create(person=w["bob"], partnership=w["p"], role="volunteer")
    services.items_create_defaults(by=None)
    w["items"] = list(ReadinessItem.objects.order_by("position"))
    w["member"] = make_user("readmember", Role.MEMBER)
    from healthlinks.registry.models import AccessRole, PartnershipAccess

    PartnershipAccess.objects.create(user=w["member"], partnership=w["p"], role=AccessRole.MEMBER)
    w["stay"] = _stay(w, w["alice"], TODAY + timedelta(days=10))
    return w


def _stay(w, person, start, mode="physical", days=20):
    return stay_create(
        by=None,
        person=person,
        partnership=w["p"],
        host_institution=w["ug"],
        sending_institution=w["uk"],
        mode=mode,
        start_date=start,
        end_date=start + timedelta(days=days),
    )


def _done(w, stay, items, **extra):
    for item in items:
        services.check_save(by=w["coordinator"], stay=stay, item=item, done_on=TODAY, note="seen", **extra)


def test_the_checklist_blocks_nothing(world, client_for):
    w = world
    # a stay with every item missing is created, changed and saved on the form as any other
    changed = stay_update(by=None, stay=w["stay"], notes="moved a day", end_date=w["stay"].end_date + timedelta(1))
    assert changed.notes == "moved a day" and not ReadinessCheck.objects.exists()
    resp = client_for(w["coordinator"]).post(
        reverse("stay-edit", args=[w["stay"].pk]),
        {
            "mode": "physical",
            "host_institution": w["ug"].pk,
            "start_date": w["stay"].start_date.isoformat(),
            "end_date": (w["stay"].end_date + timedelta(2)).isoformat(),
            "notes": "again",
        },
    )
    assert resp.status_code == 302
    assert Stay.objects.get(pk=w["stay"].pk).notes == "again"


def test_the_page_shows_every_missing_item_and_evidence_counts(world, client_for):
    w = world
    indemnity = next(i for i in w["items"] if i.evidence_needed)
    briefing = next(i for i in w["items"] if not i.evidence_needed and i.kind == ItemKind.GENERAL)
    services.check_save(by=w["coordinator"], stay=w["stay"], item=indemnity, done_on=TODAY)  # no evidence yet
    services.check_save(by=w["coordinator"], stay=w["stay"], item=briefing, done_on=TODAY)
    body = client_for(w["coordinator"]).get(reverse("stay-readiness", args=[w["stay"].pk])).content.decode()
    # the stay starts in 10 days: the induction (on arrival) and the debrief (on return) are not due yet
    missing = [i for i in w["items"] if i != briefing and i.kind == ItemKind.GENERAL]
    later = [i for i in w["items"] if i.kind != ItemKind.GENERAL]
    assert {i.kind for i in later} == {ItemKind.ARRIVAL, ItemKind.DEBRIEF}
    assert f"{len(missing)} items are missing" in body
    assert body.count("not yet due") == len(later)
    listed = body.split('<ul class="missing">')[1].split("</ul>")[0]
    for item in missing:
        assert item.name in listed  # the item done without the evidence it needs is still missing
    assert briefing.name not in listed and not any(i.name in listed for i in later)
    assert [r.status for r in selectors.checklist(w["stay"]) if r.item == indemnity] == ["no_evidence"]
    assert [r.status for r in selectors.checklist(w["stay"], today=TODAY) if r.item in later] == ["not_due"] * 2
    # from its first day the induction is due, after its last the debrief
    started = selectors.checklist(w["stay"], today=w["stay"].start_date)
    assert [r.status for r in started if r.item in later] == ["missing", "not_due"]
    ended = selectors.checklist(w["stay"], today=w["stay"].end_date + timedelta(days=1))
    assert [r.status for r in ended if r.item in later] == ["missing", "missing"]


def test_a_coordinator_records_the_checklist_with_evidence_and_history(world, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world
    item = next(i for i in w["items"] if i.evidence_needed)
    client = client_for(w["coordinator"])
    url = reverse("stay-readiness", args=[w["stay"].pk])
    data = {
        f"item-{item.pk}-done_on": TODAY.isoformat(),
        f"item-{item.pk}-evidence": SimpleUploadedFile("policy.pdf", b"%PDF-1.4 policy", "application/pdf"),
    }
    assert client.post(url, data).status_code == 302
    check = ReadinessCheck.objects.get()
    assert check.done_on == TODAY and check.checked_by == w["coordinator"] and check.evidence
    assert check.history.count() == 1 and check.history.get().history_user == w["coordinator"]
    assert selectors.status_of(item, check) == "done"
    download = client_for(w["member"]).get(reverse("readiness-evidence", args=[check.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 policy"
    # a bad value names the item's field, and nothing is written
    other = w["items"][1]
    bad = {
        f"item-{other.pk}-done_on": "not a date",
        f"item-{item.pk}-note": "changed",
    }
    resp = client.post(url, bad)
    assert resp.status_code == 200 and "Enter a valid date" in resp.content.decode()
    assert ReadinessCheck.objects.count() == 1 and ReadinessCheck.objects.get().note == ""
    # a file of a kind not accepted is refused by the service, with its field named
    with pytest.raises(ValidationError) as refused:
        services.check_save(
            by=None, stay=w["stay"], item=other, done_on=TODAY, evidence=SimpleUploadedFile("x.exe", b"MZ")
        )
    assert "evidence" in refused.value.message_dict


def test_the_home_lists_stays_starting_within_30_days_with_items_missing(world, make_user, client_for):
    w = world
    inside_last = _stay(w, w["bob"], TODAY + timedelta(days=30), days=5)
    _stay(w, w["bob"], TODAY + timedelta(days=31 + 10), days=5)  # after the window
    _stay(w, w["alice"], TODAY - timedelta(days=40), days=5)  # started before today
    virtual = _stay(w, w["alice"], TODAY + timedelta(days=2), mode="virtual", days=3)  # not a deployment
    ready = _stay(w, w["bob"], TODAY, days=5)
    _done(w, ready, w["items"])
    soon = selectors.starting_soon_with_missing([w["p"].pk], today=TODAY)
    assert [s.pk for s, _missing in soon] == [w["stay"].pk, inside_last.pk]
    before_departure = [i for i in w["items"] if i.kind == ItemKind.GENERAL]
    assert all(missing == before_departure for _s, missing in soon)  # the induction and debrief are not due yet
    _done(w, inside_last, before_departure)  # ready to go: everything due before departure done
    soon = selectors.starting_soon_with_missing([w["p"].pk], today=TODAY)
    assert [s.pk for s, _missing in soon] == [w["stay"].pk]
    body = client_for(w["coordinator"]).get(reverse("workspace")).content.decode()
    assert "readiness items missing" in body
    assert reverse("stay-readiness", args=[w["stay"].pk]) in body
    assert reverse("stay-readiness", args=[inside_last.pk]) not in body
    assert reverse("stay-readiness", args=[ready.pk]) not in body
    assert reverse("stay-readiness", args=[virtual.pk]) not in body
    # a member's home does not carry the coordinator's list
    assert "readiness items missing" not in client_for(w["member"]).get(reverse("workspace")).content.decode()


def test_who_may_read_record_and_configure(world, make_user, make_partnership, client_for, admin_user):
    w = world
    url = reverse("stay-readiness", args=[w["stay"].pk])
    item = w["items"][0]
    post = {f"item-{item.pk}-done_on": TODAY.isoformat()}
    member = client_for(w["member"])
    body = member.get(url).content.decode()
    assert 'enctype="multipart/form-data"' not in body and item.name in body  # members read, without a form
    assert member.post(url, post).status_code == 403
    other = make_user("othercoord", Role.COORDINATOR)
    make_partnership(name="Elsewhere", coordinator=other)
    assert client_for(other).get(url).status_code == 404
    assert client_for(other).post(url, post).status_code == 404
    assert not ReadinessCheck.objects.exists()
    assert client_for(w["coordinator"]).post(url, post).status_code == 302
    assert ReadinessCheck.objects.count() == 1
    # hub admins configure the items; coordinators do not
    items = reverse("readiness-items")
    assert client_for(w["coordinator"]).get(items).status_code == 403
    resp = client_for(admin_user).post(items, {"name": "Visa", "kind": "general", "position": 70, "active": "on"})
    assert resp.status_code == 302 and ReadinessItem.objects.get(name="Visa").history.count() == 1
    assert (
        client_for(w["coordinator"]).post(items, {"name": "Sneaky", "kind": "general", "position": 1}).status_code
        == 403
    )
    assert not ReadinessItem.objects.filter(name="Sneaky").exists()


def test_the_debrief_item_links_to_the_debrief_survey(world, client_for):
    w = world
    url = reverse("stay-readiness", args=[w["stay"].pk])
    assert "No volunteer debrief survey" in client_for(w["coordinator"]).get(url).content.decode()
    from healthlinks.evaluation.services import instrument_save
    from tests.evaluation.conftest import CHOICES, SETTINGS, SURVEY, workbook

    instrument_save(by=None, raw=workbook(SURVEY, CHOICES, SETTINGS), name="debrief.xlsx", slug="volunteer-debrief")
    body = client_for(w["coordinator"]).get(url).content.decode()
    assert reverse("instrument-detail", args=["volunteer-debrief"]) in body


def test_the_hub_overview_counts_per_partnership_and_item(world, make_partnership, client_for, admin_user):
    w = world
    _done(w, w["stay"], w["items"][:2])
    _stay(w, w["bob"], TODAY - timedelta(days=3), days=10)  # under way: counted
    _stay(w, w["bob"], TODAY - timedelta(days=400), days=10)  # ended: not counted
    data = selectors.overview(None, today=TODAY)
    (row,) = data["rows"]
    assert row["stays"] == 2 and row["ready"] == 0
    # items 3-4 are missing for both; the induction only for the stay under way; the debrief for neither (not ended)
    kinds = [i.kind for i in w["items"]]
    assert kinds == [ItemKind.GENERAL] * 4 + [ItemKind.ARRIVAL, ItemKind.DEBRIEF]
    assert row["missing"] == [1, 1, 2, 2, 1, 0]
    assert data["totals"] == row["missing"]
    body = client_for(admin_user).get(reverse("readiness-overview")).content.decode()
    assert w["p"].name in body and "0 of 2 stays ready" in body
    _done(w, w["stay"], w["items"][2:4])  # the stay to come has everything due before departure: ready
    assert selectors.overview(None, today=TODAY)["rows"][0]["ready"] == 1
    assert client_for(w["member"]).get(reverse("readiness-overview")).status_code == 200
