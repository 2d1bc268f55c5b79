"""API of activities (read): what partnerships did, with their trainee counts by the TRN-01 rule."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from healthlinks.activities import selectors
from healthlinks.activities.models import Activity


class ActivitySerializer(serializers.ModelSerializer):
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    purpose_code: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    stays: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    health_workers_trained = serializers.SerializerMethodField()

    class Meta:
        model = Activity
        fields = [
            "id",
            "external_id",
            "partnership",
            "title",
            "kind",
            "mode",
            "start_date",
            "end_date",
            "venue",
            "purpose_code",
            "training_of_trainers",
            "hours",
            "stays",
            "health_workers_trained",
            "is_synthetic",
        ]

    def get_health_workers_trained(self, obj: Activity) -> int:
        trained = self.context.get("trained")
        if trained is None or obj.pk not in trained:
            trained = selectors.trained_by_activity([obj.pk])
        return trained[obj.pk]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug"),
            OpenApiParameter("kind", OpenApiTypes.STR),
        ]
    )
)
class ActivityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivitySerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Activity]:
        qs = selectors.activities_visible_to(self.request.user).select_related("partnership")
        params = self.request.query_params
        if params.get("partnership"):
            qs = qs.filter(partnership__slug=params["partnership"])
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        return qs.prefetch_related("stays").order_by("-start_date", "pk")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        context = {**self.get_serializer_context(), "trained": selectors.trained_by_activity([a.pk for a in page])}
        return self.get_paginated_response(ActivitySerializer(page, many=True, context=context).data)
