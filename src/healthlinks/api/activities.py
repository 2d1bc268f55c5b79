"""API of activities and their outcomes: what partnerships did, with their trainee counts by the TRN-01 rule, the
trainees, assessments, outcomes, knowledge items and cascades."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    FacilityLevel,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.api import base
from healthlinks.api.filters import Ordering, is_id
from healthlinks.api.serializers import call_service
from healthlinks.network.models import Person, Sex, Stay
from healthlinks.network.selectors import people_editable_by, people_visible_to
from healthlinks.reference.models import Occupation, PurposeCode
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

    def perform_destroy(self, instance: Activity) -> None:
        """As the pages do: with everything recorded under it, one history row each (the costs stay, unlinked)."""
        call_service(services.activities_delete, by=self.request.user, activities=[instance])

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


class ActivityRecordSerializer(serializers.ModelSerializer):
    """A record kept under an activity (trainee, counted trainees, test scores, outcome, knowledge item, cascade
    report). Its partnership's coordinators (and hub admins) write it through the activities services; people are
    named by pseudonymous id and must be people the writer may edit. The activity and the person are fixed once
    recorded: delete the record and record it again to move it."""

    activity: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(queryset=Activity.objects.all())
    person: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id", queryset=Person.objects.all(), error_messages={"does_not_exist": "no such person"}
    )
    activity_attr = "activity"  # the model's name of the activity field
    fixed: tuple[str, ...] = ("activity", "person")
    save_record: Callable[[Any, dict[str, Any]], Any]  # each record's serializer: (instance or None, data) -> record

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        activity = attrs.get(self.activity_attr) or getattr(self.instance, self.activity_attr, None)
        if activity is not None and not can_edit_partnership(user, activity.partnership_id):
            raise DRFValidationError({"activity": "you do not coordinate this activity's partnership"})
        if self.instance is not None:
            for name in self.fixed:
                attr = self.activity_attr if name == "activity" else name
                if attr in attrs and attrs[attr] != getattr(self.instance, attr):
                    raise DRFValidationError({name: "cannot be changed: delete the record and record it again"})
        person = attrs.get("person")
        if person is not None and not people_editable_by(user).filter(pk=person.pk).exists():
            raise DRFValidationError({"person": "no such person"})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Any:
        return self.save_record(None, validated_data)

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        return self.save_record(instance, validated_data)


class _ActivityScoped(base.ModelViewSet):
    """Records of activities the user can see; person-level rows only for people the user can see. The
    activity's partnership's coordinators (and hub admins) write them."""

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

    def can_create(self, user: Any) -> bool:
        return coordinates_any(user)

    def can_edit(self, user: Any, obj: Any) -> bool:
        return can_edit_partnership(user, obj.activity.partnership_id)

    def perform_destroy(self, instance: Any) -> None:
        call_service(services.record_remove, by=self.request.user, record=instance)


class TraineeSerializer(ActivityRecordSerializer):
    class Meta:
        model = Trainee
        fields = ["id", "activity", "person", "facility_level", "completed"]

    def save_record(self, instance: Trainee | None, data: dict[str, Any]) -> Trainee:
        activity = data.pop("activity", None) or instance.activity  # type: ignore[union-attr]
        person = data.pop("person", None) or instance.person  # type: ignore[union-attr]
        user = self.context["request"].user
        return call_service(services.trainee_add, by=user, activity=activity, person=person, **data)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class TraineeViewSet(_ActivityScoped):
    """Named trainees (pseudonymous ids), only of people you may see. Recording a trainee makes them one of the
    partnership's people."""

    model = Trainee
    serializer_class = TraineeSerializer


class AggregateTraineeSerializer(ActivityRecordSerializer):
    person = None  # type: ignore[assignment]
    cadre: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        queryset=Occupation.objects.all(), required=False, allow_null=True, help_text="ISCO-08 code"
    )
    fixed = ("activity", "cadre", "sex", "facility_level")

    class Meta:
        model = AggregateTrainees
        fields = ["id", "activity", "cadre", "sex", "facility_level", "count"]
        validators: list[Any] = []  # one count per cell: posting a cell again replaces its count (aggregate_set)

    def save_record(self, instance: AggregateTrainees | None, data: dict[str, Any]) -> AggregateTrainees:
        key = {name: data.get(name, getattr(instance, name, None)) for name in ("activity", "cadre")}
        cadre = key["cadre"]
        return call_service(
            services.aggregate_set,
            by=self.context["request"].user,
            activity=key["activity"],
            cadre_id=cadre.pk if cadre is not None else None,
            sex=data.get("sex", getattr(instance, "sex", Sex.NOT_RECORDED)),
            facility_level=data.get("facility_level", getattr(instance, "facility_level", FacilityLevel.NOT_RECORDED)),
            count=data.get("count", getattr(instance, "count", 0)),
        )


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class AggregateTraineeViewSet(_ActivityScoped):
    """Trainees counted by cadre x sex x facility level."""

    model = AggregateTrainees
    person_level = False
    serializer_class = AggregateTraineeSerializer


