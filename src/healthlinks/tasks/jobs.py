"""The one django-tasks task through which every background task runs: a queued `tasks.Task` by its id.

The queue backend (settings.TASKS: the database by default, RQ on Redis) carries only the id; the Task row is the
record users see (who asked, what, progress, result, output), kept the same whatever backend runs it."""

from __future__ import annotations

from django_tasks import task


@task()
def run(task_id: int) -> None:
    from healthlinks.tasks.services import run_queued

    run_queued(task_id=task_id)
