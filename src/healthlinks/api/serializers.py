"""Serializers parse and present; writes go through the registry services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from healthlinks.reference.models import Country, DeliveryMethod, OrganisationType, Specialty
from healthlinks.registry import selectors, services
from healthlinks.registry.models import (
    FundingScheme,
    Institution,
    Partnership,
    PartnershipMember,
    PrinciplesAssessment,
)

T = TypeVar("T")


def call_service(func: Callable[..., T], **kwargs: Any) -> T:
    """Run a service, turning model validation errors into a 400 that names each field."""
    try:
        return func(**kwargs)
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc


class CountrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = [
            "iso3",
            "iso2",
            "numeric",
            "name",
            "who_region",
            "income_group",
            "income_fy",
            "ssl2023",
            "uk_code_status",
            "capital",
            "latitude",
            "longitude",
        ]


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FundingSchemeSerializer(CodeSerializer):
    funder = serializers.CharField(allow_blank=True)


class InstitutionSerializer(serializers.ModelSerializer):
    country = serializers.PrimaryKeyRelatedField(queryset=Country.objects.all(), help_text="ISO 3166-1 alpha-3")
    country_name = serializers.CharField(source="country.name", read_only=True)
    org_type = serializers.PrimaryKeyRelatedField(
        queryset=OrganisationType.objects.all(), required=False, allow_null=True, help_text="IATI OrganisationType code"
    )
    income_group = serializers.CharField(source="country.income_group", read_only=True)
    ssl2023 = serializers.BooleanField(source="country.ssl2023", read_only=True)
    uk_code_status = serializers.CharField(source="country.uk_code_status", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "country",
            "country_name",
            "kind",
            "org_type",
            "city",
            "latitude",
            "longitude",
            "ror_id",
            "iati_org_id",
            "scope",
            "income_group",
            "ssl2023",
            "uk_code_status",
            "is_synthetic",
            "needs_review",
        ]
        read_only_fields = ["is_synthetic"]
        # Uniqueness is checked by the model's full_clean in the service, with the same messages.
        extra_kwargs: dict[str, dict[str, Any]] = {"ror_id": {"validators": []}, "iati_org_id": {"validators": []}}

    def create(self, validated_data: dict[str, Any]) -> Institution:
        return call_service(services.institution_create, by=self.context["request"].user, **validated_data)

    def update(self, instance: Institution, validated_data: dict[str, Any]) -> Institution:
        return call_service(
            services.institution_update, by=self.context["request"].user, institution=instance, **validated_data
        )


class MemberSerializer(serializers.ModelSerializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all())
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    country = serializers.CharField(source="institution.country_id", read_only=True)

    class Meta:
        model = PartnershipMember
        fields = ["institution", "institution_name", "country", "role", "joined", "left"]


class AssessmentSerializer(serializers.ModelSerializer):
    side: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="the member institution whose answers these are; null: both sides"
    )

    class Meta:
        model = PrinciplesAssessment
        fields = ["assessed_on", "side", "scores", "notes"]


# Fields each access level may read (selectors.Access); higher levels see everything below them.
PUBLIC_FIELDS = {
    "slug",
    "name",
    "summary",
    "start_date",
    "end_date",
    "lifecycle",
    "duration_days",
    "publication",
    "members",
    "countries",
    "geography_class",
    "specialties",
    "delivery_methods",
    "funding_schemes",
    "capacity_focus",
    "intervention",
    "skills",
    "delivery",
    "visiting_groups",
    "host_entities",
    "frequency",
    "equal_influence",
    "edwards_mobility_resilient",
    "is_synthetic",
    "url",
}
RESEARCH_FIELDS = PUBLIC_FIELDS | {"grant_reference", "assessments", "needs_review"}
MEMBER_FIELDS = RESEARCH_FIELDS | {"contact_name", "contact_email", "internal_notes", "access"}


class PartnershipSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:partnership-detail", lookup_field="slug")
    members = MemberSerializer(many=True, min_length=2)  # type: ignore[call-arg]  # ListSerializer takes it
    specialties = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=Specialty.objects.all(), required=False
    )
    delivery_methods = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=DeliveryMethod.objects.all(), required=False
    )
    funding_schemes = serializers.SlugRelatedField(
        many=True, slug_field="slug", queryset=FundingScheme.objects.all(), required=False
    )
    countries = serializers.SerializerMethodField()
    lifecycle = serializers.SerializerMethodField()
    duration_days = serializers.SerializerMethodField()
    equal_influence = serializers.SerializerMethodField()
    edwards_mobility_resilient = serializers.BooleanField(read_only=True, allow_null=True)
    assessments = AssessmentSerializer(many=True, read_only=True)
    access = serializers.SerializerMethodField()
    # Present only for readers of the matching access level (selectors.Access); see to_representation.
    role_dependent_fields = MEMBER_FIELDS - PUBLIC_FIELDS

    class Meta:
        model = Partnership
        fields = [
            "url",
            "slug",
            "name",
            "summary",
            "start_date",
            "end_date",
            "lifecycle",
            "duration_days",
            "publication",
            "members",
            "countries",
            "geography_class",
            "specialties",
            "delivery_methods",
            "funding_schemes",
            "capacity_focus",
            "intervention",
            "skills",
            "delivery",
            "visiting_groups",
            "host_entities",
            "frequency",
            "equal_influence",
            "edwards_mobility_resilient",
            "grant_reference",
            "contact_name",
            "contact_email",
            "internal_notes",
            "assessments",
            "is_synthetic",
            "needs_review",
            "access",
        ]
        read_only_fields = ["geography_class", "is_synthetic"]
        extra_kwargs = {"slug": {"required": False, "validators": []}}

    def get_countries(self, obj: Partnership) -> list[str]:
        return [c.iso3 for c in selectors.partnership_countries(obj)]

    def get_lifecycle(self, obj: Partnership) -> str:
        return obj.lifecycle()

    def get_duration_days(self, obj: Partnership) -> int:
        return obj.duration_days()

    def get_equal_influence(self, obj: Partnership) -> bool | None:
        return selectors.equal_influence(obj)

    def get_access(self, obj: Partnership) -> str:
        return self._access(obj).name.lower()

    def _access(self, obj: Partnership) -> selectors.Access:
        request = self.context["request"]
        # The view puts the user's partnership roles in the context: one query per request.
        return selectors.partnership_access(request.user, obj, self.context.get("access_roles"))

    def to_representation(self, instance: Partnership) -> dict[str, Any]:
        data = super().to_representation(instance)
        access = self._access(instance)
        allowed = (
            MEMBER_FIELDS
            if access >= selectors.Access.MEMBER
            else RESEARCH_FIELDS
            if access >= selectors.Access.RESEARCH
            else PUBLIC_FIELDS
        )
        return {key: value for key, value in data.items() if key in allowed}

    def _members(self, rows: list[dict[str, Any]]) -> list[services.MemberSpec]:
        return [
            services.MemberSpec(
                institution=row["institution"],
                role=row.get("role", "partner"),
                joined=row.get("joined"),
                left=row.get("left"),
            )
            for row in rows
        ]

    def create(self, validated_data: dict[str, Any]) -> Partnership:
        members = self._members(validated_data.pop("members"))
        return call_service(
            services.partnership_create, by=self.context["request"].user, members=members, **validated_data
        )

    def update(self, instance: Partnership, validated_data: dict[str, Any]) -> Partnership:
        members = validated_data.pop("members", None)
        return call_service(
            services.partnership_update,
            by=self.context["request"].user,
            partnership=instance,
            members=self._members(members) if members is not None else None,
            **validated_data,
        )
