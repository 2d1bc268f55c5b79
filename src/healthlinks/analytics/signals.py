"""Any write to a model the analyses read replaces the data version token, and the token of the table written."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

WATCHED_APPS = ("registry", "network", "activities", "results", "reference")

# what the engine compares to decide which extracted tables it can keep: (generation, {table: token})
Versions = tuple[str, dict[str, str]]


def bump(tables: Iterable[str] | None = None) -> None:
    """Mark the analysed data as changed: the database tables named (one token each), or, without names, every
    table (bulk writers that bypass signals call this themselves)."""
    from healthlinks.analytics.models import DataVersion, TableVersion

    token = uuid.uuid4().hex
    changes: dict[str, Any] = {"token": token, "changed_at": timezone.now()}
    if tables is None:
        changes["generation"] = token
    if not DataVersion.objects.filter(pk=1).update(**changes):
        DataVersion.objects.update_or_create(pk=1, defaults={k: v for k, v in changes.items() if k != "changed_at"})
    if tables is not None:
        TableVersion.objects.bulk_create(
            [TableVersion(table=name, token=token) for name in sorted(set(tables))],
            update_conflicts=True,
            unique_fields=["table"],
            update_fields=["token"],
        )


def current() -> str | None:
    from healthlinks.analytics.models import DataVersion

    return DataVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def versions() -> Versions:
    """The generation and every table's token, as they are now."""
    from healthlinks.analytics.models import DataVersion, TableVersion

    generation = DataVersion.objects.filter(pk=1).values_list("generation", flat=True).first() or ""
    return generation, dict(TableVersion.objects.values_list("table", "token"))


def _on_write(sender: Any, **_kwargs: Any) -> None:
    bump([sender._meta.db_table])


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
