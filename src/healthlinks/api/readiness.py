"""API of deployment readiness (issue 26): the hub's checklist items (hub administrators write them), each stay's
checklist (read by the members and coordinators of its partnership and hub administrators, recorded by its
coordinators and hub administrators), and the overview across partnerships with the stays starting soon that
still miss items. Every write goes through readiness.services; who may read or write is readiness.selectors'."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from healthlinks.api import base
from healthlinks.api.filters import Ordering
from healthlinks.api.serializers import call_service
from healthlinks.network.models import Stay
from healthlinks.network.selectors import stays_visible_to
from healthlinks.readiness import selectors, services
from healthlinks.readiness.models import ReadinessCheck, ReadinessItem
from healthlinks.registry.models import Partnership

STATUSES = [selectors.Status.DONE, selectors.Status.NO_EVIDENCE, selectors.Status.MISSING, selectors.Status.NOT_DUE]


class ReadinessItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReadinessItem
        fields = ["id", "name", "description", "evidence_needed", "kind", "position", "active"]

    def create(self, validated_data: dict[str, Any]) -> ReadinessItem:
        return call_service(services.item_save, by=self.context["request"].user, **validated_data)

    def update(self, instance: ReadinessItem, validated_data: dict[str, Any]) -> ReadinessItem:
        return call_service(services.item_save, by=self.context["request"].user, item=instance, **validated_data)


class ReadinessItemViewSet(base.ModelViewSet):
    """The hub's checklist, to signed-in users; hub administrators add, change and delete its items. An item
    already recorded for a stay cannot be deleted (400): take it out of use (`active` false) instead."""

    serializer_class = ReadinessItemSerializer
    filter_backends = [Ordering]
    ordering_fields = ["position", "name", "id"]

    def get_queryset(self) -> QuerySet[ReadinessItem]:
        if not self.request.user.is_authenticated:
            return ReadinessItem.objects.none()
        return selectors.all_items()

    def can_create(self, user: Any) -> bool:
        return selectors.can_configure(user)

    def can_edit(self, user: Any, obj: ReadinessItem) -> bool:
        return selectors.can_configure(user)

    def perform_destroy(self, instance: ReadinessItem) -> None:
        call_service(services.item_delete, by=self.request.user, item=instance)


class CheckSerializer(serializers.Serializer):
    """One active item of a stay's checklist with how far it is done. The view puts the stay's checks in the
    context (`checks`: item id -> check)."""

    item = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    evidence_needed = serializers.BooleanField(read_only=True)
    status = serializers.ChoiceField(
        choices=STATUSES,
        read_only=True,
        help_text=(
            "done; no_evidence: a done date but no evidence; missing; not_due: not done and not due yet "
            "(on arrival, or on return, for a stay not begun or not ended)"
        ),
    )
    done_on = serializers.DateField(allow_null=True, help_text="when the item was done; null: not done")
    note = serializers.CharField(
        allow_blank=True, required=False, max_length=2000, help_text="evidence note: a reference, a policy number"
    )
    evidence_file = serializers.CharField(
        read_only=True, allow_null=True, help_text="where the evidence file kept is downloaded (the page's link)"
    )
    clear_evidence = serializers.BooleanField(
        write_only=True, required=False, default=False, help_text="remove the evidence file kept"
    )
    checked_by = serializers.CharField(read_only=True, allow_null=True, help_text="who recorded the done date")

    def to_representation(self, instance: ReadinessItem) -> dict[str, Any]:
        check: ReadinessCheck | None = self.context.get("checks", {}).get(instance.pk)
        return {
            "item": instance.pk,
            "name": instance.name,
            "kind": instance.kind,
            "evidence_needed": instance.evidence_needed,
            "status": selectors.status_of(
                instance, check, due=selectors.is_due(instance, self.context["stay"], date.today())
            )
            if "stay" in self.context
            else selectors.status_of(instance, check),
            "done_on": check.done_on.isoformat() if check and check.done_on else None,
            "note": check.note if check else "",
            "evidence_file": reverse("readiness-evidence", args=[check.pk]) if check and check.evidence else None,
            "checked_by": check.checked_by.get_username() if check and check.checked_by else None,
        }

    def update(self, instance: ReadinessItem, validated_data: dict[str, Any]) -> ReadinessItem:
        check: ReadinessCheck | None = self.context.get("checks", {}).get(instance.pk)
        kept = {"done_on": check.done_on, "note": check.note} if check and self.partial else {"note": ""}
        values = kept | validated_data
        call_service(
            services.check_save,
            by=self.context["request"].user,
            stay=self.context["stay"],
            item=instance,
            done_on=values.get("done_on"),
            note=values.get("note", ""),
            clear_evidence=values.get("clear_evidence", False),
        )
        return instance


@extend_schema(
    parameters=[OpenApiParameter("stay_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="the stay")]
)
class StayReadinessViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, base.GenericViewSet
):
    """A stay's checklist: every item in use, in the checklist's order, with its status. Read by the members and
    coordinators of the stay's partnership and hub administrators (others: 404); a check is recorded (PUT, or
    PATCH for some of its fields) by the partnership's coordinators and hub administrators. Readiness blocks
    nothing: the stay itself is never changed. Evidence files are uploaded on the stay's readiness page."""

    serializer_class = CheckSerializer
    lookup_url_kwarg = "item"
    _stay: Stay | None = None

    def stay(self) -> Stay:
        if self._stay is None:
            stay = stays_visible_to(self.request.user).filter(pk=int(self.kwargs["stay_pk"])).first()
            if stay is None or not selectors.can_read(self.request.user, stay):
                raise Http404
            self._stay = stay
        return self._stay

    def get_queryset(self) -> QuerySet[ReadinessItem]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no stay
            return ReadinessItem.objects.none()
        self.stay()
        return selectors.active_items()

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            stay = self.stay()
            context["stay"] = stay
            context["checks"] = {
                c.item_id: c for c in ReadinessCheck.objects.filter(stay=stay).select_related("checked_by")
            }
        return context

    def can_edit(self, user: Any, obj: ReadinessItem) -> bool:
        return selectors.can_edit(user, self.stay())


