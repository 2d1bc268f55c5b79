"""Reads of projects, always scoped by the partnership's visibility (registry.selectors)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from django.db import connections
from django.db.models import JSONField, Model, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast

from healthlinks.projects.models import (
    Project,
    ProjectBudget,
    ProjectIndicator,
    ProjectParticipant,
    ProjectPeriod,
    ProjectResult,
    ProjectTransaction,
)
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution, Partnership
from healthlinks.registry.selectors import AnyUser


def projects_visible_to(user: AnyUser) -> QuerySet[Project]:
    """The projects of the partnerships the user may see, and the projects held for review (no partnership) that
    the user may review: every one for hub admins, those they imported for coordinators."""
    visible = Q(partnership__in=registry_selectors.partnerships_visible_to(user))
    if registry_selectors.is_hub_admin(user):
        visible |= Q(partnership__isnull=True)
    elif registry_selectors.can_create_partnership(user):
        visible |= Q(partnership__isnull=True, imported_by_id=user.pk)
    return Project.objects.filter(visible)


def projects_held_for_review(user: AnyUser) -> QuerySet[Project]:
    """The projects without a partnership the user may see (`projects_visible_to`)."""
    return projects_visible_to(user).filter(partnership__isnull=True)


def project_list(
    user: AnyUser, *, iati_identifier: str = "", partnership: str = "", q: str = "", held: bool = False
) -> QuerySet[Project]:
    """`held`: only the projects held for review."""
    qs = projects_visible_to(user).select_related("partnership", "reporting_org")
    if iati_identifier:
        qs = qs.filter(iati_identifier=iati_identifier)
    if partnership:
        qs = qs.filter(partnership__slug=partnership)
    if held:
        qs = qs.filter(partnership__isnull=True)
    if q:
        qs = qs.filter(title__icontains=q) | qs.filter(iati_identifier__icontains=q)
    return qs.order_by("title", "pk")


def with_parts(qs: QuerySet[Project]) -> QuerySet[Project]:
    """Everything a project page or an export shows, in a fixed number of queries."""
    return qs.select_related("partnership", "reporting_org__country", "reporting_org__org_type").prefetch_related(
        Prefetch(
            "participants",
            queryset=ProjectParticipant.objects.select_related("institution__country").order_by("position"),
        ),
        "budgets",
        "transactions",
        Prefetch(
            "results",
            queryset=ProjectResult.objects.order_by("position").prefetch_related(
                Prefetch(
                    "indicators",
                    queryset=ProjectIndicator.objects.order_by("position").prefetch_related("periods"),
                )
            ),
        ),
    )


class _Many(list[Any]):
    """A list that answers `.all()`, standing in for a prefetched related manager."""

    def all(self) -> _Many:
        return self


_JSON_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined] # the C scanner: json.loads less its layers


def _values(model: type[Model], order: tuple[str, ...], **filters: Any) -> Iterator[dict[str, Any]]:
    """Rows as dicts of every column, read with the SQL Django writes but without its per-row machinery (half
    the time of a large export): JSON columns are read as text (a cast) and decoded by the C scanner, the
    other columns get Django's own converters for their field."""
    fields = model._meta.concrete_fields
    plain = [f.attname for f in fields if not isinstance(f, JSONField)]
    texts = [f.attname for f in fields if isinstance(f, JSONField)]
    aliases = {f"{name}_as_json_text": Cast(name, output_field=TextField()) for name in texts}
    query = model._default_manager.filter(**filters).order_by(*order, "pk").annotate(**aliases)
    rows = query.values_list(*plain, *aliases)
    conn = connections[rows.db]
    width = len(plain)
    if conn.vendor not in ("sqlite", "postgresql"):
        for row in rows:
            yield _row(plain, texts, row, width)
        return
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    converters = []
    for i, (column, _sql, _alias) in enumerate(compiler.select[:width]):
        functions = [*conn.ops.get_db_converters(column), *column.get_db_converters(conn)]
        if functions:
            converters.append((i, functions, column))
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            for raw in batch:
                row = list(raw)
                for i, functions, column in converters:
                    value = row[i]
                    for function in functions:
                        value = function(value, column, conn)
                    row[i] = value
                yield _row(plain, texts, row, width)


def _row(plain: list[str], texts: list[str], row: Any, width: int) -> dict[str, Any]:
    values = dict(zip(plain, row[:width], strict=True))
    for name, text in zip(texts, row[width:], strict=True):
        values[name] = None if text is None else _JSON_SCAN(text, 0)[0]
    return values


def iter_with_parts(qs: QuerySet[Project], chunk_size: int = 500) -> Iterator[Any]:
    """The projects of `qs` in primary key order with everything `with_parts` fetches, as light read-only
    objects with the models' attributes (`p.participants.all()`, `p.partnership.slug`, ...), read with eight
    queries per chunk of `chunk_size` projects and no model instance per row: for exports of many projects
    (memory stays flat: one chunk at a time). Institutions and partnerships are real instances, fetched once."""
    institutions: dict[int, Institution] = {}
    partnerships: dict[int, Partnership] = {}
    ordered = qs.order_by("pk")
    last = 0
    while True:
        ids = list(ordered.filter(pk__gt=last).values_list("pk", flat=True)[:chunk_size])
        if not ids:
            return
        last = ids[-1]
        projects = list(_values(Project, (), pk__in=ids))
        parts: dict[str, dict[int, _Many]] = {}
        for name, model in (
            ("participants", ProjectParticipant),
            ("budgets", ProjectBudget),
            ("transactions", ProjectTransaction),
            ("results", ProjectResult),
        ):
            grouped: dict[int, _Many] = defaultdict(_Many)
            for row in _values(model, ("project_id", "position"), project_id__in=ids):
                grouped[row["project_id"]].append(SimpleNamespace(**row))
            parts[name] = grouped
        periods: dict[int, _Many] = defaultdict(_Many)
        for row in _values(ProjectPeriod, ("indicator_id", "position"), indicator__result__project_id__in=ids):
            periods[row["indicator_id"]].append(SimpleNamespace(**row))
        indicators: dict[int, _Many] = defaultdict(_Many)
        for row in _values(ProjectIndicator, ("result_id", "position"), result__project_id__in=ids):
            indicators[row["result_id"]].append(SimpleNamespace(**row, periods=periods[row["id"]]))
        for results in parts["results"].values():
            for result in results:
                result.indicators = indicators[result.id]
        wanted = {p["reporting_org_id"] for p in projects if p["reporting_org_id"] is not None} | {
            x.institution_id for xs in parts["participants"].values() for x in xs if x.institution_id is not None
        }
        if missing := wanted - institutions.keys():
            institutions.update(Institution.objects.select_related("country", "org_type").in_bulk(missing))
        if missing := {p["partnership_id"] for p in projects if p["partnership_id"] is not None} - partnerships.keys():
            partnerships.update(Partnership.objects.in_bulk(missing))
        for participants in parts["participants"].values():
            for x in participants:
                x.institution = institutions.get(x.institution_id) if x.institution_id is not None else None
        for row in projects:
            pk = row["id"]
            yield SimpleNamespace(
                **row,
                pk=pk,
                partnership=partnerships.get(row["partnership_id"]),
                reporting_org=institutions.get(row["reporting_org_id"]),
                participants=parts["participants"].get(pk, _Many()),
                budgets=parts["budgets"].get(pk, _Many()),
                transactions=parts["transactions"].get(pk, _Many()),
                results=parts["results"].get(pk, _Many()),
            )
