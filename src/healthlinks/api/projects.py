"""API of projects (read): IATI-shaped projects of the partnerships the user can see."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from healthlinks.api import base
from healthlinks.api.filters import Ordering
from healthlinks.projects import selectors
from healthlinks.projects.models import (
    Project,
    ProjectBudget,
    ProjectIndicator,
    ProjectParticipant,
    ProjectPeriod,
    ProjectResult,
    ProjectTransaction,
)


class ProjectParticipantSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectParticipant
        fields = ["role", "org_type", "ref", "activity_id", "crs_channel_code", "names", "institution"]


class ProjectBudgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectBudget
        fields = ["budget_type", "status", "period_start", "period_end", "value", "currency", "value_date"]


class ProjectTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectTransaction
        fields = [
            "ref",
            "transaction_type",
            "date",
            "value",
            "currency",
            "value_date",
            "descriptions",
            "provider_ref",
            "provider_type",
            "provider_names",
            "receiver_ref",
            "receiver_type",
            "receiver_names",
        ]


class ProjectPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectPeriod
        fields = ["period_start", "period_end", "targets", "actuals"]


class ProjectIndicatorSerializer(serializers.ModelSerializer):
    periods = ProjectPeriodSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectIndicator
        fields = ["measure", "ascending", "titles", "descriptions", "baselines", "periods"]


class ProjectResultSerializer(serializers.ModelSerializer):
    indicators = ProjectIndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = ProjectResult
        fields = ["result_type", "aggregation_status", "titles", "descriptions", "indicators"]


class ProjectSerializer(serializers.ModelSerializer):
    # null: held for review (the import could not tell its partnership; hub admins and its importer see it)
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    participants = ProjectParticipantSerializer(many=True, read_only=True)
    budgets = ProjectBudgetSerializer(many=True, read_only=True)
    transactions = ProjectTransactionSerializer(many=True, read_only=True)
    results = ProjectResultSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "iati_identifier",
            "partnership",
            "title",
            "titles",
            "descriptions",
            "default_lang",
            "default_currency",
            "reporting_org",
            "reporting_org_ref",
            "reporting_org_type",
            "activity_status",
            "planned_start",
            "actual_start",
            "planned_end",
            "actual_end",
            "recipient_countries",
            "recipient_regions",
            "sectors",
            "participants",
            "budgets",
            "transactions",
            "results",
            "needs_review",
            "import_warnings",
            "updated_at",
        ]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("iati_identifier", OpenApiTypes.STR, description="exact IATI activity identifier"),
            OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug"),
            OpenApiParameter("held", OpenApiTypes.BOOL, description="only projects held for review (no partnership)"),
        ]
    )
)
class ProjectViewSet(base.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer
    filter_backends = [Ordering]
    ordering_fields = ["iati_identifier", "title", "planned_start", "updated_at", "id"]

    def get_queryset(self) -> QuerySet[Project]:
        params = self.request.query_params
        qs = selectors.project_list(
            self.request.user,
            iati_identifier=params.get("iati_identifier", ""),
            partnership=params.get("partnership", ""),
            held=params.get("held", "") in ("1", "true"),
        )
        return selectors.with_parts(qs)
