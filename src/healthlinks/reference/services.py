"""Load the shipped reference tables (idempotent upsert, so files can be updated in place)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.db import transaction

DATA_DIR = Path(__file__).resolve().parent / "data"


def _rows(filename: str) -> list[dict[str, str]]:
    with open(DATA_DIR / filename, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _float(value: str) -> float | None:
    return float(value) if value.strip() else None


_LOADERS: dict[str, tuple[str, Callable[[dict[str, str]], dict[str, Any]]]] = {
    "countries": (
        "Country",
        lambda r: {
            "iso3": r["iso3"],
            "iso2": r["iso2"],
            "numeric": r["numeric"],
            "name": r["name"],
            "who_region": r["who_region"],
            "income_group": r["income_group"],
            "income_fy": r["income_fy"],
            "ssl2023": r["ssl2023"] == "1",
            "uk_code_status": r["uk_code_status"],
            "capital": r["capital"],
            "latitude": _float(r["latitude"]),
            "longitude": _float(r["longitude"]),
        },
    ),
    "occupations": ("Occupation", lambda r: {"code": r["code"], "label": r["label"], "group": r["group"]}),
    "organisation_types": ("OrganisationType", lambda r: {"code": r["code"], "name": r["name"]}),
    "purpose_codes": ("PurposeCode", lambda r: {"code": r["code"], "name": r["name"], "category": r["category"]}),
    "specialties": ("Specialty", lambda r: {"slug": r["slug"], "name": r["name"]}),
    "delivery_methods": ("DeliveryMethod", lambda r: {"slug": r["slug"], "name": r["name"]}),
}


@transaction.atomic
def reference_load(*, app_registry: Any = None) -> dict[str, int]:
    """Upsert every shipped table; returns rows per table. Works on historical models too."""
    registry = app_registry or global_apps
    sources = json.loads((DATA_DIR / "SOURCES.json").read_text(encoding="utf-8"))
    dataset_model = registry.get_model("reference", "ReferenceDataset")
    counts: dict[str, int] = {}
    for key, (model_name, convert) in _LOADERS.items():
        model = registry.get_model("reference", model_name)
        meta = sources[key]
        objs = [model(**convert(row)) for row in _rows(meta["file"])]
        pk = model._meta.pk.name
        fields = [f.name for f in model._meta.concrete_fields if f.name != pk]
        model.objects.bulk_create(objs, update_conflicts=True, unique_fields=[pk], update_fields=fields, batch_size=500)
        counts[key] = len(objs)
        dataset_model.objects.update_or_create(
            key=key,
            defaults={
                "title": meta["title"],
                "source": meta["source"],
                "version": meta["version"],
                "retrieved": date.fromisoformat(meta["retrieved"]),
                "rows": len(objs),
            },
        )
    return counts


def reference_load_after_migrate(sender: Any, app_config: Any = None, apps: Any = None, **kwargs: Any) -> None:
    registry = apps or global_apps
    try:
        country = registry.get_model("reference", "Country")
    except LookupError:  # migrating backwards past the reference tables
        return
    using = kwargs.get("using", "default")
    if country.objects.using(using).count() == len(_rows("countries.csv")):
        return
    reference_load(app_registry=registry)
