"""What changed, said once: the data versions that the analyses (which tables to extract again) and the API
(ETags, conditional GETs) compare. A write of one record reaches `changed` through the model signals connected
here; a service that writes many rows at once (no signals) calls `changed` itself, in its transaction. The version
tables belong to the `analytics` and `api` apps and are looked up by label, so the domain apps may call this
module without importing either."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

# Apps whose tables the analyses read (each table has its own token) ...
ANALYSED_APPS = ("registry", "network", "activities", "results", "reference")
# ... and the other apps whose records the API serves ("accounts": a user's role decides what they see).
SERVED_APPS = (
    "evaluation",
    "interviews",
    "evidence",
    "projects",
    "programmes",
    "ops",
    "accounts",
    "readiness",
    "careers",
    "planning",
)


def _table(item: type[Model] | str) -> str:
    return item if isinstance(item, str) else item._meta.db_table


@cache
def _analysed_tables() -> frozenset[str]:
    return frozenset(
        m._meta.db_table
        for label in ANALYSED_APPS
        for m in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def changed(tables: Iterable[type[Model] | str] | None = None) -> None:
    """Mark these tables (models or table names) as changed, or, without any, everything. A table the analyses
    read changes the analyses' version (which the API's ETags include too); any other, the API's own."""
    names = None if tables is None else {_table(t) for t in tables}
    analysed = _analysed_tables()
    if names is None or names & analysed:
        _analysed_changed(None if names is None else sorted(names & analysed))
    if names is None or names - analysed:
        _served_changed()


def _analysed_changed(tables: list[str] | None) -> None:
    data_version, table_version = (
        apps.get_model("analytics", "DataVersion"),
        apps.get_model("analytics", "TableVersion"),
    )
    token = uuid.uuid4().hex
    values: dict[str, Any] = {"token": token, "changed_at": timezone.now()}
    if tables is None:
        values["generation"] = token
    if not data_version.objects.filter(pk=1).update(**values):
        data_version.objects.update_or_create(pk=1, defaults={k: v for k, v in values.items() if k != "changed_at"})
    if tables:
        table_version.objects.bulk_create(
            [table_version(table=name, token=token) for name in tables],
            update_conflicts=True,
            unique_fields=["table"],
            update_fields=["token"],
        )


def _served_changed() -> None:
    api_version = apps.get_model("api", "ApiVersion")
    token = uuid.uuid4().hex
    if not api_version.objects.filter(pk=1).update(token=token, changed_at=timezone.now()):
        api_version.objects.update_or_create(pk=1, defaults={"token": token})


def _on_write(sender: Any, update_fields: Any = None, **_kwargs: Any) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a log-in changes nothing that is served
    changed([sender])


def _on_m2m(sender: Any, **_kwargs: Any) -> None:
    changed([sender])  # the through table


def connect() -> None:
    """Connect the model signals of every watched app (once, from the analytics app's ready())."""
    for config in apps.get_app_configs():
        if config.label not in (*ANALYSED_APPS, *SERVED_APPS):
            continue
        for model in config.get_models():
            if model.__name__.startswith("Historical"):
                continue
            post_save.connect(_on_write, sender=model, dispatch_uid=f"changes-save-{model._meta.label}")
            post_delete.connect(_on_write, sender=model, dispatch_uid=f"changes-delete-{model._meta.label}")
    m2m_changed.connect(_on_m2m, dispatch_uid="changes-m2m")
