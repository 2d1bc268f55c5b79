"""Every table that can be imported: its columns, an example row for the template, and its importer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from healthlinks import labels
from healthlinks.interchange.tabular import activities, activity_exports, careers, comparators, network, registry

# The registry tables come first: they are imported before the tables that refer to them.
COLUMNS: dict[str, list[str]] = {
    **registry.COLUMNS,
    **network.COLUMNS,
    **activities.COLUMNS,
    **comparators.COLUMNS,
    **careers.COLUMNS,
}
REQUIRED: dict[str, list[str]] = {
    **registry.REQUIRED,
    **network.REQUIRED,
    **activities.REQUIRED,
    **comparators.REQUIRED,
    **careers.REQUIRED,
}
EXAMPLES: dict[str, list[list[str]]] = {
    **registry.EXAMPLES,
    **network.EXAMPLES,
    **activities.EXAMPLES,
    **comparators.EXAMPLES,
    **careers.EXAMPLES,
}
IMPORTERS = {
    **registry.IMPORTERS,
    **network.IMPORTERS,
    **activities.IMPORTERS,
    **comparators.IMPORTERS,
    **careers.IMPORTERS,
}
# What each table holds, in words (the import page and the templates' names stay the codes above).
TITLES = {
    "institutions": _("Institutions"),
    "partnerships": _("Partnerships"),
    "memberships": _("Member institutions of partnerships"),
    "people": _("People"),
    "stays": _("Stays and virtual engagements"),
    "ties": _("Ties between people"),
    "activities": _("Activities"),
    "trainees": _("Trainees"),
    "assessments": _("Pre/post test scores"),
    "outcomes": _("Outcomes and follow-ups"),
    "costs": _("Cash costs"),
    "cascades": _("Cascade reports"),
    "knowledge": _("Knowledge items"),
    "comparators": _("Comparator programmes (value for money)"),
    "careers": _("Career records"),
}


def _network(kind: str) -> Callable[..., tuple[list[str], list[list[Any]]]]:
    return lambda user, partnership=None: network.export_rows(kind, user, partnership)


# kind -> function(user, partnership) returning (columns, rows): the same columns as the import.
EXPORTERS: dict[str, Callable[..., tuple[list[str], list[list[Any]]]]] = {
    **registry.EXPORTERS,
    **{kind: _network(kind) for kind in network.COLUMNS},
    **activity_exports.EXPORTERS,
    **comparators.EXPORTERS,
    **careers.EXPORTERS,
}


# Coded columns of each table, and the kind of code (healthlinks.labels): the export adds `<column>_label` beside
# each, in the user's language; the import reads past those columns.
LABELLED: dict[str, dict[str, str]] = {
    "institutions": {"country": "country"},
    "partnerships": {
        d: d
        for d in (
            "capacity_focus",
            "intervention",
            "skills",
            "delivery",
            "visiting_groups",
            "host_entities",
            "frequency",
        )
    },  # fmt: skip
    "people": {"cadre_isco": "cadre", "sex": "sex"},
    "stays": {"mode": "mode", "funding": "funding", "continuum_class": "continuum_class"},
    "ties": {"kind": "tie_kind"},
    "activities": {"type": "activity_type", "mode": "activity_mode", "purpose_code": "purpose_code"},
    "trainees": {"cadre_isco": "cadre", "sex": "sex", "facility_level": "facility_level"},
    "outcomes": {"level": "level", "dimension": "dimension", "method": "method"},
    "costs": {"category": "cost_category"},
    "comparators": {"kind": "comparator_kind", "country": "country"},
    "knowledge": {"kind": "knowledge_kind", "direction": "direction", "stage": "stage"},
    "careers": {"country": "country"},
}


def with_labels(kind: str, columns: list[str], rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """The table with a label column after each coded column (the code column is kept as it is)."""
    coded = [(columns.index(c), k) for c, k in LABELLED.get(kind, {}).items() if c in columns]
    if not coded:
        return columns, rows
    names = {i: labels.labeller(k, {row[i] for row in rows if row[i] not in ("", None)}) for i, k in coded}
    out_columns: list[str] = []
    for i, column in enumerate(columns):
        out_columns += [column, f"{column}_label"] if i in names else [column]
    out_rows = []
    for row in rows:
        out: list[Any] = []
        for i, value in enumerate(row):
            out += [value, names[i](value) if value not in ("", None) else ""] if i in names else [value]
        out_rows.append(out)
    return out_columns, out_rows


def export_rows(kind: str, user: Any, partnership: Any = None) -> tuple[list[str], list[list[Any]]]:
    """The table `kind` as `user` may see it (None: everything), optionally of one partnership: the import's
    columns, each coded column followed by its label."""
    if kind not in EXPORTERS:
        raise ValueError(f"unknown table {kind!r}; use one of {', '.join(EXPORTERS)}")
    return with_labels(kind, *EXPORTERS[kind](user, partnership))