class StartingSoonSerializer(serializers.Serializer):
    stay = serializers.IntegerField()
    partnership = serializers.CharField(help_text="slug")
    person = serializers.CharField(help_text="pseudonymous id")
    host_institution = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    missing = serializers.ListField(child=serializers.IntegerField(), help_text="ids of the items still missing")


class OverviewRowSerializer(serializers.Serializer):
    partnership = serializers.CharField(help_text="slug")
    name = serializers.CharField()
    stays = serializers.IntegerField(help_text="physical stays not yet ended")
    ready = serializers.IntegerField(help_text="of them, with every item done")
    missing = serializers.ListField(
        child=serializers.IntegerField(), help_text="for each item (in `items` order), how many stays miss it"
    )


class OverviewSerializer(serializers.Serializer):
    items = ReadinessItemSerializer(many=True)
    partnerships = OverviewRowSerializer(many=True)
    totals = serializers.ListField(child=serializers.IntegerField(), help_text="stays missing each item")
    stays = serializers.IntegerField()
    ready = serializers.IntegerField()
    soon_days = serializers.IntegerField()
    starting_soon = StartingSoonSerializer(many=True)


class ReadinessOverviewViewSet(base.ViewSet):
    """Readiness across the partnerships whose checklists the user may read (hub administrators: all; others:
    those they are a member or coordinator of; anyone else: none): current and coming physical stays, how many are
    ready, how many miss each item; and the physical stays starting from today to `soon_days` days ahead that
    still miss items, soonest first."""

    @extend_schema(
        parameters=[OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug")],
        responses={200: OpenApiTypes.OBJECT},  # one object (OverviewSerializer), as the analyses' tables
    )
    def list(self, request: Request) -> Response:
        readable = selectors.readable_partnership_ids(request.user)
        slug = request.query_params.get("partnership")
        ids: set[int] | None = readable
        if slug:
            chosen = Partnership.objects.filter(slug=slug, deleted_at__isnull=True).values_list("pk", flat=True)
            ids = {pk for pk in chosen if readable is None or pk in readable}
        today = date.today()
        data = selectors.overview(ids, today=today)
        soon_ids = (
            ids if ids is not None else Partnership.objects.filter(deleted_at__isnull=True).values_list("pk", flat=True)
        )
        soon = selectors.starting_soon_with_missing(soon_ids, today=today)
        body = {
            "items": ReadinessItemSerializer(data["items"], many=True).data,
            "partnerships": [
                {
                    "partnership": row["slug"],
                    "name": row["name"],
                    "stays": row["stays"],
                    "ready": row["ready"],
                    "missing": row["missing"],
                }
                for row in data["rows"]
            ],
            "totals": data["totals"],
            "stays": data["stays"],
            "ready": data["ready"],
            "soon_days": selectors.SOON_DAYS,
            "starting_soon": [
                {
                    "stay": stay.pk,
                    "partnership": stay.partnership.slug,
                    "person": stay.person.pseudo_id,
                    "host_institution": stay.host_institution_id,
                    "start_date": stay.start_date,
                    "end_date": stay.end_date,
                    "missing": [item.pk for item in missing],
                }
                for stay, missing in soon
            ],
        }
        return Response(OverviewSerializer(body).data)
