"""API of programmes (read): the programmes the user can see, and each one's roll-up against its targets,
computed over the programme's partnerships the user can see (programmes.rollup)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from healthlinks.api import base
from healthlinks.api.filters import Ordering
from healthlinks.programmes import selectors
from healthlinks.programmes.models import Programme, ProgrammeTarget
from healthlinks.programmes.rollup import GRANULARITIES, programme_rollup


class ProgrammeTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeTarget
        fields = ["library_code", "period", "target", "sex", "cadre", "country"]


class ProgrammeSerializer(serializers.ModelSerializer):
    funding_scheme: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    partnerships = serializers.SerializerMethodField()
    targets = ProgrammeTargetSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "slug",
            "name",
            "description",
            "funding_scheme",
            "period_start",
            "period_end",
            "currency",
            "partnerships",
            "targets",
            "updated_at",
        ]

    def get_partnerships(self, programme: Programme) -> list[str]:
        """Slugs of the programme's partnerships the user may see."""
        user = self.context["request"].user
        return list(selectors.programme_partnerships(programme, user).values_list("slug", flat=True))


class RollupRowSerializer(serializers.Serializer):
    library_code = serializers.CharField()
    period = serializers.CharField(help_text="a year (2025) or a quarter (2025-Q2)")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    dimension = serializers.CharField(help_text="empty for the total, else sex, cadre or country")
    category = serializers.CharField(help_text="a sex code, an ISCO-08 code or an ISO 3166-1 alpha-3 code")
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    numerator = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    denominator = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    target = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    achieved = serializers.FloatField(allow_null=True, help_text="value / target × 100")


class RollupSerializer(serializers.Serializer):
    programme = serializers.CharField()
    granularity = serializers.ChoiceField(choices=list(GRANULARITIES))
    partnerships = serializers.IntegerField(help_text="partnerships counted (those the user may see)")
    partnerships_total = serializers.IntegerField()
    rows = RollupRowSerializer(many=True)


class ProgrammeViewSet(base.ReadOnlyModelViewSet):
    serializer_class = ProgrammeSerializer
    lookup_field = "slug"
    filter_backends = [Ordering]
    ordering_fields = ["name", "period_start", "slug"]

    def get_queryset(self) -> QuerySet[Programme]:
        return selectors.programmes_visible_to(self.request.user).prefetch_related("targets").order_by("name", "pk")

    @extend_schema(
        parameters=[OpenApiParameter("period", OpenApiTypes.STR, enum=list(GRANULARITIES), description="roll up by")],
        responses=RollupSerializer,
    )
    @action(detail=True, methods=["get"])
    def rollup(self, request: Request, slug: str | None = None) -> Response:
        """Every library indicator added up over the programme's partnerships by period, in total and by sex,
        cadre and country (each person counted once), beside the programme's targets."""
        programme = self.get_object()
        rollup = programme_rollup(
            programme, user=request.user, granularity=request.query_params.get("period") or "year"
        )
        data: dict[str, Any] = {
            "programme": programme.slug,
            "granularity": rollup.granularity,
            "partnerships": len(rollup.partnership_ids),
            "partnerships_total": rollup.partnerships_total,
            "rows": [
                {
                    "library_code": r.code,
                    "period": r.period.code,
                    "period_start": r.period.start,
                    "period_end": r.period.end,
                    "dimension": r.dimension,
                    "category": r.category,
                    "value": r.value,
                    "numerator": r.numerator,
                    "denominator": r.denominator,
                    "target": r.target,
                    "achieved": r.achieved,
                }
                for r in rollup.rows
            ],
        }
        return Response(RollupSerializer(data).data)
