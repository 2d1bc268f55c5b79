"""API of results and costs: results frameworks, cash costs, in-kind contributions, and the currency and
day-rate tables that value them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.exceptions import ValidationError as DRFValidationError

from healthlinks.activities.models import Activity
from healthlinks.api import base
from healthlinks.api.filters import YEAR, Ordering, int_param
from healthlinks.api.serializers import call_service
from healthlinks.api.tables import RENDERERS
from healthlinks.network.selectors import personal_partnership_ids
from healthlinks.registry.models import Partnership, Publication
from healthlinks.registry.selectors import (
    AnyUser,
    can_edit_partnership,
    coordinates_any,
    is_hub_admin,
    partnerships_visible_to,
)
from healthlinks.results import services
from healthlinks.results.library import LIBRARY
from healthlinks.results.models import (
    CashCost,
    CurrencyRate,
    DayRate,
    Indicator,
    IndicatorPeriod,
    InKindContribution,
    Result,
)

PARTNERSHIP = OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug")


def cost_partnerships(user: AnyUser) -> QuerySet[Partnership] | None:
    """Partnerships whose itemised costs the user may read (None: all): hub admins, the partnership's members and
    coordinators, and researchers for partnerships that are not drafts. Totals are public (partnership summary)."""
    if is_hub_admin(user):
        return None
    if getattr(user, "role", None) == "researcher":
        return partnerships_visible_to(user).exclude(publication=Publication.DRAFT)
    return partnerships_visible_to(user).filter(pk__in=personal_partnership_ids(user))


class _CostScoped(base.ModelViewSet):
    """Costs of partnerships the user may read them for; the partnership's coordinators (and hub admins) record,
    change and delete them through the results services."""

    renderer_classes = RENDERERS  # JSON, or one CSV table with ?format=csv

    filter_backends = [Ordering]
    model: Any = None

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator only asks which model
            return self.model.objects.none()
        qs = self.model.objects.select_related("partnership")
        allowed = cost_partnerships(self.request.user)
        if allowed is not None:
            qs = qs.filter(partnership__in=allowed)
        if self.request.query_params.get("partnership"):
            qs = qs.filter(partnership__slug=self.request.query_params["partnership"])
        return qs.order_by("pk")

    def can_create(self, user: Any) -> bool:
        return coordinates_any(user)

    def can_edit(self, user: Any, obj: Any) -> bool:
        return can_edit_partnership(user, obj.partnership_id)

    def perform_destroy(self, instance: Any) -> None:
        call_service(services.cost_delete, by=self.request.user, record=instance)


class _CostSerializer(serializers.ModelSerializer):
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", queryset=Partnership.objects.filter(deleted_at__isnull=True)
    )
    currency = serializers.CharField(max_length=3, help_text="ISO 4217 code, e.g. GBP (any case)")

    def validate_currency(self, value: str) -> str:
        return value.strip().upper()  # checked against ISO 4217's form by the service

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        partnership = attrs.get("partnership") or getattr(self.instance, "partnership", None)
        if partnership is not None and not can_edit_partnership(user, partnership.pk):
            raise DRFValidationError({"partnership": "you do not coordinate this partnership"})
        return attrs


class CashCostSerializer(_CostSerializer):
    """Cash spent, in the currency it was spent in; optionally charged to one of the partnership's activities."""

    activity: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        queryset=Activity.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = CashCost
        fields = ["id", "external_id", "partnership", "activity", "category", "amount", "currency", "spent_on",
                  "description"]  # fmt: skip
        extra_kwargs: dict[str, dict[str, Any]] = {"external_id": {"validators": [], "allow_null": True}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        ext = attrs.get("external_id")
        if ext:
            holders = CashCost.objects.filter(external_id=ext)
            if self.instance is not None:
                holders = holders.exclude(pk=self.instance.pk)
            holder = holders.first()
            if holder is not None:
                raise DRFValidationError({"external_id": "another cost has this external id"})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> CashCost:
        return call_service(services.cost_save, by=self.context["request"].user, **validated_data)

    def update(self, instance: CashCost, validated_data: dict[str, Any]) -> CashCost:
        return call_service(services.cost_save, by=self.context["request"].user, cost=instance, **validated_data)


@extend_schema_view(list=extend_schema(parameters=[PARTNERSHIP]))
class CashCostViewSet(_CostScoped):
    """Cash costs, for hub admins, the partnership's members and researchers (totals are public in the
    partnership summary)."""

    model = CashCost
    serializer_class = CashCostSerializer
    ordering_fields = ["id", "spent_on", "amount", "category"]


class InKindSerializer(_CostSerializer):
    class Meta:
        model = InKindContribution
        fields = ["id", "partnership", "kind", "value", "currency", "received_on", "valuation_method", "description"]

    def create(self, validated_data: dict[str, Any]) -> InKindContribution:
        return call_service(services.in_kind_save, by=self.context["request"].user, **validated_data)

    def update(self, instance: InKindContribution, validated_data: dict[str, Any]) -> InKindContribution:
        return call_service(services.in_kind_save, by=self.context["request"].user, gift=instance, **validated_data)


@extend_schema_view(list=extend_schema(parameters=[PARTNERSHIP]))
class InKindViewSet(_CostScoped):
    """In-kind contributions other than volunteer time (donated equipment…), read as cash costs are."""

    model = InKindContribution
    serializer_class = InKindSerializer
    ordering_fields = ["id", "received_on", "value", "kind"]


class CurrencyRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CurrencyRate
        fields = ["id", "currency", "year", "rate", "source"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("currency", OpenApiTypes.STR, description="ISO 4217"),
            OpenApiParameter("year", YEAR),
        ]
    )
)
class CurrencyRateViewSet(base.ReadOnlyModelViewSet):
    """Units of the reporting currency per unit of a currency, by year (public, as the rates page)."""

    renderer_classes = RENDERERS  # JSON, or one CSV table with ?format=csv

    serializer_class = CurrencyRateSerializer
    filter_backends = [Ordering]
    ordering_fields = ["currency", "year", "id"]

    def get_queryset(self) -> QuerySet[CurrencyRate]:
        qs = CurrencyRate.objects.order_by("currency", "year", "pk")
        params = self.request.query_params
        if params.get("currency"):
            qs = qs.filter(currency=params["currency"].upper())
        if (year := int_param(self.request, "year")) is not None:
            qs = qs.filter(year=year)
        return qs


