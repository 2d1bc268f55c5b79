"""`readiness.services.checks_create_many`: many checks at once, validated, all or nothing, with history."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from healthlinks.network.models import PersonRole
from healthlinks.network.services import stay_create
from healthlinks.readiness import services
from healthlinks.readiness.models import ReadinessCheck, ReadinessItem
from healthlinks.records import RowInvalid

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def world(network_world):
    w = network_world
    PersonRole.objects.create(person=w["alice"], partnership=w["p"], role="volunteer")
    services.items_create_defaults(by=None)
    w["items"] = list(ReadinessItem.objects.order_by("position"))
    w["stay"] = stay_create(
        by=None,
        person=w["alice"],
        partnership=w["p"],
        host_institution=w["ug"],
        sending_institution=w["uk"],
        mode="physical",
        start_date=TODAY + timedelta(days=10),
        end_date=TODAY + timedelta(days=30),
    )
    return w


def test_many_checks_are_written_with_their_history(world):
    w = world
    checks = [ReadinessCheck(stay=w["stay"], item=item, done_on=TODAY, note="seen") for item in w["items"][:3]]
    saved = services.checks_create_many(by=w["coordinator"], checks=checks)
    assert [c.pk for c in saved] and all(c.pk for c in saved)
    stored = ReadinessCheck.objects.filter(stay=w["stay"])
    assert sorted(stored.values_list("pk", flat=True)) == sorted(c.pk for c in saved)
    assert {c.note for c in stored} == {"seen"} and not any(c.evidence for c in stored)
    rows = ReadinessCheck.history.filter(history_type="+")
    assert rows.count() == 3 and {r.history_user_id for r in rows} == {w["coordinator"].pk}


@pytest.mark.parametrize("bad", ["twice", "recorded", "no_item", "file"])
def test_a_refused_check_writes_nothing(world, bad):
    w = world
    first, second = w["items"][:2]
    if bad == "recorded":
        services.check_save(by=None, stay=w["stay"], item=first, done_on=TODAY)
    checks = [ReadinessCheck(stay=w["stay"], item=second, done_on=TODAY)]
    if bad in ("twice", "recorded"):
        checks.append(ReadinessCheck(stay=w["stay"], item=first, done_on=TODAY))
    if bad == "twice":
        checks.append(ReadinessCheck(stay=w["stay"], item=first, done_on=TODAY))
    if bad == "no_item":
        checks.append(ReadinessCheck(stay=w["stay"], item_id=99999, done_on=TODAY))
    if bad == "file":
        checks.append(ReadinessCheck(stay=w["stay"], item=first, evidence=SimpleUploadedFile("a.pdf", b"%PDF-1.4")))
    before = ReadinessCheck.objects.count()
    with pytest.raises(RowInvalid) as refused:
        services.checks_create_many(by=None, checks=checks)
    assert refused.value.index == len(checks) - 1
    assert ReadinessCheck.objects.count() == before
