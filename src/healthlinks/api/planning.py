"""API of the strategy planner: a partnership's plans with their lines (kinds of stay), read by the partnership's
members, coordinators and hub admins and written by its coordinators and hub admins through planning.services;
and each plan's expected figures with their 90% intervals, alone (`{id}/simulate/`) or compared with others
(`compare/?plans=1,2,3`), simulated as on the plans page (planning/simulate.py). The same `seed` on the same data
gives the same figures."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import planner_evidence
from healthlinks.api import base
from healthlinks.api.filters import Ordering, int_param
from healthlinks.api.serializers import call_service
from healthlinks.network.models import STAY_CONDITIONS
from healthlinks.planning import selectors, services
from healthlinks.planning.models import MAX_LINES, Plan, PlanLine
from healthlinks.planning.simulate import simulate
from healthlinks.records import RowInvalid
from healthlinks.reference.models import Occupation
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership

SEED = 2026  # the plans page's seed: by default the API gives the page's figures
MAX_SEED = 2**32 - 1
COMPARED = 6  # plans in one comparison at most
LINE_FIELDS = [
    "mode",
    "per_year",
    "days",
    "volunteers",
    "cadre",
    "training_of_trainers",
    "cost_per_stay",
    "day_rate",
    *STAY_CONDITIONS,  # the enabling conditions the line assumes: true, false, or null as in past stays
]
SEED_PARAMETER = OpenApiParameter(
    "seed",
    {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
    description=f"seed of the simulation (default {SEED}, the page's): the same seed on the same data gives the "
    "same figures",
)
PLANS_PATTERN = rf"^[0-9]{{1,18}}(,[0-9]{{1,18}}){{0,{COMPARED - 1}}}$"


class PlanLineSerializer(serializers.ModelSerializer):
    cadre = serializers.PrimaryKeyRelatedField(
        queryset=Occupation.objects.all(), required=False, allow_null=True, help_text="ISCO-08 code"
    )

    class Meta:
        model = PlanLine
        fields = LINE_FIELDS


class PlanSerializer(serializers.ModelSerializer):
    partnership = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Partnership.objects.filter(deleted_at__isnull=True),
        error_messages={"does_not_exist": "no such partnership"},
    )
    lines = PlanLineSerializer(many=True, min_length=1, max_length=MAX_LINES)  # type: ignore[call-arg]

    class Meta:
        model = Plan
        fields = ["id", "partnership", "name", "years", "budget", "notes", "lines", "created_at"]
        read_only_fields = ["created_at"]
        validators: list[Any] = []  # a name taken in the partnership is named in validate()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        partnership = attrs.get("partnership") or getattr(self.instance, "partnership", None)
        if partnership is not None and not registry_selectors.can_edit_partnership(user, partnership.pk):
            raise DRFValidationError({"partnership": "you do not coordinate this partnership"})
        name = attrs.get("name", getattr(self.instance, "name", None))
        if partnership is not None and name:
            taken = Plan.objects.filter(partnership=partnership, name=name.strip())
            if self.instance is not None:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                raise DRFValidationError({"name": "the partnership already has a plan of this name"})
        return attrs

    def _save(self, plan: Plan | None, data: dict[str, Any]) -> Plan:
        fields: dict[str, Any] = {
            name: data.get(name, getattr(plan, name, default))
            for name, default in (("partnership", None), ("name", ""), ("years", 1), ("budget", None), ("notes", ""))
        }
        if "lines" in data:
            lines = [dict(line) for line in data["lines"]]
        else:  # PATCH without lines keeps them
            lines = [{f: getattr(line, f) for f in LINE_FIELDS} for line in plan.lines.all()] if plan else []
        try:
            return call_service(services.plan_save, by=self.context["request"].user, plan=plan, lines=lines, **fields)
        except DRFValidationError as error:
            cause = error.__cause__
            if isinstance(cause, RowInvalid):  # the line at its index, its fields named (as DRF names a line)
                raise DRFValidationError({"lines": {str(cause.index): cause.message_dict}}) from None
            raise

    def create(self, validated_data: dict[str, Any]) -> Plan:
        return self._save(None, validated_data)

    def update(self, instance: Plan, validated_data: dict[str, Any]) -> Plan:
        return self._save(instance, validated_data)


class IntervalSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True, help_text="5th percentile")
    high = serializers.FloatField(allow_null=True, help_text="95th percentile")


class FiguresSerializer(serializers.Serializer):
    plan = serializers.IntegerField(help_text="the plan's id")
    name = serializers.CharField()
    years = serializers.IntegerField()
    stays = serializers.IntegerField(help_text="stays or sessions planned")
    reached = IntervalSerializer(help_text="health workers reached")
    practice_change = IntervalSerializer(help_text="of them, how many change practice")
    rate = IntervalSerializer(allow_null=True, help_text="share of those reached who change practice")
    trainers = IntervalSerializer(help_text="of those reached, how many go on to train others")
    volunteer_days = serializers.IntegerField()
    financial_cost = serializers.FloatField(help_text="travel and subsistence (reporting currency)")
    economic_cost = serializers.FloatField(help_text="financial cost and the value of volunteer days")
    cost_per_practice_change = IntervalSerializer(allow_null=True, help_text="null when nothing is spent")
    budget = serializers.FloatField(allow_null=True)
    over_budget = serializers.BooleanField()
    expected_rate = IntervalSerializer(help_text="expected share of those reached who change practice")
    condition_gain = IntervalSerializer(
        required=False,
        help_text="a plan stating conditions: its expected share against itself with conditions as in past stays",
    )
    condition_gain_clear = serializers.BooleanField(required=False, help_text="the 95% interval excludes none")
    rate_difference = IntervalSerializer(required=False, help_text="against the first plan (not on the first)")
    change_difference = IntervalSerializer(required=False, help_text="against the first plan (not on the first)")
    clear_difference = serializers.BooleanField(
        required=False, help_text="the 95% interval of the difference in expected share excludes none"
    )


class SimulationSerializer(serializers.Serializer):
    plans = FiguresSerializer(many=True, help_text="in the order asked; the first is the reference")
    seed = serializers.IntegerField()
    draws = serializers.IntegerField()
    model = serializers.DictField(help_text="observations (n) and partnerships behind each fitted model")
    reach_partnerships = serializers.IntegerField()
    modelled = serializers.BooleanField(help_text="false: too few records to fit the models")
    conditions = serializers.DictField(
        help_text="the conditions model: observations, those with an unknown condition, partnerships, and the "
        "conditions it could estimate (`estimated`) or not (`unestimated`: they change nothing)"
    )


class NoSuchPlanSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="no such plan: the first id asked that you may not read")


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: an interval over no draws is null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, Decimal):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _simulated(request: Request, plans: list[Plan]) -> Response:
    seed = int_param(request, "seed")
    seed = SEED if seed is None else seed
    if seed > MAX_SEED:
        raise DRFValidationError({"seed": f"{seed} is more than {MAX_SEED}"})
    evidence = planner_evidence(request.user, Scope())
    result = simulate(evidence, selectors.plan_inputs(plans), seed=seed)
    for plan, figures in zip(plans, result["plans"], strict=True):
        figures["plan"] = plan.pk
    return Response(SimulationSerializer(_finite(result)).data)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug")])
)
class PlanViewSet(base.ModelViewSet):
    """Plans of the partnerships you are a member or coordinator of (hub admins: all), each with its lines (one to
    six kinds of stay). Written by the partnership's coordinators and hub admins; a PUT or a PATCH with `lines`
    replaces every line, a PATCH without keeps them."""

    serializer_class = PlanSerializer
    filter_backends = [Ordering]
    ordering_fields = ["name", "created_at", "id"]

    def get_queryset(self) -> QuerySet[Plan]:
        qs = selectors.plans_readable_by(self.request.user).select_related("partnership")
        if self.request.query_params.get("partnership") and self.action == "list":
            qs = qs.filter(partnership__slug=self.request.query_params["partnership"])
        return qs.order_by("partnership__name", "name", "pk")

    def can_create(self, user: Any) -> bool:
        return registry_selectors.coordinates_any(user)

    def can_edit(self, user: Any, obj: Plan) -> bool:
        return registry_selectors.can_edit_partnership(user, obj.partnership_id)

    def perform_destroy(self, instance: Plan) -> None:
        call_service(services.plan_delete, by=self.request.user, plan=instance)

    @extend_schema(parameters=[SEED_PARAMETER], responses=SimulationSerializer)
    @action(detail=True, methods=["get"])
    def simulate(self, request: Request, pk: str | None = None) -> Response:
        """The plan's expected figures, each with its 90% interval (planning/simulate.py)."""
        return _simulated(request, [self.get_object()])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "plans",
                {"type": "string", "pattern": PLANS_PATTERN},
                required=True,
                description=f"ids of up to {COMPARED} plans you may read, comma-separated; the first is the reference",
            ),
            SEED_PARAMETER,
        ],
        responses={
            200: SimulationSerializer,
            404: OpenApiResponse(NoSuchPlanSerializer, description="a plan asked for is not one you may read"),
        },
    )
    @action(detail=False, methods=["get"])
    def compare(self, request: Request) -> Response:
        """Plans side by side, simulated on the same draws of the models, each after the first with its difference
        from the first."""
        raw = request.query_params.get("plans", "")
        if not raw:
            raise DRFValidationError({"plans": "give the ids of the plans to compare, comma-separated"})
        try:
            wanted = list(dict.fromkeys(int(part) for part in raw.split(",")))
        except ValueError:
            raise DRFValidationError({"plans": f"{raw!r} is not a list of plan ids (1,2,3)"}) from None
        if len(wanted) > COMPARED:
            raise DRFValidationError({"plans": f"at most {COMPARED} plans at once"})
        found = {p.pk: p for p in selectors.plans_readable_by(request.user).filter(pk__in=wanted)}
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            raise NotFound(f"no such plan: {missing[0]}")  # as the plan's own address would answer
        return _simulated(request, [found[pk] for pk in wanted])
