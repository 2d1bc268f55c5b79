"""Background tasks: submission, progress, failure, interruption and re-run, the pages and their permissions,
and the report task (PDF and HTML) against the hand-counted world of tests/results."""

import json
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from healthlinks.accounts.models import Role
from healthlinks.analytics import engine
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import collective_impact
from healthlinks.tasks import services
from healthlinks.tasks.models import Task
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS_EAGER = True
    engine.clear()


def test_analysis_task_writes_the_same_figures_as_the_selector(world, admin_user):  # noqa: F811
    task = services.submit("analysis", user=admin_user, params={"analysis": "impact", "scope": {"year_from": 2022}})
    assert task.status == Task.Status.DONE, task.message
    path = services.output_path(task)
    assert path is not None and path.name == "impact.json"
    figures = json.loads(path.read_text())
    expected = collective_impact(admin_user, Scope(year_from=2022))
    assert figures["totals"]["trained"] == expected["totals"]["trained"] == 5
    status = services.task_status(task)
    assert status["status"] == "done" and status["percent"] == 100 and status["has_output"]


def test_bad_parameters_fail_with_their_message_and_unknown_kinds_are_refused(admin_user):
    task = services.submit("analysis", user=admin_user, params={"analysis": "astrology"})
    assert task.status == Task.Status.FAILED
    assert "analysis must be one of mobility, network, impact, vfm, typology" in task.message
    with pytest.raises(services.TaskRejected, match="unknown task kind 'nope'"):
        services.submit("nope", user=admin_user)
    assert Task.objects.count() == 1


def test_a_task_whose_worker_died_is_marked_failed_and_can_be_run_again(world, admin_user, settings):  # noqa: F811
    settings.TASKS_EAGER = False
    task = services.submit("analysis", user=admin_user, params={"analysis": "impact"})
    assert task.status == Task.Status.QUEUED
    # a worker took it, reported some progress, then vanished: its heartbeat stops
    Task.objects.filter(pk=task.pk).update(status=Task.Status.RUNNING, started_at=timezone.now(), worker="gone:1")
    services.write_progress(task.pk, {"stage": "extracting", "done": 3, "total": 9})
    assert services.reap_interrupted(stale_seconds=60) == []  # fresh heartbeat: still running
    assert services.reap_interrupted(stale_seconds=-1) == [task.pk]
    task.refresh_from_db()
    assert task.status == Task.Status.FAILED
    assert task.message.startswith("interrupted: the worker stopped during extracting (3 of 9)")
    again = services.rerun(task, user=admin_user)
    assert again.rerun_of == task and again.status == Task.Status.QUEUED
    assert services.run_worker(once=True) == 1  # the queue hands over both: the reaped one is not run again
    again.refresh_from_db()
    task.refresh_from_db()
    assert again.status == Task.Status.DONE and task.status == Task.Status.FAILED


def test_a_dead_worker_process_on_this_host_is_reaped_without_waiting(admin_user, settings):
    import subprocess
    import sys

    settings.TASKS_EAGER = False
    task = services.submit("analysis", user=admin_user, params={"analysis": "impact"})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    gone.wait()
    host = services.worker_id().rsplit(":", 1)[0]
    Task.objects.filter(pk=task.pk).update(status=Task.Status.RUNNING, worker=f"{host}:{gone.pid}")
    services.write_progress(task.pk, {"stage": "", "done": 0, "total": 0})
    assert services.reap_interrupted() == [task.pk]


