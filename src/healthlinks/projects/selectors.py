"""Reads of projects, always scoped by the partnership's visibility (registry.selectors)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from healthlinks.projects.models import Project, ProjectIndicator, ProjectParticipant, ProjectResult
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.selectors import AnyUser


def projects_visible_to(user: AnyUser) -> QuerySet[Project]:
    return Project.objects.filter(partnership__in=registry_selectors.partnerships_visible_to(user))


def project_list(user: AnyUser, *, iati_identifier: str = "", partnership: str = "", q: str = "") -> QuerySet[Project]:
    qs = projects_visible_to(user).select_related("partnership", "reporting_org")
    if iati_identifier:
        qs = qs.filter(iati_identifier=iati_identifier)
    if partnership:
        qs = qs.filter(partnership__slug=partnership)
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
