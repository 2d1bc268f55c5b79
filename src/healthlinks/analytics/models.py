"""The data version: a random token replaced by every write to a record the analyses read (in the same
transaction as the write, so a rollback restores it too). Cached extractions and results are keyed by it and
so are dropped exactly when they go stale, in every process."""

from __future__ import annotations

from django.db import models


class DataVersion(models.Model):
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"data version {self.token}"
