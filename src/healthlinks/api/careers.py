"""API of careers (issue 26 §5): career records of the people the user may see, by pseudonymous id (the note, free
text that may name people, only to those who may see the person's personal data), written by those who may
edit the person through careers.services; and retention at 1, 2 and 5 years by partnership and by kind of stay,
as JSON or `?format=csv` (docs/careers.md)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from healthlinks import labels
from healthlinks.api import base
from healthlinks.api.filters import Ordering
from healthlinks.api.serializers import call_service
from healthlinks.api.tables import RENDERERS, table, wants_csv
from healthlinks.careers import selectors, services
from healthlinks.careers.models import CareerRecord
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Person
from healthlinks.reference.models import Country
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution


class CareerRecordSerializer(serializers.ModelSerializer):
    person: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id", queryset=Person.objects.all(), error_messages={"does_not_exist": "no such person"}
    )
    institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True
    )
    country = serializers.PrimaryKeyRelatedField(
        queryset=Country.objects.all(), required=False, allow_null=True, help_text="ISO 3166-1 alpha-3"
    )

    class Meta:
        model = CareerRecord
        fields = ["id", "person", "recorded_on", "status", "grade", "post", "institution", "country", "source", "note"]

    # Shown only to those who may see the person's personal data (to_representation).
    role_dependent_fields = {"note"}

    def to_representation(self, instance: CareerRecord) -> dict[str, Any]:
        data = super().to_representation(instance)
        allowed = self.context.get("personal_ids")
        if allowed is not None and instance.person_id not in allowed:
            data.pop("note", None)  # free text may name people
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        person = attrs.get("person")
        user = self.context["request"].user
        if person is not None and not network_selectors.can_edit_person(user, person):
            raise DRFValidationError({"person": "no such person"})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> CareerRecord:
        return call_service(services.career_record_save, by=self.context["request"].user, **validated_data)

    def update(self, instance: CareerRecord, validated_data: dict[str, Any]) -> CareerRecord:
        return call_service(
            services.career_record_save, by=self.context["request"].user, record=instance, **validated_data
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("person", OpenApiTypes.STR, description="pseudonymous id"),
            OpenApiParameter("partnership", OpenApiTypes.STR, description="people of this partnership (slug)"),
        ]
    )
)
class CareerRecordViewSet(base.ModelViewSet):
    """Career records of the people you may see, by pseudonymous id, oldest first. Written (and deleted) by those
    who may edit the person: the coordinators of one of the person's partnerships and hub admins."""

    serializer_class = CareerRecordSerializer
    filter_backends = [Ordering]
    ordering_fields = ["recorded_on", "status", "id"]

    def get_queryset(self) -> QuerySet[CareerRecord]:
        qs = selectors.records_visible_to(self.request.user)
        params = self.request.query_params
        if params.get("person"):
            qs = qs.filter(person__pseudo_id=params["person"])
        if params.get("partnership"):
            chosen = set(
                registry_selectors.partnerships_visible_to(self.request.user)
                .filter(slug=params["partnership"])
                .values_list("pk", flat=True)
            )
            links = network_selectors.partnership_ids_by_person(qs.values_list("person_id", flat=True))
            qs = qs.filter(person_id__in=[pid for pid, found in links.items() if found & chosen])
        return qs.order_by("person_id", "recorded_on", "pk")

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        user = self.request.user
        if not network_selectors.sees_all_personal_data(user):
            context["personal_ids"] = set(
                network_selectors.people_with_personal_access(user).values_list("pk", flat=True)
            )
        return context

    def can_create(self, user: Any) -> bool:
        return registry_selectors.coordinates_any(user)

    def can_edit(self, user: Any, obj: CareerRecord) -> bool:
        return network_selectors.can_edit_person(user, obj.person)

    def perform_destroy(self, instance: CareerRecord) -> None:
        call_service(services.career_record_delete, by=self.request.user, record=instance)


RETENTION_COLUMNS = [
    "table",
    "partnership",
    "name",
    "kind",
    "kind_label",
    "people",
    "years",
    "due",
    "followed_up",
    "retained",
    "moved_abroad",
    "percent",
]


def _cells(row: Any) -> list[dict[str, Any]]:
    return [
        {
            "years": c.years,
            "due": c.due,
            "followed_up": c.followed_up,
            "retained": c.retained,
            "moved_abroad": c.moved_abroad,
            "percent": c.percent,
        }
        for c in row.cells
    ]


class RetentionViewSet(base.ViewSet):
    """Retention of trained health workers and returning volunteers at 1, 2 and 5 years (docs/careers.md), by
    partnership and by kind (`trainee` or the continuum class of the stay), counted over the people and
    partnerships you may see, as on the careers page. Each cell: people due (anniversary passed), followed up,
    retained (still in the country's health work), moved abroad, and the percentage retained of those followed
    up (null when nobody was). `?format=csv`: one row per table, row and horizon."""

    renderer_classes = RENDERERS

    @extend_schema(
        parameters=[OpenApiParameter("partnership", OpenApiTypes.STR, description="one partnership (slug)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request: Any) -> Response:
        slug = request.query_params.get("partnership")
        chosen = None
        if slug:
            chosen = registry_selectors.partnerships_visible_to(request.user).filter(slug=slug).first()
            if chosen is None:
                raise DRFValidationError({"partnership": f"no such partnership: {slug!r}"})
        data = selectors.retention(request.user, partnership=chosen)
        kinds = labels.labeller("continuum_class")
        body = {
            "horizons": list(data["horizons"]),
            "by_partnership": [
                {"partnership": r.key.slug, "name": r.key.name, "people": r.people, "cells": _cells(r)}
                for r in data["by_partnership"]
            ],
            "by_kind": [
                {
                    "kind": r.key,
                    "kind_label": _("Trainees") if r.key == selectors.TRAINEE else str(kinds(r.key)),
                    "people": r.people,
                    "cells": _cells(r),
                }
                for r in data["by_kind"]
            ],
        }
        if wants_csv(request):
            rows = [
                {"table": "partnership", "partnership": r["partnership"], "name": r["name"], "people": r["people"]}
                | cell
                for r in body["by_partnership"]
                for cell in r["cells"]
            ] + [
                {"table": "kind", "kind": r["kind"], "kind_label": r["kind_label"], "people": r["people"]} | cell
                for r in body["by_kind"]
                for cell in r["cells"]
            ]
            return table(rows, RETENTION_COLUMNS)
        return Response(body)