class AssessmentSerializer(ActivityRecordSerializer):
    gain = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    normalised_gain = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Assessment
        fields = ["id", "activity", "person", "pre_score", "post_score", "max_score", "gain", "normalised_gain"]
        ref_name = "LearningAssessment"

    def save_record(self, instance: Assessment | None, data: dict[str, Any]) -> Assessment:
        activity = data.pop("activity", None) or instance.activity  # type: ignore[union-attr]
        person = data.pop("person", None) or instance.person  # type: ignore[union-attr]
        user = self.context["request"].user
        return call_service(services.assessment_save, by=user, activity=activity, person=person, **data)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class AssessmentViewSet(_ActivityScoped):
    """Kirkpatrick L2 pre/post scores with gain and normalised gain."""

    model = Assessment
    serializer_class = AssessmentSerializer


class OutcomeSerializer(ActivityRecordSerializer):
    """Writes go through `outcome_create` and the model's rules (L1 needs a rating, L3 a yes/no and a
    follow-up of 3, 6 or 12 months, L4 an indicator and its value). Facility (L4) outcomes name no person."""

    person: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id",
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "no such person"},
    )
    fixed = ()

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

    def save_record(self, instance: Outcome | None, data: dict[str, Any]) -> Outcome:
        user = self.context["request"].user
        if instance is None:
            return call_service(services.outcome_create, by=user, **data)
        return call_service(services.outcome_update, by=user, outcome=instance, **data)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class OutcomeViewSet(_ActivityScoped):
    """Kirkpatrick L1, L3 and L4 outcomes; facility (L4) outcomes carry no person. Coordinators of the
    partnership (and hub admins) record them."""

    model = Outcome
    person_level = False
    serializer_class = OutcomeSerializer
    ordering_fields = ["id", "activity", "level", "recorded_on"]


class KnowledgeItemSerializer(ActivityRecordSerializer):
    person = None  # type: ignore[assignment]
    fixed = ("activity",)

    class Meta:
        model = KnowledgeItem
        fields = [
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
        ]

    def save_record(self, instance: KnowledgeItem | None, data: dict[str, Any]) -> KnowledgeItem:
        return call_service(services.knowledge_item_save, by=self.context["request"].user, item=instance, **data)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR)]))
class KnowledgeItemViewSet(_ActivityScoped):
    """Knowledge moving through a partnership and its stage: transferred, translated (adapted), effective."""

    model = KnowledgeItem
    person_level = False
    ordering_fields = ["id", "activity", "stage", "transferred_on"]
    serializer_class = KnowledgeItemSerializer


class CascadeSerializer(ActivityRecordSerializer):
    activity: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        source="source_activity", queryset=Activity.objects.all(), help_text="the activity where they were trained"
    )
    activity_attr = "source_activity"

    class Meta:
        model = CascadeReport
        fields = ["id", "activity", "person", "people_trained", "reported_on"]

    def save_record(self, instance: CascadeReport | None, data: dict[str, Any]) -> CascadeReport:
        activity = data.pop("source_activity", None) or instance.source_activity  # type: ignore[union-attr]
        person = data.pop("person", None) or instance.person  # type: ignore[union-attr]
        user = self.context["request"].user
        return call_service(services.cascade_save, by=user, activity=activity, person=person, **data)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("activity", OpenApiTypes.STR, description="id or external id")])
)
class CascadeViewSet(base.ModelViewSet):
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

    def can_create(self, user: Any) -> bool:
        return coordinates_any(user)

    def can_edit(self, user: Any, obj: CascadeReport) -> bool:
        return can_edit_partnership(user, obj.source_activity.partnership_id)

    def perform_destroy(self, instance: CascadeReport) -> None:
        call_service(services.record_remove, by=self.request.user, record=instance)
