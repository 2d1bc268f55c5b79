"""Every table that can be imported: its columns, an example row for the template, and its importer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from healthlinks.interchange.tabular import activities, activity_exports, network, registry

# The registry tables come first: they are imported before the tables that refer to them.
COLUMNS: dict[str, list[str]] = {**registry.COLUMNS, **network.COLUMNS, **activities.COLUMNS}
REQUIRED: dict[str, list[str]] = {**registry.REQUIRED, **network.REQUIRED, **activities.REQUIRED}
EXAMPLES: dict[str, list[list[str]]] = {**registry.EXAMPLES, **network.EXAMPLES, **activities.EXAMPLES}
IMPORTERS = {**registry.IMPORTERS, **network.IMPORTERS, **activities.IMPORTERS}


def _network(kind: str) -> Callable[..., tuple[list[str], list[list[Any]]]]:
    return lambda user, partnership=None: network.export_rows(kind, user, partnership)


# kind -> function(user, partnership) returning (columns, rows): the same columns as the import.
EXPORTERS: dict[str, Callable[..., tuple[list[str], list[list[Any]]]]] = {
    **registry.EXPORTERS,
    **{kind: _network(kind) for kind in network.COLUMNS},
    **activity_exports.EXPORTERS,
}


def export_rows(kind: str, user: Any, partnership: Any = None) -> tuple[list[str], list[list[Any]]]:
    """The table `kind` as `user` may see it (None: everything), optionally of one partnership."""
    if kind not in EXPORTERS:
        raise ValueError(f"unknown table {kind!r}; use one of {', '.join(EXPORTERS)}")
    return EXPORTERS[kind](user, partnership)
