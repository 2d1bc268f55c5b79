"""The API's own data version: replaced by every write to the records that analytics.DataVersion does not watch
(surveys, interviews, evidence, projects, erasures, users' roles), in the same transaction as the write.

Together with analytics.DataVersion it makes the validator of every API response (healthlinks.api.conditional)."""

from __future__ import annotations

from django.db import models


class ApiVersion(models.Model):
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"API data version {self.token}"
