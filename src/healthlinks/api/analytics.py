"""Analyses as JSON, or as one CSV table with `?format=csv`: the same figures, intervals, words and notes as the
pages, for the same filters, under the same small-numbers rule."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from healthlinks.analytics import words
from healthlinks.analytics.scope import FILTERS, Scope
from healthlinks.analytics.selectors import (
    collective_impact,
    mobility_analysis,
    network_evolution,
    typology_analysis,
    value_for_money,
)
from healthlinks.api import base
from healthlinks.api.filters import YEAR, int_param
from healthlinks.api.tables import RENDERERS, table, wants_csv

FIRST_YEAR, LAST_YEAR = 1900, 2100
SCOPE_PARAMETERS = [OpenApiParameter(name, OpenApiTypes.STR) for name in FILTERS] + [
    OpenApiParameter("year_from", YEAR),
    OpenApiParameter("year_to", YEAR, description="a year_to before year_from selects nothing"),
]


def scope_of(request: Any) -> Scope:
    try:
        scope = Scope.from_params(request.query_params)
    except ValueError as exc:
        raise ValidationError({"detail": str(exc)}) from None
    for name in ("year_from", "year_to"):
        year = getattr(scope, name)
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValidationError({name: f"{year} is not a year from {FIRST_YEAR} to {LAST_YEAR}"})
    return scope


class AnalysisViewSet(base.ViewSet):
    """JSON, or `?format=csv`: the analysis's main table (labelled columns, codes in their own columns)."""

    renderer_classes = RENDERERS


class MobilityViewSet(AnalysisViewSet):
    """Outcomes (L3 practice change, L2 normalised gain, cascade, knowledge effective) by the mobility behind
    them, with n and 95% intervals, and models that account for partnerships."""

    @extend_schema(parameters=SCOPE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def list(self, request: Any) -> Response:
        data = words.mobility(mobility_analysis(request.user, scope_of(request)))
        return table(words.mobility_rows(data), words.MOBILITY_COLUMNS) if wants_csv(request) else Response(data)


class NetworkViewSet(AnalysisViewSet):
    """The knowledge network year by year: size, density, components, reciprocity of flows, persistence of
    ties, ties per person by cadre, brokers (pseudonymous ids only for people you may see) and bridges."""

    @extend_schema(
        parameters=[*SCOPE_PARAMETERS, OpenApiParameter("year", YEAR, description="year of the picture")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request: Any) -> Response:
        year = int_param(request, "year")
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValidationError({"year": f"{year} is not a year from {FIRST_YEAR} to {LAST_YEAR}"})
        data = network_evolution(request.user, scope_of(request), year)
        if wants_csv(request):
            rows = [{k: v for k, v in y.items() if k != "flows"} | y["flows"] for y in data["years"]]
            return table(rows, ["year", "people", "ties", "density"])
        return Response(data)


class ImpactViewSet(AnalysisViewSet):
    """All partnerships in scope added up (health workers trained once each, volunteer days, practice
    changed, cash and in kind in the reporting currency), by country, specialty, funder, year and typology."""

    @extend_schema(parameters=SCOPE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def list(self, request: Any) -> Response:
        data = collective_impact(request.user, scope_of(request))
        return table(data["partnerships"], ["partnership_id", "name"]) if wants_csv(request) else Response(data)


class ValueForMoneyViewSet(AnalysisViewSet):
    """The 4Es, cost-effectiveness and leverage of each partnership beside the medians of like partnerships."""

    @extend_schema(parameters=SCOPE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def list(self, request: Any) -> Response:
        data = value_for_money(request.user, scope_of(request))
        if wants_csv(request):
            rows = [{k: v for k, v in r.items() if k != "comparison"} for r in data["partnerships"]]
            return table(rows, ["partnership_id", "name"])
        return Response(data)


class TypologyViewSet(AnalysisViewSet):
    """Edwards and Loh categories, the mobility-resilient combination, and a grouping found in the records."""

    @extend_schema(parameters=SCOPE_PARAMETERS, responses={200: OpenApiTypes.OBJECT})
    def list(self, request: Any) -> Response:
        data = typology_analysis(request.user, scope_of(request))
        if wants_csv(request):
            groups = data["grouping"]["groups"]
            return table(
                [{"group": g["group"], "partnerships": g["partnerships"], **g["means"]} for g in groups],
                ["group", "partnerships"],
            )
        return Response(data)
