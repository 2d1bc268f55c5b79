"""Tasks run the same on both queues django-tasks gives us: the database (the embedded default) and RQ on Redis
(several machines), with progress where every worker and web server reads it. The IATI import reports how far it
got on both."""

import shutil

import pytest
from django.conf import settings

from healthlinks.projects.models import Project
from healthlinks.tasks import services
from healthlinks.tasks.models import Task
from tests.fixtures import EXTERNAL

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/15"  # a database of its own, emptied by the test


@pytest.fixture
def rq_queue(settings):
    import django_rq
    import redis

    try:
        redis.Redis.from_url(REDIS).ping()
    except redis.exceptions.ConnectionError:  # pragma: no cover - CI has Redis (make test's machine runs it)
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.RQ_QUEUES = {"default": {"URL": REDIS}}
    settings.TASKS = {**settings.TASKS, "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.CACHES = {
        **settings.CACHES,
        "tasks": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS},
    }
    redis.Redis.from_url(REDIS).flushdb()
    yield django_rq.get_queue("default")
    redis.Redis.from_url(REDIS).flushdb()


def _upload(name: str) -> str:
    source = sorted((EXTERNAL / "iati" / "activities").glob("*.xml"))[0]
    folder = services.task_file_dir(name)
    shutil.copy(source, folder / source.name)
    return str((folder / source.name).relative_to(settings.MEDIA_ROOT))


def _submit_and_work(admin_user, queued) -> Task:
    task = services.submit("iati_import", user=admin_user, input_file=_upload("backend"), label="iati")
    assert task.status == Task.Status.QUEUED and queued() == 1  # waiting on the queue, not run
    assert services.run_worker(once=True) == 1
    task.refresh_from_db()
    return task


def _check(task: Task) -> None:
    assert task.status == Task.Status.DONE, task.message
    assert task.result["created"] == Project.objects.count() > 0
    shown = services.task_status(task)  # as the task page polls it, from the shared progress store
    assert shown["stage"] == "activities" and shown["done"] == shown["total"] == task.result["activities"] > 0


def test_database_queue(admin_user, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS_EAGER = False
    task = _submit_and_work(admin_user, lambda: DBTaskResult.objects.ready().count())
    _check(task)
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_rq_queue_on_redis(admin_user, settings, rq_queue, django_capture_on_commit_callbacks):
    from django.core.cache import caches

    settings.TASKS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True) as queued_at_commit:
        task = services.submit("iati_import", user=admin_user, input_file=_upload("rq"), label="iati")
    assert len(queued_at_commit) == 1  # queued once the Task row is committed, never before
    assert task.status == Task.Status.QUEUED and rq_queue.count == 1
    assert services.run_worker(once=True) == 1
    task.refresh_from_db()
    _check(task)
    assert rq_queue.count == 0
    assert "redis" in type(caches["tasks"]).__module__  # progress came through Redis, which every machine reads


def test_a_task_delivered_twice_runs_once(admin_user, settings):
    settings.TASKS_EAGER = False
    task = services.submit("analysis", user=admin_user, params={"analysis": "typology"})
    services.run_queued(task_id=task.pk)
    services.run_queued(task_id=task.pk)  # a queue that delivers again (RQ after a lost acknowledgement)
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and Task.objects.count() == 1
