"""The data versions the analyses compare, as they are now (healthlinks.changes writes them)."""

from __future__ import annotations

# what the engine compares to decide which extracted tables it can keep: (generation, {table: token})
Versions = tuple[str, dict[str, str]]


def current() -> str | None:
    from healthlinks.analytics.models import DataVersion

    return DataVersion.objects.filter(pk=1).values_list("token", flat=True).first()


def versions() -> Versions:
    """The generation and every table's token, as they are now."""
    from healthlinks.analytics.models import DataVersion, TableVersion

    generation = DataVersion.objects.filter(pk=1).values_list("generation", flat=True).first() or ""
    return generation, dict(TableVersion.objects.values_list("table", "token"))
