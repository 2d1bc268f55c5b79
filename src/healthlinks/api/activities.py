"""API of activities and their outcomes: what partnerships did, with their trainee counts by the TRN-01 rule, the
trainees, assessments, outcomes, knowledge items and cascades."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DRFValidationError

from healthlinks.activities import selectors, services
from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.api import base
from healthlinks.api.filters import Ordering, is_id
from healthlinks.api.serializers import call_service
from healthlinks.network.models import Person, Stay
from healthlinks.network.selectors import people_editable_by, people_visible_to
from healthlinks.reference.models import PurposeCode
from healthlinks.registry.models import Institution, Partnership
from healthlinks.registry.selectors import can_edit_partnership, coordinates_any, is_hub_admin


class ActivitySerializer(serializers.ModelSerializer):
    """Writes go through `activity_save`: a coordinator of the partnership (or a hub admin) records an
    activity, its facilitators (pseudonymous ids) and the stays during which it was delivered."""

    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", queryset=Partnership.objects.all()
    )
    purpose_code: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        queryset=PurposeCode.objects.all(), required=False, allow_null=True
    )
    venue: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True
    )
    stays: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Stay.objects.all(), required=False
    )
    facilitators: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id",
        many=True,
        queryset=Person.objects.all(),
        required=False,
        error_messages={"does_not_exist": "no such person"},
    )
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
            "facilitators",
            "health_workers_trained",
            "is_synthetic",
        ]
        read_only_fields = ["is_synthetic"]
        extra_kwargs: dict[str, dict[str, Any]] = {"external_id": {"validators": []}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        partnership = attrs.get("partnership") or getattr(self.instance, "partnership", None)
        if partnership is not None and not can_edit_partnership(user, partnership.pk):
            raise DRFValidationError({"partnership": "you do not coordinate this partnership"})
        facilitators = attrs.get("facilitators") or []
        visible = set(people_editable_by(user).filter(pk__in=[p.pk for p in facilitators]).values_list("pk", flat=True))
        if any(p.pk not in visible for p in facilitators):
            raise DRFValidationError({"facilitators": "no such person"})
        stays = attrs.get("stays") or []
        if partnership is not None and any(s.partnership_id != partnership.pk for s in stays):
            raise DRFValidationError({"stays": "only stays of the activity's partnership can be linked"})
        return attrs

    def _save(self, activity: Activity | None, data: dict[str, Any]) -> Activity:
        return call_service(
            services.activity_save,
            by=self.context["request"].user,
            activity=activity,
            stays=data.pop("stays", None),
            facilitators=data.pop("facilitators", None),
            **data,
        )

    def create(self, validated_data: dict[str, Any]) -> Activity:
        return self._save(None, validated_data)

    def update(self, instance: Activity, validated_data: dict[str, Any]) -> Activity:
        return self._save(instance, validated_data)

    def to_representation(self, instance: Activity) -> dict[str, Any]:
        data = super().to_representation(instance)
        visible = self.context.get("visible_people")
        request = self.context.get("request")
        if visible is None and request is not None:  # one activity (detail, write): its own facilitators
            visible = visible_facilitators(request.user, [instance])
        if visible is not None:
            data["facilitators"] = [p for p in data["facilitators"] if p in visible]
        return data

    def get_health_workers_trained(self, obj: Activity) -> int:
        trained = self.context.get("trained")
        if trained is None or obj.pk not in trained:
            trained = selectors.trained_by_activity([obj.pk])
        return trained[obj.pk]


def visible_facilitators(user: Any, activities: Iterable[Activity]) -> set[str] | None:
    """Pseudonymous ids of these activities' facilitators that the user may see (None: all, hub admins). Asked
    for the people on the page only: the set of everyone a researcher may see is 100,000 ids at M scale."""
    if is_hub_admin(user):
        return None
    ids = {p.pk for a in activities for p in a.facilitators.all()}
    return set(people_visible_to(user).filter(pk__in=ids).values_list("pseudo_id", flat=True))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug"),
            OpenApiParameter("kind", OpenApiTypes.STR),
        ]
    )
)
class ActivityViewSet(base.ModelViewSet):
    serializer_class = ActivitySerializer
    filter_backends = [Ordering]
    ordering_fields = ["start_date", "end_date", "title", "kind", "hours", "id"]

    def can_create(self, user: Any) -> bool:
        return coordinates_any(user)

    def can_edit(self, user: Any, obj: Activity) -> bool:
        return can_edit_partnership(user, obj.partnership_id)

    def get_queryset(self) -> QuerySet[Activity]:
        qs = selectors.activities_visible_to(self.request.user).select_related("partnership")
        params = self.request.query_params
        if params.get("partnership"):
            qs = qs.filter(partnership__slug=params["partnership"])
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        return qs.prefetch_related("stays", "facilitators").order_by("-start_date", "pk")

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        context = {
            **self.get_serializer_context(),
            "trained": selectors.trained_by_activity([a.pk for a in page]),
            "visible_people": visible_facilitators(request.user, page),
        }
        return self.get_paginated_response(ActivitySerializer(page, many=True, context=context).data)


def _serializer(model_: Any, fields_: list[str], person: bool = False) -> type[serializers.ModelSerializer]:
    attrs: dict[str, Any] = {"Meta": type("Meta", (), {"model": model_, "fields": fields_})}
    if person:
        attrs["person"] = serializers.SlugRelatedField(slug_field="pseudo_id", read_only=True, allow_null=True)
    return type(f"{model_.__name__}Serializer", (serializers.ModelSerializer,), attrs)


class _ActivityScoped(base.ReadOnlyModelViewSet):
    """Records of activities the user can see; person-level rows only for people the user can see."""

    filter_backends = [Ordering]
    ordering_fields = ["id", "activity"]
    model: Any = None
    person_level = True

    def get_queryset(self) -> QuerySet[Any]:
        user = self.request.user
        qs = self.model.objects.filter(activity__in=selectors.activities_visible_to(user)).order_by("pk")
        if self.person_level:
            qs = qs.filter(person__in=people_visible_to(user))
        elif hasattr(self.model, "person"):
            qs = qs.filter(person__isnull=True) | qs.filter(person__in=people_visible_to(user))
        activity = self.request.query_params.get("activity")
        if activity:
            qs = (
                qs.filter(activity__external_id=activity)
                if not is_id(activity)
                else qs.filter(activity_id=int(activity))
            )
        return qs


class _WritableActivityScoped(_ActivityScoped, base.ModelViewSet):
    """Records of an activity that its partnership's coordinators (and hub admins) write."""

    def can_create(self, user: Any) -> bool:
        return coordinates_any(user)

    def can_edit(self, user: Any, obj: Any) -> bool:
        return can_edit_partnership(user, obj.activity.partnership_id)

    def perform_destroy(self, instance: Any) -> None:
        instance._history_user = self.request.user
        instance.delete()


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class TraineeViewSet(_ActivityScoped):
    """Named trainees (pseudonymous ids), only of people you may see."""

    model = Trainee
    serializer_class = _serializer(Trainee, ["id", "activity", "person", "facility_level", "completed"], True)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class AggregateTraineeViewSet(_ActivityScoped):
    """Trainees counted by cadre x sex x facility level."""

    model = AggregateTrainees
    person_level = False
    serializer_class = _serializer(AggregateTrainees, ["id", "activity", "cadre", "sex", "facility_level", "count"])


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class AssessmentViewSet(_ActivityScoped):
    """Kirkpatrick L2 pre/post scores with gain and normalised gain."""

    model = Assessment
    serializer_class = type(
        "LearningAssessmentSerializer",
        (serializers.ModelSerializer,),
        {
            "person": serializers.SlugRelatedField(slug_field="pseudo_id", read_only=True),
            "gain": serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True),
            "normalised_gain": serializers.FloatField(read_only=True, allow_null=True),
            "Meta": type(
                "Meta",
                (),
                {
                    "model": Assessment,
                    "fields": [
                        "id",
                        "activity",
                        "person",
                        "pre_score",
                        "post_score",
                        "max_score",
                        "gain",
                        "normalised_gain",
                    ],
                },
            ),
        },
    )


