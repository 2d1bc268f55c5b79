"""API of the knowledge network: people (pseudonymous unless the user may see personal data), stays, ties."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from healthlinks.api import base
from healthlinks.api.filters import Ordering
from healthlinks.api.serializers import call_service
from healthlinks.network import selectors, services
from healthlinks.network.models import SAFEGUARD_NOTE, Person, PersonRole, PersonRoleKind, Stay, StaySession, Tie
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution, Partnership

PERSONAL = {"external_id", "given_name", "family_name", "email", "phone"}


class PersonSerializer(serializers.ModelSerializer):
    given_name = serializers.CharField(source="personal.given_name", required=False, allow_blank=True)
    family_name = serializers.CharField(source="personal.family_name", required=False, allow_blank=True)
    email = serializers.EmailField(source="personal.email", required=False, allow_blank=True)
    phone = serializers.CharField(source="personal.phone", required=False, allow_blank=True)
    partnerships = serializers.SerializerMethodField()
    partnership = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Partnership.objects.filter(deleted_at__isnull=True),
        write_only=True,
        required=False,
        help_text="a partnership you coordinate: the person is also registered in it with `role`",
    )
    role = serializers.ChoiceField(choices=PersonRoleKind.choices, write_only=True, required=False)

    class Meta:
        model = Person
        fields = [
            "pseudo_id",
            "external_id",
            "given_name",
            "family_name",
            "email",
            "phone",
            "cadre",
            "sex",
            "home_institution",
            "grade",
            "research_consent",
            "consent_date",
            "partnerships",
            "partnership",
            "role",
            "is_synthetic",
        ]
        read_only_fields = ["pseudo_id", "is_synthetic"]
        extra_kwargs: dict[str, dict[str, Any]] = {"external_id": {"validators": []}}

    def get_partnerships(self, obj: Person) -> list[str]:
        slugs = self.context.get("partnership_slugs", {})
        return sorted(slugs.get(obj.pk, []))

    def to_representation(self, instance: Person) -> dict[str, Any]:
        data = super().to_representation(instance)
        for key in ("given_name", "family_name", "email", "phone"):
            if data.get(key) is None:
                data[key] = ""  # no personal record (yet): nothing recorded, as blank fields read
        allowed = self.context.get("personal_ids")
        if allowed is not None and instance.pk not in allowed:
            for key in PERSONAL:
                data.pop(key, None)
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        partnership = attrs.get("partnership")
        if partnership is not None and not registry_selectors.can_edit_partnership(user, partnership.pk):
            raise DRFValidationError({"partnership": "you do not coordinate this partnership"})
        ext = attrs.get("external_id")
        if ext:
            holders = Person.objects.filter(external_id=ext)
            if self.instance is not None:
                holders = holders.exclude(pk=self.instance.pk)
            holder = holders.first()
            if holder is not None and not selectors.can_edit_person(user, holder):
                raise DRFValidationError({"external_id": selectors.not_yours_message(ext)})
        return attrs

    def _save(self, person: Person | None, data: dict[str, Any]) -> Person:
        personal = data.pop("personal", {})
        partnership = data.pop("partnership", None)
        role = data.pop("role", None) or PersonRoleKind.VOLUNTEER
        roles = [services.RoleSpec(partnership_id=partnership.pk, role=role)] if partnership is not None else []
        return call_service(
            services.person_save, by=self.context["request"].user, person=person, roles=roles, **data, **personal
        )

    def create(self, validated_data: dict[str, Any]) -> Person:
        return self._save(None, validated_data)

    def update(self, instance: Person, validated_data: dict[str, Any]) -> Person:
        return self._save(instance, validated_data)


class PersonCreateSerializer(PersonSerializer):
    """A new person is registered in a partnership the user coordinates, with a role there: without one nobody
    could record their stays."""

    partnership = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Partnership.objects.filter(deleted_at__isnull=True),
        write_only=True,
        help_text="a partnership you coordinate: the person is registered in it with `role`",
    )
    role = serializers.ChoiceField(choices=PersonRoleKind.choices, write_only=True)


class StaySessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StaySession
        fields = ["date", "hours"]


class StaySerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(
        slug_field="pseudo_id", queryset=Person.objects.all(), error_messages={"does_not_exist": "no such person"}
    )
    partnership = serializers.SlugRelatedField(slug_field="slug", queryset=Partnership.objects.all())
    sending_institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True
    )
    host_institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    continuum_class = serializers.CharField(read_only=True)
    safeguard_note = serializers.SerializerMethodField()
    purposes = serializers.ListField(child=serializers.CharField(), required=False)
    sessions = StaySessionSerializer(many=True, read_only=True)

    class Meta:
        model = Stay
        fields = [
            "id",
            "external_id",
            "person",
            "partnership",
            "sending_institution",
            "host_institution",
            "mode",
            "start_date",
            "end_date",
            "purposes",
            "virtual_hours",
            "sessions",
            "funding",
            "notes",
            "named_counterpart",
            "protected_time",
            "leave_backfill",
            "prior_contact",
            "shared_language",
            "duration_days",
            "continuum_class",
            "repeat_index",
            "days_since_previous",
            "circular",
            "safeguard_flag",
            "safeguard_note",
            "is_synthetic",
        ]
        read_only_fields = [
            "duration_days",
            "repeat_index",
            "days_since_previous",
            "circular",
            "safeguard_flag",
            "is_synthetic",
        ]
        extra_kwargs: dict[str, dict[str, Any]] = {"external_id": {"validators": []}}

    def get_safeguard_note(self, obj: Stay) -> str:
        return str(SAFEGUARD_NOTE) if obj.safeguard_flag else ""

    def to_representation(self, instance: Stay) -> dict[str, Any]:
        data = super().to_representation(instance)
        allowed = self.context.get("personal_partnerships")
        if allowed is not None and instance.partnership_id not in allowed:
            data.pop("notes", None)  # free text may name people
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        partnership = attrs.get("partnership") or getattr(self.instance, "partnership", None)
        if partnership is not None and not registry_selectors.can_edit_partnership(user, partnership.pk):
            raise DRFValidationError({"partnership": "you do not coordinate this partnership"})
        person = attrs.get("person")
        if person is not None and not selectors.people_editable_by(user).filter(pk=person.pk).exists():
            raise DRFValidationError({"person": "no such person"})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Stay:
        return call_service(services.stay_create, by=self.context["request"].user, **validated_data)

    def update(self, instance: Stay, validated_data: dict[str, Any]) -> Stay:
        return call_service(services.stay_update, by=self.context["request"].user, stay=instance, **validated_data)


class SessionSerializer(serializers.Serializer):
    date = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=1)


class TieSerializer(serializers.ModelSerializer):
    """A recorded tie between two people (pseudonymous ids) that the writer may both edit; mentor → mentee is
    directed (person_a mentors person_b). The people and the kind are fixed once recorded."""

    person_a: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id", queryset=Person.objects.all(), error_messages={"does_not_exist": "no such person"}
    )
    person_b: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="pseudo_id", queryset=Person.objects.all(), error_messages={"does_not_exist": "no such person"}
    )
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="null for an inferred tie")
    inferred = serializers.SerializerMethodField()

    class Meta:
        model = Tie
        fields = ["id", "person_a", "person_b", "kind", "start_date", "end_date", "source", "inferred"]
        validators: list[Any] = []  # the same pair and kind again updates the tie (tie_save)

    def get_inferred(self, obj: Tie) -> bool:
        return False

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            for name in ("person_a", "person_b", "kind"):
                if name in attrs and attrs[name] != getattr(self.instance, name):
                    raise DRFValidationError({name: "cannot be changed: delete the tie and record it again"})
        a = attrs.get("person_a") or getattr(self.instance, "person_a", None)
        b = attrs.get("person_b") or getattr(self.instance, "person_b", None)
        if a is not None and b is not None and not selectors.can_edit_tie(self.context["request"].user, a, b):
            raise DRFValidationError({"person_b": "no such person"})
        return attrs

    def _save(self, tie: Tie | None, data: dict[str, Any]) -> Tie:
        fields = {k: data.get(k, getattr(tie, k, None)) for k in ("person_a", "person_b", "kind")}
        fields |= {k: data.get(k, getattr(tie, k, None)) for k in ("start_date", "end_date")}
        fields["source"] = data.get("source", getattr(tie, "source", ""))
        return call_service(services.tie_save, by=self.context["request"].user, **fields)

    def create(self, validated_data: dict[str, Any]) -> Tie:
        return self._save(None, validated_data)

    def update(self, instance: Tie, validated_data: dict[str, Any]) -> Tie:
        return self._save(instance, validated_data)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DRFValidationError({name: f"{value!r} is not a date (YYYY-MM-DD)"}) from None


class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    base.GenericViewSet,
):
    """People. Names, emails, phones and external ids only for those who may see them. DELETE is soft, as on the
    people page: the person and their records are kept and hidden; a hub administrator restores them."""

    serializer_class = PersonSerializer
    lookup_field = "pseudo_id"

    def get_serializer_class(self) -> type[PersonSerializer]:
        return PersonCreateSerializer if self.action == "create" else PersonSerializer

    filter_backends = [Ordering]
    ordering_fields = ["pseudo_id", "cadre", "sex", "grade", "created_at"]

    def get_queryset(self) -> QuerySet[Person]:
        qs = selectors.people_visible_to(self.request.user).select_related("personal").order_by("pk")
        partnership = self.request.query_params.get("partnership")
        if partnership:
            ids = set(
                selectors.stays_visible_to(self.request.user)
                .filter(partnership__slug=partnership)
                .values_list("person_id", flat=True)
            )
            ids |= set(Person.objects.filter(roles__partnership__slug=partnership).values_list("pk", flat=True))
            qs = qs.filter(pk__in=ids)
        return qs

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        user = self.request.user
        if not selectors.sees_all_personal_data(user):
            context["personal_ids"] = set(selectors.people_with_personal_access(user).values_list("pk", flat=True))
        return context

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None
        context = self.get_serializer_context()
        links = selectors.partnership_ids_by_person([p.pk for p in page])
        visible = dict(
            registry_selectors.partnerships_visible_to(request.user)
            .filter(pk__in={i for ids in links.values() for i in ids})
            .values_list("pk", "slug")
        )
        context["partnership_slugs"] = {pid: [visible[i] for i in ids if i in visible] for pid, ids in links.items()}
        return self.get_paginated_response(PersonSerializer(page, many=True, context=context).data)

    def can_create(self, user: Any) -> bool:
        return registry_selectors.coordinates_any(user)

    def can_edit(self, user: Any, obj: Person) -> bool:
        return selectors.can_edit_person(user, obj)

    def perform_destroy(self, instance: Person) -> None:
        call_service(services.people_soft_delete, by=self.request.user, people=[instance])


STAY_FILTERS = [
    OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug"),
    OpenApiParameter(
        "person", OpenApiTypes.STR, description="pseudonymous id (HL-…) or, if you may see it, external id"
    ),
    OpenApiParameter("mode", OpenApiTypes.STR, enum=["physical", "virtual"]),
    OpenApiParameter(
        "continuum_class", OpenApiTypes.STR, enum=["visit", "short_stay", "medium_stay", "long_term", "settlement"]
    ),
    OpenApiParameter("start_after", OpenApiTypes.DATE, description="stays starting on or after"),
    OpenApiParameter("end_before", OpenApiTypes.DATE, description="stays ending on or before"),
    OpenApiParameter("host_country", OpenApiTypes.STR, description="ISO 3166-1 alpha-3 of the host"),
]


@extend_schema_view(list=extend_schema(parameters=STAY_FILTERS))
class StayViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    base.GenericViewSet,
):
    serializer_class = StaySerializer
    filter_backends = [Ordering]
    ordering_fields = ["start_date", "end_date", "duration_days", "id"]

    def get_queryset(self) -> QuerySet[Stay]:
        params = self.request.query_params
        qs = selectors.stay_list(
            self.request.user,
            partnership=params.get("partnership", ""),
            person=params.get("person", ""),
            mode=params.get("mode", ""),
            continuum_class=params.get("continuum_class", ""),
            start_after=_date(params.get("start_after"), "start_after"),
            end_before=_date(params.get("end_before"), "end_before"),
            host_country=params.get("host_country", ""),
        )
        return qs.select_related("person", "partnership").prefetch_related("sessions").order_by("start_date", "pk")

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not selectors.sees_all_personal_data(self.request.user):
            context["personal_partnerships"] = selectors.personal_partnership_ids(self.request.user)
        return context

    @extend_schema(request=SessionSerializer(many=True), responses=StaySerializer)
    @action(detail=True, methods=["put"], parser_classes=[JSONParser])  # a list: JSON only
    def sessions(self, request: Any, pk: str | None = None) -> Response:
        """Replace the sessions of a virtual engagement; its dates and hours follow from them."""
        stay = self.get_object()
        rows = SessionSerializer(data=request.data, many=True)
        rows.is_valid(raise_exception=True)
        sessions = [(row["date"], row["hours"]) for row in rows.validated_data]
        stay = call_service(services.stay_sessions_set, by=request.user, stay=stay, sessions=sessions)
        return Response(StaySerializer(stay, context=self.get_serializer_context()).data)

    def can_create(self, user: Any) -> bool:
        return registry_selectors.coordinates_any(user)

    def can_edit(self, user: Any, obj: Stay) -> bool:
        return registry_selectors.can_edit_partnership(user, obj.partnership_id)

    def perform_destroy(self, instance: Stay) -> None:
        call_service(services.stays_delete, by=self.request.user, stays=[instance])


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("partnership", OpenApiTypes.STR, description="ties among people of this partnership"),
            OpenApiParameter("person", OpenApiTypes.STR, description="pseudonymous id"),
            OpenApiParameter(
                "include_inferred",
                OpenApiTypes.BOOL,
                description="with partnership: add ties inferred from overlapping physical stays at one host",
            ),
        ]
    )
)
class TieViewSet(base.ModelViewSet):
    """Recorded ties; with include_inferred, also co-presence ties computed from stays (never stored), after
    the recorded ones. Recorded by someone who may edit both people."""

    serializer_class = TieSerializer
    filter_backends = [Ordering]
    ordering_fields = ["start_date", "end_date", "kind", "id"]

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        params = request.query_params
        recorded = list(self.filter_queryset(self.get_queryset()))
        rows: list[Any] = list(TieSerializer(recorded, many=True).data)
        if params.get("include_inferred", "").lower() in {"1", "true", "yes"} and params.get("partnership"):
            stays = list(selectors.stays_visible_to(request.user).filter(partnership__slug=params["partnership"]))
            known = {frozenset((t.person_a_id, t.person_b_id)) for t in recorded}
            pseudo = dict(Person.objects.filter(pk__in={s.person_id for s in stays}).values_list("pk", "pseudo_id"))
            hosts = dict(
                Institution.objects.filter(pk__in={s.host_institution_id for s in stays}).values_list("pk", "name")
            )
            for tie in selectors.inferred_ties(stays):
                if frozenset((tie["person_a"], tie["person_b"])) in known:
                    continue  # already recorded: never listed twice
                rows.append(
                    {
                        "id": None,
                        "person_a": pseudo[tie["person_a"]],
                        "person_b": pseudo[tie["person_b"]],
                        "kind": "co_presence",
                        "start_date": tie["start_date"].isoformat(),
                        "end_date": None,
                        "source": f"inferred: {tie['days']} days together at {hosts[tie['host']]}",
                        "inferred": True,
                    }
                )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(page)

    def get_queryset(self) -> QuerySet[Tie]:
        qs = selectors.ties_visible_to(self.request.user).select_related("person_a", "person_b").order_by("pk")
        params = self.request.query_params
        if params.get("person"):
            qs = qs.filter(person_a__pseudo_id=params["person"]) | qs.filter(person_b__pseudo_id=params["person"])
        if params.get("partnership"):
            people = Person.objects.filter(roles__partnership__slug=params["partnership"]).values("pk")
            qs = qs.filter(person_a_id__in=people, person_b_id__in=people)
        return qs

    def can_create(self, user: Any) -> bool:
        return registry_selectors.coordinates_any(user)

    def can_edit(self, user: Any, obj: Tie) -> bool:
        return selectors.can_edit_tie(user, obj.person_a, obj.person_b)

    def perform_destroy(self, instance: Tie) -> None:
        call_service(services.tie_delete, by=self.request.user, tie=instance)


class PersonRoleSerializer(serializers.ModelSerializer):
    person: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="pseudo_id", read_only=True)
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = PersonRole
        fields = ["id", "person", "partnership", "role"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug"),
            OpenApiParameter("person", OpenApiTypes.STR, description="pseudonymous id"),
            OpenApiParameter(
                "role", OpenApiTypes.STR, enum=["volunteer", "counterpart", "coordinator", "trainee", "mentor"]
            ),  # fmt: skip
        ]
    )
)
class PersonRoleViewSet(base.ReadOnlyModelViewSet):
    """Who took part in which partnership and how (volunteer, counterpart, trainee…): people you may see, in
    partnerships you may see, by pseudonymous id."""

    serializer_class = PersonRoleSerializer
    filter_backends = [Ordering]
    ordering_fields = ["role", "id"]

    def get_queryset(self) -> QuerySet[PersonRole]:
        user = self.request.user
        qs = PersonRole.objects.filter(
            person__in=selectors.people_visible_to(user),
            partnership__in=registry_selectors.partnerships_visible_to(user),
        ).select_related("person", "partnership")
        params = self.request.query_params
        if params.get("partnership"):
            qs = qs.filter(partnership__slug=params["partnership"])
        if params.get("person"):
            qs = qs.filter(person__pseudo_id=params["person"])
        if params.get("role"):
            qs = qs.filter(role=params["role"])
        return qs.order_by("pk")
