"""Writes to projects: one project with all its parts, replaced as a whole, recorded in the history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from healthlinks.accounts.models import User
from healthlinks.projects.models import (
    Project,
    ProjectBudget,
    ProjectIndicator,
    ProjectParticipant,
    ProjectPeriod,
    ProjectResult,
    ProjectTransaction,
)

PROJECT_FIELDS = {
    "iati_identifier",
    "title",
    "titles",
    "descriptions",
    "default_lang",
    "default_currency",
    "hierarchy",
    "humanitarian",
    "last_updated",
    "reporting_org",
    "reporting_org_ref",
    "reporting_org_type",
    "reporting_org_names",
    "secondary_reporter",
    "activity_status",
    "planned_start",
    "actual_start",
    "planned_end",
    "actual_end",
    "recipient_countries",
    "recipient_regions",
    "sectors",
    "needs_review",
    "import_warnings",
    "source_name",
    "source_version",
    "source_hash",
}


@dataclass
class ProjectParts:
    """Everything below a project, as field dicts of the child models (results carry their indicators,
    indicators their periods)."""

    participants: Sequence[dict[str, Any]] = ()
    budgets: Sequence[dict[str, Any]] = ()
    transactions: Sequence[dict[str, Any]] = ()
    results: Sequence[dict[str, Any]] = field(default_factory=list)


def _replace_parts(project: Project, parts: ProjectParts, by: User | None, *, new: bool) -> None:
    for related in () if new else (project.participants, project.budgets, project.transactions, project.results):
        old: Any
        for old in related.all():
            old._history_user = by
            old.delete()
    bulk_create_with_history(
        [ProjectParticipant(project=project, position=i, **p) for i, p in enumerate(parts.participants)],
        ProjectParticipant,
        default_user=by,
    )
    bulk_create_with_history(
        [ProjectBudget(project=project, position=i, **b) for i, b in enumerate(parts.budgets)],
        ProjectBudget,
        default_user=by,
    )
    bulk_create_with_history(
        [ProjectTransaction(project=project, position=i, **t) for i, t in enumerate(parts.transactions)],
        ProjectTransaction,
        default_user=by,
    )
    for r_pos, result_fields in enumerate(parts.results):
        values = dict(result_fields)
        indicators = values.pop("indicators", [])
        result = ProjectResult(project=project, position=r_pos, **values)
        result._history_user = by  # type: ignore[attr-defined]
        result.save()
        for i_pos, indicator_fields in enumerate(indicators):
            ind_values = dict(indicator_fields)
            periods = ind_values.pop("periods", [])
            indicator = ProjectIndicator(result=result, position=i_pos, **ind_values)
            indicator._history_user = by  # type: ignore[attr-defined]
            indicator.save()
            bulk_create_with_history(
                [ProjectPeriod(indicator=indicator, position=n, **p) for n, p in enumerate(periods)],
                ProjectPeriod,
                default_user=by,
            )


@transaction.atomic
def project_save(
    *, by: User | None, partnership: Any, fields: dict[str, Any], parts: ProjectParts, project: Project | None = None
) -> Project:
    """Create a project, or update `project` (its parts are replaced as a whole)."""
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise ValueError(f"unknown project fields: {sorted(unknown)}")
    new = project is None
    if project is None:
        project = Project(partnership=partnership, **fields)
    else:
        project.partnership = partnership
        for name, value in fields.items():
            setattr(project, name, value)
    project.full_clean(exclude=["partnership", "reporting_org"])
    project._history_user = by  # type: ignore[attr-defined]
    project.save()
    _replace_parts(project, parts, by, new=new)
    return project