def test_task_pages_show_only_your_own_tasks(world, admin_user, make_user, client_for):  # noqa: F811
    owner = make_user("owner", Role.COORDINATOR)
    other = make_user("other", Role.COORDINATOR)
    task = services.submit("analysis", user=owner, params={"analysis": "impact"})
    mine = client_for(owner)
    assert "impact" in mine.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert mine.get(reverse("task-status", args=[task.pk])).json()["status"] == "done"
    download = mine.get(reverse("task-download", args=[task.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"{")
    assert task.label in mine.get(reverse("task-list")).content.decode()
    for url in ("task-detail", "task-status", "task-download"):
        assert client_for(other).get(reverse(url, args=[task.pk])).status_code == 404
        assert client_for(admin_user).get(reverse(url, args=[task.pk])).status_code == 200
        assert client_for(None).get(reverse(url, args=[task.pk])).status_code == 302  # to the login page
    assert task.label not in client_for(other).get(reverse("task-list")).content.decode()


def test_rerun_button_only_for_failed_tasks(admin_user, client_for):
    client = client_for(admin_user)
    failed = services.submit("analysis", user=admin_user, params={"analysis": "x"})
    response = client.post(reverse("task-rerun", args=[failed.pk]))
    new = Task.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("task-detail", args=[new.pk])
    assert new.rerun_of_id == failed.pk


def test_one_click_report_from_the_analysis_page(world, admin_user, client_for):  # noqa: F811
    client = client_for(admin_user)
    page = client.get(reverse("analytics-impact"), {"year_from": 2022}).content.decode()
    assert 'name="format" value="pdf"' in page
    response = client.post(reverse("analytics-report") + "?year_from=2022&year_to=2022", {"format": "pdf"})
    task = Task.objects.get()
    assert response["Location"] == reverse("task-detail", args=[task.pk])
    assert task.status == Task.Status.DONE, task.message
    pdf = services.output_path(task)
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    client.post(reverse("analytics-report") + "?year_from=2022&year_to=2022", {"format": "html"})
    html = services.output_path(Task.objects.get(params__format="html")).read_text()
    assert world["p"].name in html and "data:image/png;base64," in html
    # the figures are those of the collective impact analysis: 5 health workers trained, 18 volunteer days
    assert "<strong>5</strong> health workers trained (each once)" in html
    assert "<strong>18</strong> volunteer days" in html
    assert "Notes on uncertainty and data sources" in html
    assert client_for(None).post(reverse("analytics-report"), {"format": "pdf"}).status_code == 302
    bad = client.post(reverse("analytics-report") + "?year_from=nineteen", {"format": "pdf"})
    assert bad.status_code == 400 and "year" in bad.content.decode().lower()


def test_report_command_writes_pdf_and_html(world, tmp_path):  # noqa: F811
    from healthlinks.cli import main

    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    slug = world["p"].slug
    assert main(["report", "--partnership", slug, "--pdf", str(pdf), "--html", str(html)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert f"<h1>{world['p'].name}</h1>" in html.read_text()
    assert main(["report", "--partnership", "no-such", "--pdf", str(pdf)]) == 2
    assert main(["report", "--all"]) == 2  # no output named


def test_worker_command_runs_queued_tasks(admin_user, settings, capsys):
    from healthlinks.cli import main

    settings.TASKS_EAGER = False
    services.submit("analysis", user=admin_user, params={"analysis": "typology"})
    assert main(["worker", "--once"]) == 0
    assert "1 task(s) run" in capsys.readouterr().out
    assert Task.objects.get().status == Task.Status.DONE


def test_progress_is_written_while_running_where_the_web_servers_read_it(admin_user, settings):
    seen = []

    def slow(task, progress):
        for i in range(3):
            progress("step", i, 3)
            seen.append(services.read_progress(task))
            time.sleep(0.35)
        return {"message": "ok"}

    services.KINDS["_slow"] = "tests.tasks.test_tasks:_SLOW"
    globals()["_SLOW"] = slow
    try:
        task = services.submit("_slow", user=admin_user)
    finally:
        del services.KINDS["_slow"]
    assert task.status == Task.Status.DONE and task.message == "ok"
    assert [s["done"] for s in seen] == [0, 1, 2] and all(s["total"] == 3 for s in seen)
    assert services.read_progress(task)["done"] == 3  # done, as the page shows it


def test_iati_import_as_a_task_reports_its_counts_and_a_broken_file_fails_with_nothing_written(admin_user, tmp_path):
    import shutil

    from healthlinks.projects.models import Project
    from tests.fixtures import EXTERNAL

    source = sorted((EXTERNAL / "iati" / "activities").glob("*.xml"))[0]
    folder = services.task_file_dir("upload-1")
    shutil.copy(source, folder / source.name)
    relative = str((folder / source.name).relative_to(settings.MEDIA_ROOT))
    task = services.submit("iati_import", user=admin_user, input_file=relative, label=source.name)
    assert task.status == Task.Status.DONE, task.message
    imported = task.result["imported"] + task.result["imported_with_warnings"]
    assert imported == Project.objects.count() > 0 and task.result["created"] == imported
    assert f"{task.result['activities']} activities" in task.message
    shown = services.task_status(task)  # the import told the task how far it got, in activities
    assert (shown["stage"], shown["done"], shown["total"]) == (
        "activities",
        task.result["activities"],
        task.result["activities"],
    )

    broken = folder / "broken.xml"
    broken.write_bytes(source.read_bytes()[: len(source.read_bytes()) // 2])
    failed = services.submit(
        "iati_import", user=admin_user, input_file=str(broken.relative_to(settings.MEDIA_ROOT)), label="broken"
    )
    assert failed.status == Task.Status.FAILED and "nothing written" in failed.message
    assert Project.objects.count() == imported


@pytest.mark.parametrize("kind", ["analysis", "report"])
def test_a_full_disk_fails_the_task_plainly_and_leaves_no_truncated_output(world, admin_user, monkeypatch, kind):  # noqa: F811
    import errno

    real_write = Path.write_bytes

    def half_then_full(self, data):
        real_write(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", half_then_full)
    params = {"analysis": "impact"} if kind == "analysis" else {"format": "html", "scope": {}}
    task = services.submit(kind, user=admin_user, params=params)
    assert task.status == Task.Status.FAILED
    assert task.message.startswith("The server's disk is full: nothing was saved.") and "again" in task.message
    assert services.output_path(task) is None
    assert not [p for p in (Path(settings.MEDIA_ROOT) / "tasks").rglob("*") if p.is_file()]

    monkeypatch.undo()  # space freed: the same task runs again and its output is whole
    again = services.rerun(task, user=admin_user)
    again.refresh_from_db()
    assert again.status == Task.Status.DONE, again.message
    assert services.output_path(again).stat().st_size > 0


def test_the_iati_import_pauses_the_collector_only_in_a_worker_processs_main_thread(admin_user, settings, monkeypatch):
    """The cyclic collector is process-wide: the import pauses it in `healthlinks worker`'s main thread, never
    in a web request (an eager task runs in the request's thread) nor in the development server's worker thread."""
    import threading

    from healthlinks.interchange.iati import importer

    asked: list[bool] = []
    real = importer.import_iati

    def spy(*args, **kwargs):
        asked.append(kwargs.get("pause_collector", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "import_iati", spy)
    folder = services.task_file_dir("upload-gc")
    (folder / "empty.xml").write_text('<iati-activities version="2.03"></iati-activities>')
    relative = str((folder / "empty.xml").relative_to(settings.MEDIA_ROOT))

    services.submit("iati_import", user=admin_user, input_file=relative)  # eager: as in a web request
    settings.TASKS_EAGER = False
    services.submit("iati_import", user=admin_user, input_file=relative)
    assert services.run_worker(once=True) == 1  # the worker command's main thread
    assert asked == [False, True]
    assert not services.in_worker_main_thread()  # cleared when the worker stops

    seen: list[bool] = []
    monkeypatch.setattr(services, "_database_work", lambda **_kw: seen.append(services.in_worker_main_thread()))
    monkeypatch.setattr(services, "reap_interrupted", lambda **_kw: [])  # no database in the thread
    monkeypatch.setattr(services, "_ran_here", lambda _since: 0)
    services.run_worker(once=True)  # the worker command's main thread
    other = threading.Thread(target=services.run_worker, kwargs={"once": True})  # `serve`'s worker thread
    other.start()
    other.join()
    assert seen == [True, False]


def test_a_partnership_page_offers_its_report_in_one_click_and_download_only_when_the_file_is_there(
    world,  # noqa: F811
    admin_user,
    client_for,
):
    client = client_for(admin_user)
    url = reverse("partnership-detail", args=[world["p"].slug])
    page = client.get(url).content.decode()
    assert "Prepare the PDF report" in page and "Download the PDF report" not in page
    client.post(reverse("analytics-report") + f"?partnership={world['p'].slug}", {"format": "pdf"})
    task = Task.objects.get()
    assert task.status == Task.Status.DONE, task.message
    page = client.get(url).content.decode()
    assert "Download the PDF report" in page and reverse("task-download", args=[task.pk]) in page
    assert "Prepare the PDF report again" in page and "Prepare the web page report" in page
    html_report = services.output_path(task)
    assert html_report is not None
    detail = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert '<p id="task-download">' in detail
    # the file gone (cleaned up, another machine's disk): no link that answers Not Found, "Prepare" instead
    html_report.unlink()
    page = client.get(url).content.decode()
    assert "Download the PDF report" not in page and "Prepare the PDF report" in page
    detail = client.get(reverse("task-detail", args=[task.pk])).content.decode()
    assert '<p id="task-download" hidden>' in detail
    assert services.task_status(task)["has_output"] is False
    # a single partnership's report says why it shows no model, in words
    client.post(reverse("analytics-report") + f"?partnership={world['p'].slug}", {"format": "html"})
    html = services.output_path(Task.objects.get(params__format="html")).read_text()
    assert "No model is shown" in html or "Too few observations to model" in html
    assert "log-odds" not in html.split("Notes on uncertainty")[0].lower() and world["p"].slug not in html
