from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """The audit line left by a personal data erasure: which pseudonymous record, when, by whom, what was scrubbed.
    It holds no personal data."""

    pseudo_id = models.CharField(_("pseudonymous id"), max_length=16, db_index=True)
    erased_at = models.DateTimeField(_("erased at"), auto_now_add=True)
    erased_by = models.CharField(_("erased by"), max_length=150, blank=True)
    rows = models.PositiveIntegerField(_("rows scrubbed"), default=0)
    detail = models.JSONField(_("rows scrubbed per table"), default=dict)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"{self.pseudo_id} erased {self.erased_at:%Y-%m-%d}"
