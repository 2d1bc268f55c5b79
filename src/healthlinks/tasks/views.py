"""Task pages: the list of your tasks, one task's progress (polled by app.js), its download, and run again."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from healthlinks.tasks.models import Task
from healthlinks.tasks.services import output_path, rerun, task_status, visible_tasks


def _task(request: HttpRequest, pk: int) -> Task:
    """Your own tasks, or any task for hub administrators; others get 404 (the task's existence is not told)."""
    return get_object_or_404(visible_tasks(request.user), pk=pk)


@login_required
@require_safe
def task_list(request: HttpRequest) -> HttpResponse:
    tasks = list(visible_tasks(request.user)[:100])
    return render(request, "tasks/task_list.html", {"tasks": [(t, task_status(t)) for t in tasks]})


@login_required
@require_safe
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    return render(request, "tasks/task_detail.html", {"task": task, "status": task_status(task)})


@login_required
@require_safe
def task_status_json(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(task_status(_task(request, pk)))


@login_required
@require_safe
def task_download(request: HttpRequest, pk: int) -> FileResponse:
    task = _task(request, pk)
    path = output_path(task)
    if task.status != Task.Status.DONE or path is None:
        raise Http404("this task has no file to download")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@login_required
@require_POST
def task_rerun(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if task.status != Task.Status.FAILED:
        return redirect("task-detail", pk=task.pk)
    return redirect("task-detail", pk=rerun(task, user=request.user).pk)
