"""Any write to a model the analyses read replaces the data version token."""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

WATCHED_APPS = ("registry", "network", "activities", "results", "reference")


def bump() -> None:
    """Mark the analysed data as changed (bulk writers that bypass signals call this themselves)."""
    from healthlinks.analytics.models import DataVersion

    token = uuid.uuid4().hex
    if not DataVersion.objects.filter(pk=1).update(token=token, changed_at=timezone.now()):
        DataVersion.objects.update_or_create(pk=1, defaults={"token": token})


def current() -> str | None:
    from healthlinks.analytics.models import DataVersion

    return DataVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def _on_write(sender: Any, **_kwargs: Any) -> None:
    bump()


def connect() -> None:
    for config in apps.get_app_configs():
        if config.label not in WATCHED_APPS:
            continue
        for model in config.get_models():
            if model.__name__.startswith("Historical"):
                continue
            post_save.connect(_on_write, sender=model, dispatch_uid=f"analytics-save-{model._meta.label}")
            post_delete.connect(_on_write, sender=model, dispatch_uid=f"analytics-delete-{model._meta.label}")
    m2m_changed.connect(_on_write, dispatch_uid="analytics-m2m")