class DayRateSerializer(serializers.ModelSerializer):
    cadre: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="ISCO-08 code, when the rate is by cadre"
    )

    class Meta:
        model = DayRate
        fields = ["id", "grade", "cadre", "year", "currency", "day_rate", "method", "source"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("grade", OpenApiTypes.STR),
            OpenApiParameter("cadre", OpenApiTypes.STR, description="ISCO-08 code"),
            OpenApiParameter("year", YEAR),
        ]
    )
)
class DayRateViewSet(base.ReadOnlyModelViewSet):
    """What a volunteer's day is worth, by grade or cadre and year (public, as the rates page)."""

    renderer_classes = RENDERERS  # JSON, or one CSV table with ?format=csv

    serializer_class = DayRateSerializer
    filter_backends = [Ordering]
    ordering_fields = ["grade", "cadre", "year", "id"]

    def get_queryset(self) -> QuerySet[DayRate]:
        qs = DayRate.objects.order_by("grade", "cadre", "year", "pk")
        params = self.request.query_params
        if params.get("grade"):
            qs = qs.filter(grade=params["grade"])
        if params.get("cadre"):
            qs = qs.filter(cadre_id=params["cadre"])
        if (year := int_param(self.request, "year")) is not None:
            qs = qs.filter(year=year)
        return qs


def _number(value: Any) -> str | None:
    return None if value is None else str(value)


class DisaggregationSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=["sex", "cadre"])
    category = serializers.CharField()
    target = serializers.CharField(allow_null=True, help_text="decimal")
    actual = serializers.CharField(allow_null=True, help_text="decimal; computed for library indicators")


class PeriodSerializer(serializers.ModelSerializer):
    """A period with its figures: computed from the records for library indicators, else as typed."""

    actual = serializers.CharField(allow_null=True, help_text="decimal")
    numerator = serializers.CharField(allow_null=True, help_text="decimal")
    denominator = serializers.CharField(allow_null=True, help_text="decimal")
    computed = serializers.BooleanField()
    disaggregations = DisaggregationSerializer(many=True)

    class Meta:
        model = IndicatorPeriod
        fields = ["start", "end", "target", "actual", "numerator", "denominator", "comment", "computed",
                  "disaggregations"]  # fmt: skip


class IndicatorSerializer(serializers.ModelSerializer):
    periods = serializers.SerializerMethodField()
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(
        source="result.partnership", slug_field="slug", read_only=True
    )
    result: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Indicator
        fields = ["id", "partnership", "result", "library_code", "title", "measure", "unit", "baseline",
                  "baseline_year", "disaggregate_by_sex_and_cadre", "periods"]  # fmt: skip

    @extend_schema_field(PeriodSerializer(many=True))
    def get_periods(self, obj: Indicator) -> list[dict[str, Any]]:
        from healthlinks.results.selectors import period_actual

        out = []
        for period in obj.periods.all():
            figures = period_actual(obj.result.partnership, period)
            row: dict[str, Any] = {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "target": _number(period.target),
                "comment": period.comment,
            }
            row.update({k: _number(figures[k]) for k in ("actual", "numerator", "denominator")})
            row["computed"] = figures["computed"]
            row["disaggregations"] = [
                {
                    "dimension": d["dimension"],
                    "category": d["category"],
                    "target": _number(d["target"]),
                    "actual": _number(d["actual"]),
                }
                for d in figures["disaggregations"]
            ]
            out.append(row)
        return out


class TargetSerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=["sex", "cadre"])
    category = serializers.CharField(max_length=40, help_text="female, male… or an ISCO-08 code")
    target = serializers.DecimalField(max_digits=14, decimal_places=2)


class IndicatorCreateSerializer(serializers.Serializer):
    """An indicator with its first period, under a result of the partnership (created if it has none of that level
    and title): a library indicator (`library_code`, e.g. TRN-01, whose actuals are computed from the records) or
    the partnership's own (`title`, with typed actuals or numerator and denominator)."""

    partnership = serializers.SlugRelatedField(
        slug_field="slug", queryset=Partnership.objects.filter(deleted_at__isnull=True)
    )
    result_level = serializers.ChoiceField(choices=[1, 2, 3], help_text="1 output, 2 outcome, 3 impact (IATI)")
    result_title = serializers.CharField(max_length=200)
    library_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    measure = serializers.ChoiceField(
        choices=[1, 2, 5], required=False, help_text="1 unit, 2 percentage, 5 qualitative"
    )
    start = serializers.DateField()
    end = serializers.DateField()
    baseline = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    target = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    numerator = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    denominator = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    targets = TargetSerializer(many=True, required=False, help_text="targets by sex or cadre")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not can_edit_partnership(self.context["request"].user, attrs["partnership"].pk):
            raise DRFValidationError({"partnership": "you do not coordinate this partnership"})
        if attrs.get("library_code") and attrs["library_code"] not in LIBRARY:
            raise DRFValidationError({"library_code": "not an indicator of the shared library (e.g. TRN-01)"})
        if not attrs.get("library_code") and not attrs.get("title"):
            raise DRFValidationError({"title": "give a library_code or your own indicator's title"})
        if attrs["end"] < attrs["start"]:
            raise DRFValidationError({"end": "the period ends before it starts"})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Indicator:
        targets = {(t["dimension"], t["category"]): t["target"] for t in validated_data.pop("targets", [])}
        period = call_service(
            services.indicator_add, by=self.context["request"].user, targets_by=targets, **validated_data
        )
        return period.indicator

    def to_representation(self, instance: Indicator) -> dict[str, Any]:
        return dict(IndicatorSerializer(instance, context=self.context).data)


class ResultSerializer(serializers.ModelSerializer):
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = Result
        fields = ["id", "partnership", "level", "title", "description", "indicators"]


@extend_schema_view(list=extend_schema(parameters=[PARTNERSHIP]))
class ResultViewSet(base.ReadOnlyModelViewSet):
    """Results → indicators → periods; library indicators' actuals are computed from the records."""

    renderer_classes = RENDERERS  # JSON, or one CSV table with ?format=csv

    filter_backends = [Ordering]
    ordering_fields = ["id", "level", "title"]
    serializer_class = ResultSerializer

    def get_queryset(self) -> QuerySet[Result]:
        qs = (
            Result.objects.filter(partnership__in=partnerships_visible_to(self.request.user))
            .select_related("partnership")
            .prefetch_related("indicators__periods__disaggregations")
            .order_by("pk")
        )
        if self.request.query_params.get("partnership"):
            qs = qs.filter(partnership__slug=self.request.query_params["partnership"])
        return qs


@extend_schema_view(
    list=extend_schema(parameters=[PARTNERSHIP]),
    create=extend_schema(request=IndicatorCreateSerializer, responses={201: IndicatorSerializer}),
)
class IndicatorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    base.GenericViewSet,
):
    """Indicators of the results frameworks you may see, with their periods; the partnership's coordinators (and
    hub admins) add them (with the first period and its targets) and delete them."""

    renderer_classes = RENDERERS  # JSON, or one CSV table with ?format=csv

    filter_backends = [Ordering]
    ordering_fields = ["id", "library_code", "title"]

    def get_serializer_class(self) -> Any:
        return IndicatorCreateSerializer if self.action == "create" else IndicatorSerializer

    def get_queryset(self) -> QuerySet[Indicator]:
        qs = (
            Indicator.objects.filter(result__partnership__in=partnerships_visible_to(self.request.user))
            .select_related("result__partnership")
            .prefetch_related("periods__disaggregations")
            .order_by("pk")
        )
        if self.request.query_params.get("partnership"):
            qs = qs.filter(result__partnership__slug=self.request.query_params["partnership"])
        return qs

    def can_create(self, user: Any) -> bool:
        return coordinates_any(user)

    def can_edit(self, user: Any, obj: Indicator) -> bool:
        return can_edit_partnership(user, obj.result.partnership_id)

    def perform_destroy(self, instance: Indicator) -> None:
        call_service(services.indicator_delete, by=self.request.user, indicator=instance)
