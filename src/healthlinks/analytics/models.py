"""The data version: a random token replaced by every write to a record the analyses read (in the same
transaction as the write, so a rollback restores it too). Cached extractions and results are keyed by it and
so are dropped exactly when they go stale, in every process.

Beside it, each table written one record at a time has its own token (TableVersion), so that after a write the
engine extracts again only the tables that changed. Bulk writers, which do not say which tables they wrote,
replace `generation`: every table then counts as changed."""

from __future__ import annotations

from django.db import models


class DataVersion(models.Model):
    token = models.CharField(max_length=32)
    generation = models.CharField(max_length=32, default="")
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"data version {self.token}"


class TableVersion(models.Model):
    """The token of the last write to one database table (by its name), recorded by analytics.signals."""

    table = models.CharField(max_length=63, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.table} version {self.token}"
