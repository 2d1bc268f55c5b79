"""A background task: a long import, analysis or report run by a worker from the django-tasks queue.

Progress goes to the "tasks" cache (tasks.services), not to this row: the work itself usually runs in one
transaction (imports are all or nothing), and progress written through that transaction would stay invisible
until the end.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Task(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=40)
    label = models.CharField(_("label"), max_length=200, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    input_file = models.CharField(_("input file"), max_length=500, blank=True, help_text=_("under MEDIA_ROOT"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    message = models.TextField(_("message"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    output_file = models.CharField(_("output file"), max_length=500, blank=True, help_text=_("under MEDIA_ROOT"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    worker = models.CharField(_("worker"), max_length=100, blank=True, help_text=_("host:pid that ran it"))
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
