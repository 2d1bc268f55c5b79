"""Writes the analytics data version does not see replace the API data version (healthlinks.api.models)."""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

# Apps whose records the API serves but analytics.signals.WATCHED_APPS leaves out ("accounts": a user's role
# decides what they see).
WATCHED_APPS = ("evaluation", "interviews", "evidence", "projects", "ops", "accounts")


def bump() -> None:
    from healthlinks.api.models import ApiVersion

    token = uuid.uuid4().hex
    if not ApiVersion.objects.filter(pk=1).update(token=token, changed_at=timezone.now()):
        ApiVersion.objects.update_or_create(pk=1, defaults={"token": token})


def _on_write(sender: Any, update_fields: Any = None, **_kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a log-in changes nothing the API serves
    bump()


def connect() -> None:
    for config in apps.get_app_configs():
        if config.label not in WATCHED_APPS:
            continue
        for model in config.get_models():
            if model.__name__.startswith("Historical"):
                continue
            post_save.connect(_on_write, sender=model, dispatch_uid=f"api-save-{model._meta.label}")
            post_delete.connect(_on_write, sender=model, dispatch_uid=f"api-delete-{model._meta.label}")
