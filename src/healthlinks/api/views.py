"""Thin API views: querysets come from the scoping selectors, writes from the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from healthlinks.api import base, serializers
from healthlinks.api.filters import Ordering
from healthlinks.reference.models import Country, DeliveryMethod, Occupation, OrganisationType, PurposeCode, Specialty
from healthlinks.registry import selectors
from healthlinks.registry.models import FundingScheme, Institution, Partnership
from healthlinks.results.selectors import partnership_summary


def _period(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: f"{value!r} is not a date (YYYY-MM-DD)"}) from None


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in {"1", "true", "yes"}


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("income_group", OpenApiTypes.STR, enum=["LIC", "LMC", "UMC", "HIC"]),
            OpenApiParameter("ssl2023", OpenApiTypes.BOOL),
            OpenApiParameter("who_region", OpenApiTypes.STR, enum=["AFR", "AMR", "SEAR", "EUR", "EMR", "WPR"]),
        ]
    )
)
class CountryViewSet(base.ReadOnlyModelViewSet):
    """ISO 3166-1 countries with WHO region, World Bank income group, WHO SSL 2023 and UK Code status."""

    serializer_class = serializers.CountrySerializer
    lookup_field = "iso3"
    lookup_value_regex = "[A-Za-z]{3}"
    filter_backends = [Ordering]
    ordering_fields = ["iso3", "name", "who_region", "income_group"]

    def get_queryset(self) -> QuerySet[Country]:
        qs = Country.objects.all()
        params = self.request.query_params
        if params.get("income_group"):
            qs = qs.filter(income_group=params["income_group"].upper())
        if params.get("who_region"):
            qs = qs.filter(who_region=params["who_region"].upper())
        ssl = _flag(params.get("ssl2023"))
        if ssl is not None:
            qs = qs.filter(ssl2023=ssl)
        return qs


class _CodeListViewSet(base.GenericViewSet):
    filter_backends: list[Any] = []
    pagination_class = None
    serializer_class = serializers.CodeSerializer
    rows: Any = None

    def list(self, request: Request) -> Response:
        return Response(self.rows())


class OccupationViewSet(_CodeListViewSet):
    """ISCO-08 health occupations."""

    def rows(self) -> list[dict[str, str]]:
        return [{"code": o.code, "name": o.label} for o in Occupation.objects.all()]


class OrganisationTypeViewSet(_CodeListViewSet):
    """IATI OrganisationType codelist."""

    def rows(self) -> list[dict[str, str]]:
        return [{"code": o.code, "name": o.name} for o in OrganisationType.objects.all()]


class PurposeCodeViewSet(_CodeListViewSet):
    """OECD DAC purpose codes (health, reproductive health, education)."""

    def rows(self) -> list[dict[str, str]]:
        return [{"code": o.code, "name": o.name} for o in PurposeCode.objects.all()]


class SpecialtyViewSet(_CodeListViewSet):
    def rows(self) -> list[dict[str, str]]:
        return [{"code": o.slug, "name": o.name} for o in Specialty.objects.all()]


class DeliveryMethodViewSet(_CodeListViewSet):
    def rows(self) -> list[dict[str, str]]:
        return [{"code": o.slug, "name": o.name} for o in DeliveryMethod.objects.all()]


class FundingSchemeViewSet(_CodeListViewSet):
    """Funding schemes (the `funder` filter of partnerships and analyses), with their funder."""

    serializer_class = serializers.FundingSchemeSerializer

    def rows(self) -> list[dict[str, str]]:
        return [{"code": o.slug, "name": o.name, "funder": o.funder} for o in FundingScheme.objects.order_by("name")]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="search in name"),
            OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-3"),
        ]
    )
)
class InstitutionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    base.GenericViewSet,
):
    serializer_class = serializers.InstitutionSerializer
    filter_backends = [Ordering]
    ordering_fields = ["name", "country", "city", "id"]

    def get_queryset(self) -> QuerySet[Institution]:
        qs = selectors.institutions_visible_to(self.request.user).order_by("name", "id")
        params = self.request.query_params
        if params.get("q"):
            qs = qs.filter(name__icontains=params["q"])
        if params.get("country"):
            qs = qs.filter(country_id=params["country"].upper())
        return qs

    def can_create(self, user: Any) -> bool:
        return selectors.can_create_partnership(user)

    def can_edit(self, user: Any, obj: Institution) -> bool:
        return selectors.can_edit_institution(user, obj)


PARTNERSHIP_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="search name, summary and member institutions"),
    OpenApiParameter("country", OpenApiTypes.STR, description="ISO 3166-1 alpha-3 of any member institution"),
    OpenApiParameter("specialty", OpenApiTypes.STR, description="specialty slug"),
    OpenApiParameter("funder", OpenApiTypes.STR, description="funding scheme slug"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["planned", "active", "closed"]),
    OpenApiParameter(
        "geography", OpenApiTypes.STR, enum=["north_south", "south_south", "north_north", "multi_country"]
    ),
    OpenApiParameter("typology", OpenApiTypes.STR, description="mobility_resilient or dimension:value"),
    OpenApiParameter("publication", OpenApiTypes.STR, enum=["draft", "published", "archived"]),
]


@extend_schema_view(list=extend_schema(parameters=PARTNERSHIP_FILTERS))
class PartnershipViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    base.GenericViewSet,
):
    serializer_class = serializers.PartnershipSerializer
    lookup_field = "slug"
    filter_backends = [Ordering]
    ordering_fields = ["name", "start_date", "end_date"]

    def get_queryset(self) -> QuerySet[Partnership]:
        params = self.request.query_params
        qs = selectors.partnership_list(
            self.request.user,
            q=params.get("q", ""),
            country=params.get("country", ""),
            specialty=params.get("specialty", ""),
            status=params.get("status", ""),
            geography=params.get("geography", ""),
            typology=params.get("typology", ""),
            funder=params.get("funder", ""),
            publication=params.get("publication", ""),
        )
        return selectors.with_members(qs).prefetch_related("assessments").order_by("name", "id")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "access_roles": selectors.access_map(self.request.user)}

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="period start (inclusive)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="period end (inclusive)"),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def summary(self, request: Request, slug: str | None = None) -> Response:
        """Health workers trained (unique), trainees by cadre and sex, volunteer days, activities, cash and
        in-kind costs in the reporting currency, for an optional period."""
        partnership = self.get_object()
        start, end = _period(request.query_params.get("from"), "from"), _period(request.query_params.get("to"), "to")
        return Response(partnership_summary(partnership, start, end))

    def can_create(self, user: Any) -> bool:
        return selectors.can_create_partnership(user)

    def can_edit(self, user: Any, obj: Partnership) -> bool:
        return selectors.partnership_access(user, obj) >= selectors.Access.EDIT


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)
