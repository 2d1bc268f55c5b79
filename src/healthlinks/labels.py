"""Codes as the words a reader expects: the one place that turns a stored code (an ISCO-08 cadre, a country, a DAC
purpose, sex, a continuum class, a typology category, an activity type…) into its label, in the user's language.
Pages, charts, reports and exports ask here; the domain apps never do (they store codes). A code with no label
is shown as it is, so nothing is ever hidden."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Choices
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from healthlinks.activities import models as activities
from healthlinks.network import models as network
from healthlinks.reference.models import Country, Occupation, PurposeCode
from healthlinks.registry import models as registry
from healthlinks.results import models as results

CHOICES: dict[str, type[Choices]] = {
    "sex": network.Sex,
    "mode": network.Mode,
    "continuum_class": network.ContinuumClass,
    "purpose": network.Purpose,
    "funding": network.Funding,
    "role": network.PersonRoleKind,
    "tie_kind": network.TieKind,
    "activity_type": activities.ActivityType,
    "activity_mode": activities.ActivityMode,
    "facility_level": activities.FacilityLevel,
    "level": activities.Level,
    "dimension": activities.Dimension,
    "method": activities.Method,
    "knowledge_kind": activities.KnowledgeKind,
    "direction": activities.Direction,
    "stage": activities.Stage,
    "geography": registry.GeographyClass,
    "capacity_focus": registry.CapacityFocus,
    "intervention": registry.Intervention,
    "skills": registry.Skills,
    "delivery": registry.Delivery,
    "visiting_groups": registry.VisitingGroups,
    "host_entities": registry.HostEntities,
    "frequency": registry.Frequency,
    "lifecycle": registry.Lifecycle,
    "cost_category": results.CostCategory,
    "in_kind_kind": results.InKindKind,
    "comparator_kind": results.ComparatorKind,
    "result_level": results.ResultLevel,
    "measure": results.Measure,
}
# Reference tables: (model, code field, label field, message context of the reference lists' catalogue)
TABLES: dict[str, tuple[Any, str, str, str]] = {
    "cadre": (Occupation, "code", "label", "ISCO-08 occupation"),
    "country": (Country, "iso3", "name", "country"),
    "purpose_code": (PurposeCode, "code", "name", "DAC purpose"),
}
# Groups the analyses make that are not stored codes
EXTRA = {
    "continuum_class": {
        "virtual": lambda: _("Virtual"),
        "virtual only": lambda: _("Virtual only"),
        "no stay": lambda: _("No stay"),
    },
    "mode": {"blended": lambda: _("Blended"), "none": lambda: _("None")},
    "stage": {  # the exports write stages as words, as the import reads them
        "transferred": lambda: str(activities.Stage.TRANSFERRED.label),
        "translated": lambda: str(activities.Stage.TRANSLATED.label),
        "effective": lambda: str(activities.Stage.EFFECTIVE.label),
    },
}
MISSING = {"", None, "not recorded", "not_recorded"}


def labels(kind: str, codes: Iterable[Any] | None = None) -> dict[str, str]:
    """Code → label for one kind of code (for a reference table: one query, narrowed to `codes` when given)."""
    if kind in TABLES:
        model, code, label, context = TABLES[kind]
        rows = model.objects.all() if codes is None else model.objects.filter(**{f"{code}__in": list(codes)})
        return {str(c): pgettext(context, name) for c, name in rows.values_list(code, label)}
    if kind in CHOICES:
        found = {str(value): str(name) for value, name in CHOICES[kind].choices}
        found.update({key: make() for key, make in EXTRA.get(kind, {}).items()})
        return found
    raise KeyError(f"no labels for {kind!r}; known: {', '.join(sorted([*CHOICES, *TABLES]))}")


def labeller(kind: str, codes: Iterable[Any] | None = None) -> Callable[[Any], str]:
    """A function from a code to its label; the codes that are missing read "not recorded"."""
    known = labels(kind, codes)

    def label(code: Any) -> str:
        if code in MISSING:
            return _("not recorded")
        return known.get(str(code), str(code))

    return label


def label(kind: str, code: Any) -> str:
    return labeller(kind, [code] if kind in TABLES else None)(code)
