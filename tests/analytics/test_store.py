"""Results shared across the server's processes and served a little stale while one process refreshes them."""

import threading

import pytest
from django.urls import reverse

from healthlinks.activities.models import Outcome
from healthlinks.analytics import engine
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import mobility_analysis
from tests.analytics.test_mobility import small  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)  # the background refresh reads through its own connection


def _events(data):
    return sum(r["events"] for r in data["outcomes"]["l3"]["breakdowns"]["mode"])


def _change_one_outcome():
    outcome = Outcome.objects.filter(practice_changed=False).first()
    outcome.practice_changed = True
    outcome.save()


def _no_extraction(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("extracted the database although a stored result was current")

    monkeypatch.setattr(engine, "extract", refuse)


def test_another_process_answers_from_the_stored_result_without_extracting(small, admin_user, monkeypatch):  # noqa: F811
    first = mobility_analysis(admin_user, Scope())
    engine.clear()  # as in a second gunicorn worker: no snapshot in memory
    _no_extraction(monkeypatch)
    assert mobility_analysis(admin_user, Scope()) == first


def test_with_no_staleness_a_write_is_counted_at_once(small, admin_user, settings):  # noqa: F811
    settings.HEALTHLINKS_ANALYTICS_STALE_SECONDS = 0
    before = _events(mobility_analysis(admin_user, Scope()))
    _change_one_outcome()
    after = mobility_analysis(admin_user, Scope())
    assert _events(after) == before + 1 and "as_of" not in after


def test_after_a_write_the_last_figures_are_served_marked_while_one_refresh_runs(
    small, admin_user, settings, client_for, monkeypatch  # noqa: F811
):
    settings.HEALTHLINKS_ANALYTICS_STALE_SECONDS = 600
    settings.HEALTHLINKS_ANALYTICS_REFRESH_SECONDS = 0
    before = _events(mobility_analysis(admin_user, Scope()))
    _change_one_outcome()
    started, release = threading.Event(), threading.Event()
    real_extract = engine.extract

    def extract_once(*args, **kwargs):
        assert not started.is_set(), "a second refresh started while the first ran"
        started.set()
        release.wait(60)  # held until the stale answers below are checked
        return real_extract(*args, **kwargs)

    monkeypatch.setattr(engine, "extract", extract_once)
    stale = mobility_analysis(admin_user, Scope())
    assert _events(stale) == before and stale["as_of"]
    page = client_for(admin_user).get(reverse("analytics-mobility")).content.decode()
    assert "the latest changes are being added" in page
    release.set()
    for thread in [t for t in threading.enumerate() if t.name == "analytics-refresh"]:
        thread.join(timeout=60)
    fresh = mobility_analysis(admin_user, Scope())
    assert _events(fresh) == before + 1 and "as_of" not in fresh
    assert started.is_set()


def test_in_production_the_task_worker_refreshes_and_the_web_process_only_queues(
    small, admin_user, settings, monkeypatch  # noqa: F811
):
    from healthlinks.tasks.services import run_worker

    settings.HEALTHLINKS_ANALYTICS_STALE_SECONDS = 600
    settings.HEALTHLINKS_ANALYTICS_REFRESH_SECONDS = 0
    settings.HEALTHLINKS_ANALYTICS_REFRESH_BY = "worker"
    before = _events(mobility_analysis(admin_user, Scope()))
    _change_one_outcome()
    engine.clear()
    _no_extraction(monkeypatch)  # the web process answers the stored figures and computes nothing
    stale = mobility_analysis(admin_user, Scope())
    assert _events(stale) == before and stale["as_of"]
    assert not [t for t in threading.enumerate() if t.name == "analytics-refresh"]
    assert _queued_refreshes() == 1  # on the tasks queue, which the workers of every machine read
    mobility_analysis(admin_user, Scope())  # asked again while queued: queued once
    assert _queued_refreshes() == 1

    monkeypatch.undo()  # the worker extracts
    run_worker(once=True)
    assert _queued_refreshes() == 0
    engine.clear()
    _no_extraction(monkeypatch)  # back in the web process: the worker's result, current, from the store
    fresh = mobility_analysis(admin_user, Scope())
    assert _events(fresh) == before + 1 and "as_of" not in fresh


def _queued_refreshes() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path="healthlinks.analytics.jobs.refresh").count()


def test_an_unreadable_queued_refresh_is_dropped_not_fatal(caplog):
    from healthlinks.analytics import store

    store.refresh_queued("bm90IGEgcGlja2xl")  # not a pickle
    assert "unreadable queued refresh dropped" in caplog.text


def test_the_dashboard_is_refreshed_by_the_worker_too(
    small, admin_user, settings, client, caplog, monkeypatch  # noqa: F811
):
    from healthlinks.tasks.services import run_worker
    from healthlinks.web import views

    settings.HEALTHLINKS_ANALYTICS_STALE_SECONDS = 600
    settings.HEALTHLINKS_ANALYTICS_REFRESH_SECONDS = 0
    settings.HEALTHLINKS_ANALYTICS_REFRESH_BY = "worker"
    client.get("/")  # anonymous: stored
    client.force_login(admin_user)
    client.get("/")  # signed in: stored under another key
    _change_one_outcome()
    client.get("/")
    client.logout()
    client.get("/")
    assert _queued_refreshes()  # queued with its user (one key when both see the same)
    run_worker(once=True)
    assert _queued_refreshes() == 0 and "failed" not in caplog.text

    def refuse(user):
        raise AssertionError("recomputed although the worker stored the current figures")

    monkeypatch.setattr(views, "_dashboard_context", refuse)
    assert client.get("/").status_code == 200
    client.force_login(admin_user)
    assert client.get("/").status_code == 200
