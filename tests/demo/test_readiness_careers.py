"""The demo world's readiness and careers stages: written through the apps' services, plausible (most past stays
ready, stays about to start with items missing on the coordinator's home, retention that differs by kind of stay),
deterministic for a seed, and the pages that read them show content."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from healthlinks.accounts.models import User
from healthlinks.careers.models import CareerRecord, CareerSource
from healthlinks.demo import careers as demo_careers
from healthlinks.demo import readiness as demo_readiness
from healthlinks.demo.world import WORLD_TODAY, world_build
from healthlinks.network.models import Stay
from healthlinks.readiness import selectors as readiness_selectors
from healthlinks.readiness.models import ReadinessCheck, ReadinessItem

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        with contextlib.ExitStack() as stack:
            spies = {
                name: stack.enter_context(mock.patch.object(module, name, wraps=getattr(module, name)))
                for module, name in (
                    (demo_readiness, "checks_create_many"),
                    (demo_readiness, "stays_save_many"),
                    (demo_careers, "career_records_save_many"),
                )
            }
            stats = world_build(scale="S", seed=1, build_day=TODAY)
        yield {"stats": stats, "spies": spies, "users": {u.username: u for u in User.objects.all()}}
        transaction.set_rollback(True)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_stages_write_through_the_services_with_history(world: dict[str, Any]) -> None:
    assert all(spy.called for spy in world["spies"].values())
    assert ReadinessItem.objects.filter(active=True).count() == 6
    checks, records = ReadinessCheck.objects.count(), CareerRecord.objects.count()
    assert world["stats"]["readiness checks"] == checks > 1000
    assert world["stats"]["career records"] == records > 1000
    for model in (ReadinessCheck, CareerRecord):
        assert model.history.filter(history_type="+").count() == model.objects.count(), model.__name__
    assert not CareerRecord.objects.filter(recorded_on__gt=WORLD_TODAY).exists()
    assert not CareerRecord.objects.filter(person__is_synthetic=False).exists()
    assert set(CareerRecord.objects.values_list("source", flat=True)) == {CareerSource.FOLLOW_UP_SURVEY}
    # every status appears: people stay, change post, are promoted, move, go abroad, leave
    assert CareerRecord.objects.values("status").distinct().count() == 6
    # checks are only for physical stays, evidence noted where an item needs it (with a few gaps)
    assert not ReadinessCheck.objects.exclude(stay__mode="physical").exists()
    needing = ReadinessCheck.objects.filter(item__evidence_needed=True)
    assert needing.exclude(note="").count() > 0.9 * needing.count()


def test_most_past_stays_are_ready_and_planned_ones_miss_items(world: dict[str, Any]) -> None:
    past = list(
        Stay.objects.filter(mode="physical", end_date__lt=WORLD_TODAY - timedelta(60), readiness_checks__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    missing = readiness_selectors.missing_by_stay(past)
    ready = sum(1 for gaps in missing.values() if not gaps)
    assert len(past) > 300 and 0.75 < ready / len(past) < 0.97
    # planned deployments start after the build day; the pre-departure items of some are all done, of others not
    planned = Stay.objects.filter(mode="physical", start_date__gt=TODAY)
    assert 3 <= planned.count() <= 60
    gaps = readiness_selectors.missing_by_stay(planned.values_list("pk", flat=True))
    assert all(gaps.values())  # the induction and the debrief come later
    assert any(len(items) > 2 for items in gaps.values())
    from healthlinks.network.services import overlapping_pairs

    assert overlapping_pairs(Stay.objects.filter(person__stays__in=planned)) == []


def test_the_coordinators_home_lists_stays_starting_soon_with_items_missing(world: dict[str, Any]) -> None:
    page = _client(world["users"]["coordinator"]).get(reverse("workspace")).content.decode()
    assert 'id="not-ready"' in page
    assert re.search(r'href="/stays/\d+/readiness/"', page)
    assert "Missing:" in page


def test_the_readiness_page_shows_partnerships_with_current_and_coming_stays(world: dict[str, Any]) -> None:
    users = world["users"]
    page = _client(users["coordinator"]).get(reverse("readiness-overview"))
    assert page.status_code == 200
    assert page.context["rows"] and page.context["stays"] >= 3
    admin = _client(users["admin"]).get(reverse("readiness-overview"))
    assert len(admin.context["rows"]) > len(page.context["rows"])
    assert _client(users["researcher"]).get(reverse("readiness-overview")).status_code == 403


def test_the_careers_page_shows_retention_that_differs_by_kind(world: dict[str, Any]) -> None:
    users = world["users"]
    page = _client(users["coordinator"]).get(reverse("careers"))
    assert page.status_code == 200
    rows = [row for _title, table in page.context["tables"] for _name, row in table]
    assert any(cell.followed_up for row in rows for cell in row.cells)
    assert "%)" in page.content.decode()
    admin = _client(users["admin"]).get(reverse("careers"))
    by_kind = {row.key: row for _name, row in admin.context["tables"][1][1]}
    assert {"trainee", "visit", "short_stay", "long_term"} <= set(by_kind)
    five = {kind: row.cells[2] for kind, row in by_kind.items()}
    # trainees at the host leave more often (abroad among them) than volunteers back from short visits
    assert five["trainee"].percent is not None and five["visit"].percent is not None
    assert five["trainee"].percent < five["visit"].percent
    assert five["trainee"].moved_abroad > 0
    assert all(c.followed_up < c.due for row in by_kind.values() for c in row.cells if c.due)  # a share followed up