class OutcomeSerializer(serializers.ModelSerializer):
    """Writes go through `outcome_create` and the model's rules (L1 needs a rating, L3 a yes/no and a
    follow-up of 3, 6 or 12 months, L4 an indicator and its value)."""

    activity: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(queryset=Activity.objects.all())
    person: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id",
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "no such person"},
    )

    class Meta:
        model = Outcome
        fields = [
            "id",
            "activity",
            "person",
            "level",
            "dimension",
            "rating",
            "practice_changed",
            "follow_up_months",
            "indicator",
            "value",
            "unit",
            "method",
            "recorded_on",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        activity = attrs.get("activity") or getattr(self.instance, "activity", None)
        if activity is not None and not can_edit_partnership(user, activity.partnership_id):
            raise DRFValidationError({"activity": "you do not coordinate this activity's partnership"})
        person = attrs.get("person")
        if person is not None and not people_editable_by(user).filter(pk=person.pk).exists():
            raise DRFValidationError({"person": "no such person"})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Outcome:
        return call_service(services.outcome_create, by=self.context["request"].user, **validated_data)

    def update(self, instance: Outcome, validated_data: dict[str, Any]) -> Outcome:
        return call_service(
            services.outcome_update, by=self.context["request"].user, outcome=instance, **validated_data
        )


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class OutcomeViewSet(_WritableActivityScoped):
    """Kirkpatrick L1, L3 and L4 outcomes; facility (L4) outcomes carry no person. Coordinators of the
    partnership (and hub admins) record them."""

    model = Outcome
    person_level = False
    serializer_class = OutcomeSerializer
    ordering_fields = ["id", "activity", "level", "recorded_on"]


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class KnowledgeItemViewSet(_ActivityScoped):
    model = KnowledgeItem
    person_level = False
    ordering_fields = ["id", "activity", "stage", "transferred_on"]
    serializer_class = _serializer(
        KnowledgeItem,
        [
            "id",
            "activity",
            "title",
            "kind",
            "direction",
            "stage",
            "adaptation",
            "sustained_at_follow_up",
            "transferred_on",
            "translated_on",
            "effective_on",
        ],
    )


class CascadeSerializer(serializers.ModelSerializer):
    activity: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        source="source_activity", read_only=True, help_text="the activity where they were trained"
    )
    person: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="pseudo_id", read_only=True)

    class Meta:
        model = CascadeReport
        fields = ["id", "activity", "person", "people_trained", "reported_on"]


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR, description="id or external id")])
)
class CascadeViewSet(base.ReadOnlyModelViewSet):
    """Trainees who went on to train others, and how many: people you may see, of activities you may see."""

    serializer_class = CascadeSerializer
    filter_backends = [Ordering]
    ordering_fields = ["id", "reported_on", "people_trained"]

    def get_queryset(self) -> QuerySet[CascadeReport]:
        user = self.request.user
        qs = CascadeReport.objects.filter(
            source_activity__in=selectors.activities_visible_to(user), person__in=people_visible_to(user)
        ).select_related("person")
        activity = self.request.query_params.get("activity")
        if activity:
            qs = (
                qs.filter(source_activity_id=int(activity))
                if is_id(activity)
                else qs.filter(source_activity__external_id=activity)
            )
        return qs.order_by("pk")
