"""API of survey instruments and responses (read). Responses are scoped by evaluation.selectors: researchers get
no free-text answers and no person link."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from healthlinks.api import base
from healthlinks.api.filters import Ordering
from healthlinks.evaluation import selectors
from healthlinks.evaluation.models import Choice, Instrument, Question, Response


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["name", "path", "type", "label", "labels", "hint", "group_path", "repeat_path", "relevant",
                  "constraint", "required", "list_name", "order"]  # fmt: skip


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["list_name", "name", "label", "labels", "order"]


class InstrumentSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Instrument
        fields = ["slug", "title", "version", "form_id", "description", "questions", "choices", "created_at"]


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="the question's path in the instrument")
    repeat_index = serializers.IntegerField(help_text="repeat instance (1-based; 0 outside repeats)")
    value = serializers.CharField(allow_blank=True)


class ResponseSerializer(serializers.ModelSerializer):
    instrument: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    person = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField()

    class Meta:
        model = Response
        fields = ["id", "instrument", "uuid", "submitted_at", "source", "partnership", "institution", "person",
                  "answers", "is_synthetic"]  # fmt: skip

    def get_person(self, obj: Response) -> str | None:
        if not self.context.get("free_text") or obj.person is None:
            return None
        return obj.person.pseudo_id

    @extend_schema_field(AnswerSerializer(many=True))
    def get_answers(self, obj: Response) -> list[dict[str, Any]]:
        return [
            {"question": a.question.path, "repeat_index": a.repeat_index, "value": a.value}
            for a in obj.visible_answers  # type: ignore[attr-defined]
        ]


class InstrumentViewSet(base.ReadOnlyModelViewSet):
    serializer_class = InstrumentSerializer
    lookup_field = "slug"
    filter_backends = [Ordering]
    ordering_fields = ["slug", "title", "created_at"]

    def get_queryset(self) -> QuerySet[Instrument]:
        return selectors.instruments_visible_to(self.request.user).prefetch_related("questions", "choices")


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("instrument", OpenApiTypes.STR, description="instrument slug"),
            OpenApiParameter("partnership", OpenApiTypes.STR, description="partnership slug"),
        ]
    )
)
class ResponseViewSet(base.ReadOnlyModelViewSet):
    serializer_class = ResponseSerializer
    filter_backends = [Ordering]
    ordering_fields = ["submitted_at", "id"]

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["free_text"] = selectors.sees_free_text(self.request.user)
        return context

    def get_queryset(self) -> QuerySet[Response]:
        user = self.request.user
        qs = selectors.responses_visible_to(user).select_related("instrument", "partnership", "person")
        params = self.request.query_params
        if params.get("instrument"):
            qs = qs.filter(instrument__slug=params["instrument"])
        if params.get("partnership"):
            qs = qs.filter(partnership__slug=params["partnership"])
        answers = selectors.answers_visible_to(user, Response.objects.all()).select_related("question")
        return qs.prefetch_related(
            Prefetch(
                "answers", queryset=answers.order_by("question__order", "repeat_index", "pk"), to_attr="visible_answers"
            )
        ).order_by("-submitted_at", "pk")
