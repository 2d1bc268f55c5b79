"""Writes to projects: one project with all its parts, replaced as a whole, recorded in the history; many at once
(`projects_bulk_save`, the IATI import of large files) in a few statements per table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.db import models, transaction
from django.utils import timezone

from healthlinks import bulk
from healthlinks.accounts.models import User
from healthlinks.projects.later import LaterWrites
from healthlinks.projects.models import (
    Project,
    ProjectBudget,
    ProjectIndicator,
    ProjectParticipant,
    ProjectPeriod,
    ProjectResult,
    ProjectTransaction,
)
from healthlinks.records import record_delete, record_save
from healthlinks.registry.models import Institution, Partnership

Json = Any  # the value of a JSON column: lists of dicts of texts, numbers, booleans and None


class ProjectFields(TypedDict, total=False):
    """A project's own fields, as `project_save` (`reporting_org`) and `projects_bulk_save` (`reporting_org_id`)
    take them."""

    iati_identifier: str
    title: str
    titles: Json
    descriptions: Json
    default_lang: str
    default_currency: str
    hierarchy: int | None
    humanitarian: bool | None
    last_updated: datetime | None
    reporting_org: Institution | None
    reporting_org_id: int | None
    reporting_org_ref: str
    reporting_org_type: str
    reporting_org_names: Json
    secondary_reporter: bool | None
    activity_status: str
    planned_start: date | None
    actual_start: date | None
    planned_end: date | None
    actual_end: date | None
    recipient_countries: Json
    recipient_regions: Json
    sectors: Json
    needs_review: bool
    import_warnings: Json
    source_name: str
    source_version: str
    source_hash: str


PROJECT_FIELDS = frozenset(ProjectFields.__optional_keys__) - {"reporting_org_id"}

# Dates of the parts may be given as the ISO text the IATI reader checked (written as it is: the database adapter
# would turn a date back into this same text).
DateValue = date | str | None


class ParticipantFields(TypedDict, total=False):
    role: str
    org_type: str
    ref: str
    activity_id: str
    crs_channel_code: str
    names: Json
    institution: Institution | None  # project_save
    institution_id: int | None  # projects_bulk_save


class BudgetFields(TypedDict, total=False):
    budget_type: str
    status: str
    period_start: DateValue
    period_end: DateValue
    value: Decimal | None
    currency: str
    value_date: DateValue


class TransactionFields(TypedDict, total=False):
    ref: str
    humanitarian: bool | None
    transaction_type: str
    date: DateValue
    value: Decimal | None
    currency: str
    value_date: DateValue
    descriptions: Json
    provider_ref: str
    provider_type: str
    provider_activity_id: str
    provider_names: Json
    receiver_ref: str
    receiver_type: str
    receiver_activity_id: str
    receiver_names: Json


class PeriodFields(TypedDict, total=False):
    period_start: date | None
    period_end: date | None
    targets: Json
    actuals: Json


class IndicatorFields(TypedDict, total=False):
    measure: str
    ascending: bool | None
    aggregation_status: bool | None
    titles: Json
    descriptions: Json
    baselines: Json
    periods: list[PeriodFields]


class ResultFields(TypedDict, total=False):
    result_type: str
    aggregation_status: bool | None
    titles: Json
    descriptions: Json
    indicators: list[IndicatorFields]


@dataclass
class ProjectParts:
    """Everything below a project, as field dicts of the child models (results carry their indicators,
    indicators their periods)."""

    participants: Sequence[ParticipantFields] = ()
    budgets: Sequence[BudgetFields] = ()
    transactions: Sequence[TransactionFields] = ()
    results: Sequence[ResultFields] = field(default_factory=list)


def _without(values: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != name}


def _replace_parts(project: Project, parts: ProjectParts, by: User | None, *, new: bool) -> None:
    for related in () if new else (project.participants, project.budgets, project.transactions, project.results):
        old: Any
        for old in related.all():
            record_delete(old, by=by)
    bulk.create([ProjectParticipant(project=project, position=i, **p) for i, p in enumerate(parts.participants)], by=by)
    bulk.create([ProjectBudget(project=project, position=i, **b) for i, b in enumerate(parts.budgets)], by=by)
    bulk.create([ProjectTransaction(project=project, position=i, **t) for i, t in enumerate(parts.transactions)], by=by)
    for r_pos, result_fields in enumerate(parts.results):
        result = ProjectResult(project=project, position=r_pos, **_without(result_fields, "indicators"))
        record_save(result, by=by, validate=False)
        for i_pos, indicator_fields in enumerate(result_fields.get("indicators", [])):
            indicator = ProjectIndicator(result=result, position=i_pos, **_without(indicator_fields, "periods"))
            record_save(indicator, by=by, validate=False)
            bulk.create(
                [
                    ProjectPeriod(indicator=indicator, position=n, **p)
                    for n, p in enumerate(indicator_fields.get("periods", []))
                ],
                by=by,
            )


@transaction.atomic
def project_save(
    *, by: User | None, partnership: Any, fields: ProjectFields, parts: ProjectParts, project: Project | None = None
) -> Project:
    """Create a project, or update `project` (its parts are replaced as a whole). `partnership` None: the project is
    held for review (see `Project`); a new one records `by` as its importer."""
    unknown = set(fields) - PROJECT_FIELDS
    if unknown:
        raise ValueError(f"unknown project fields: {sorted(unknown)}")
    new = project is None
    if project is None:
        project = Project(partnership=partnership, imported_by=by, **fields)
    else:
        project.partnership = partnership
        for name, value in fields.items():
            setattr(project, name, value)
    project.full_clean(exclude=["partnership", "reporting_org"])
    record_save(project, by=by, validate=False)
    _replace_parts(project, parts, by, new=new)
    return project


# -- bulk writes (the IATI import of large files) ------------------------------------------------------------------


@dataclass
class ProjectWrite:
    """One project for `projects_bulk_save`. With `pk` (and the existing row's `created_at`) that project is updated
    and its parts replaced; without, it is created. `fields` are PROJECT_FIELDS with `reporting_org_id` for
    `reporting_org`; the part dicts name foreign keys by column (`institution_id`). `partnership_id` None: held for
    review (an update sets it too: a held project is placed by a later import that finds its partnership)."""

    partnership_id: int | None
    fields: ProjectFields
    parts: ProjectParts
    pk: int | None = None
    created_at: datetime | None = None


CHILD_MODELS: tuple[type[models.Model], ...] = (ProjectParticipant, ProjectBudget, ProjectTransaction)
# what an update of a project sets: every column but these
KEPT_ON_UPDATE = {"id", "created_at", "imported_by_id"}


@transaction.atomic
def projects_bulk_save(*, by: User | None, writes: Sequence[ProjectWrite], later: LaterWrites | None = None) -> None:
    """Create and update many projects with their parts in a few statements per table, each change recorded in
    the history as `project_save` records it ('+' new rows, '~' updated projects, '-' replaced parts). Signals
    are not sent: the caller bumps the data versions once. Falls back to `project_save` on other databases.
    With a pipelined `later` (`projects.later.later_writes()`, PostgreSQL), the history rows of new rows and
    updated projects are copied by statements the caller sends once this returns (`later.send()`: outside this
    function's savepoint, whose release would wait for them)."""
    if not writes:
        return
    if later is not None:
        later.wait()  # what it sent is written before these rows are (COPY does not wait for it)
    allowed = (PROJECT_FIELDS - {"reporting_org"}) | {"reporting_org_id"}
    for w in writes:
        if unknown := set(w.fields) - allowed:
            raise ValueError(f"unknown project fields: {sorted(unknown)}")
    if not bulk.supported():
        partnerships = {w.partnership_id for w in writes if w.partnership_id is not None}
        by_pk = {p.pk: p for p in Partnership.objects.filter(pk__in=partnerships)}
        existing = Project.objects.in_bulk([w.pk for w in writes if w.pk is not None])
        for w in writes:
            fields = w.fields.copy()
            reporting_id = fields.pop("reporting_org_id", None)
            fields["reporting_org"] = Institution.objects.get(pk=reporting_id) if reporting_id is not None else None
            parts = _parts_with_objects(w.parts)
            project_save(
                by=by,
                partnership=by_pk[w.partnership_id] if w.partnership_id is not None else None,
                fields=fields,
                parts=parts,
                project=existing.get(w.pk) if w.pk is not None else None,
            )
        return
    now = timezone.now()
    projects = bulk.table(Project)
    added, changed, removed = (projects.history(by, kind, now) for kind in "+~-")

    updates = [w for w in writes if w.pk is not None]
    if updates:
        _delete_parts([w.pk for w in updates if w.pk is not None], removed)
    new = [w for w in writes if w.pk is None]
    new_ids = iter(projects.reserve_ids(len(new)))
    project_rows: list[list[Any]] = []
    update_rows: list[list[Any]] = []
    for w in writes:
        values = {**w.fields, "partnership_id": w.partnership_id, "updated_at": now}
        if w.pk is None:
            w.pk = next(new_ids)
            values.update(id=w.pk, created_at=now, imported_by_id=by.pk if by is not None else None)
            project_rows.append(projects.row(values))
        else:
            values.update(id=w.pk, created_at=w.created_at)
            update_rows.append(projects.row(values))
    projects.insert(project_rows, added, later)
    if update_rows:
        projects.update(update_rows, [name for name in projects.names if name not in KEPT_ON_UPDATE], changed, later)
    _insert_parts(writes, added, later)


def _insert_parts(writes: Sequence[ProjectWrite], added: list[Any], later: bulk.Later | None) -> None:
    for model, attribute in zip(CHILD_MODELS, ("participants", "budgets", "transactions"), strict=True):
        table = bulk.table(model)
        items = [(w.pk, i, values) for w in writes for i, values in enumerate(getattr(w.parts, attribute))]
        ids = table.reserve_ids(len(items))
        table.insert(
            [
                table.row({**values, "id": pk, "project_id": project_id, "position": position})
                for pk, (project_id, position, values) in zip(ids, items, strict=True)
            ],
            added,
            later,
        )
    results, indicators, periods = bulk.table(ProjectResult), bulk.table(ProjectIndicator), bulk.table(ProjectPeriod)
    result_items = [(w.pk, i, values) for w in writes for i, values in enumerate(w.parts.results)]
    if not result_items:
        return
    result_rows: list[list[Any]] = []
    indicator_items: list[tuple[int, int, IndicatorFields]] = []
    for pk, (project_id, position, result) in zip(results.reserve_ids(len(result_items)), result_items, strict=True):
        indicator_items.extend((pk, i, v) for i, v in enumerate(result.get("indicators", [])))
        values = _without(result, "indicators")
        result_rows.append(results.row({**values, "id": pk, "project_id": project_id, "position": position}))
    results.insert(result_rows, added, later)
    indicator_rows: list[list[Any]] = []
    period_items: list[tuple[int, int, PeriodFields]] = []
    for pk, (result_id, position, indicator) in zip(
        indicators.reserve_ids(len(indicator_items)), indicator_items, strict=True
    ):
        period_items.extend((pk, i, v) for i, v in enumerate(indicator.get("periods", [])))
        values = _without(indicator, "periods")
        indicator_rows.append(indicators.row({**values, "id": pk, "result_id": result_id, "position": position}))
    indicators.insert(indicator_rows, added, later)
    periods.insert(
        [
            periods.row({**values, "id": pk, "indicator_id": indicator_id, "position": position})
            for pk, (indicator_id, position, values) in zip(
                periods.reserve_ids(len(period_items)), period_items, strict=True
            )
        ],
        added,
        later,
    )


def _delete_parts(project_ids: list[int], removed: list[Any]) -> None:
    """Delete the parts of these projects, each recorded in the history as deleted (as `project_save` does)."""
    quote = bulk.table(Project).conn.ops.quote_name
    marks = ", ".join(["%s"] * len(project_ids))
    results = quote(ProjectResult._meta.db_table)
    indicators = quote(ProjectIndicator._meta.db_table)
    of_projects = f"project_id IN ({marks})"
    of_results = f"result_id IN (SELECT id FROM {results} WHERE {of_projects})"  # noqa: S608 - quoted names
    of_indicators = f"indicator_id IN (SELECT id FROM {indicators} WHERE {of_results})"  # noqa: S608
    for model, condition in (
        (ProjectParticipant, of_projects),
        (ProjectBudget, of_projects),
        (ProjectTransaction, of_projects),
        (ProjectPeriod, of_indicators),
        (ProjectIndicator, of_results),
        (ProjectResult, of_projects),
    ):
        bulk.table(model).delete_where(condition, list(project_ids), removed)


def _parts_with_objects(parts: ProjectParts) -> ProjectParts:
    """Bulk parts (foreign keys by column) as `project_save` takes them."""
    institutions = Institution.objects.in_bulk(
        [p["institution_id"] for p in parts.participants if p.get("institution_id") is not None]
    )
    participants: list[ParticipantFields] = []
    for p in parts.participants:
        values = p.copy()
        institution_id = values.pop("institution_id", None)
        values["institution"] = institutions.get(institution_id) if institution_id is not None else None
        participants.append(values)
    return ProjectParts(
        participants=participants, budgets=parts.budgets, transactions=parts.transactions, results=parts.results
    )
