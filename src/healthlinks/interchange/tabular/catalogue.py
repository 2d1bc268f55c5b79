"""Every table that can be imported: its columns, an example row for the template, and its importer."""

from __future__ import annotations

from healthlinks.interchange.tabular import activities, network

COLUMNS: dict[str, list[str]] = {**network.COLUMNS, **activities.COLUMNS}
REQUIRED: dict[str, list[str]] = {**network.REQUIRED, **activities.REQUIRED}
EXAMPLES: dict[str, list[list[str]]] = {**network.EXAMPLES, **activities.EXAMPLES}
IMPORTERS = {**network.IMPORTERS, **activities.IMPORTERS}
