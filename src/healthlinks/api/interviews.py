"""API of coded interviews and the evidence library (read), scoped by interviews/ and evidence/ selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from healthlinks.evidence import selectors as evidence_selectors
from healthlinks.evidence.models import Reference
from healthlinks.interviews import selectors
from healthlinks.interviews.models import Code, Segment, Source, Speaker


class InterviewCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Code
        fields = ["id", "guid", "parent", "name", "description", "colour", "is_codable"]


class CodeViewSet(viewsets.ReadOnlyModelViewSet):
    """The shared codebook (signed-in users)."""

    serializer_class = InterviewCodeSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Code]:
        if not self.request.user.is_authenticated:
            return Code.objects.none()
        return Code.objects.order_by("pk")


class SpeakerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Speaker
        fields = ["label", "role", "description", "country"]


class SourceSerializer(serializers.ModelSerializer):
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    speakers = SpeakerSerializer(many=True, read_only=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "guid",
            "partnership",
            "institution",
            "title",
            "interview_date",
            "language",
            "content",
            "speakers",
        ]


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("partnership", OpenApiTypes.STR)]))
class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    """Transcripts: only to the partnership's members and coordinators, and hub admins."""

    serializer_class = SourceSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Source]:
        qs = selectors.sources_readable_by(self.request.user).prefetch_related("speakers").order_by("pk")
        if self.request.query_params.get("partnership"):
            qs = qs.filter(partnership__slug=self.request.query_params["partnership"])
        return qs


class SegmentSerializer(serializers.ModelSerializer):
    partnership = serializers.SerializerMethodField()
    code: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(read_only=True)
    text = serializers.SerializerMethodField()
    speaker = serializers.SerializerMethodField()

    class Meta:
        model = Segment
        fields = ["id", "guid", "source", "partnership", "code", "start", "end", "text", "speaker"]

    def get_partnership(self, obj: Segment) -> str:
        return obj.source.partnership.slug

    def get_text(self, obj: Segment) -> str:
        return obj.text

    def get_speaker(self, obj: Segment) -> dict[str, Any] | None:
        """Speakers only for readers of the transcript (never for researchers)."""
        readable = self.context.get("readable")
        if obj.speaker is None or not (readable is None or obj.source.partnership_id in readable):
            return None
        return SpeakerSerializer(obj.speaker).data


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.INT),
            OpenApiParameter("source", OpenApiTypes.INT),
            OpenApiParameter("partnership", OpenApiTypes.STR),
        ]
    )
)
class SegmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Coded segments with their text; researchers see those of non-draft partnerships, without speakers."""

    serializer_class = SegmentSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Segment]:
        qs = selectors.segments_visible_to(self.request.user).select_related("source__partnership", "speaker")
        params = self.request.query_params
        if params.get("code", "").isdigit():
            qs = qs.filter(code_id=int(params["code"]))
        if params.get("source", "").isdigit():
            qs = qs.filter(source_id=int(params["source"]))
        if params.get("partnership"):
            qs = qs.filter(source__partnership__slug=params["partnership"])
        return qs.order_by("pk")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "readable": selectors.readable_partnership_set(self.request.user)}


class ReferenceSerializer(serializers.ModelSerializer):
    themes: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    partnerships = serializers.SerializerMethodField()
    specialties: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    countries: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Reference
        fields = [
            "id",
            "kind",
            "title",
            "authors",
            "year",
            "journal",
            "volume",
            "issue",
            "pages",
            "doi",
            "url",
            "abstract",
            "keywords",
            "themes",
            "partnerships",
            "specialties",
            "countries",
        ]

    def get_partnerships(self, obj: Reference) -> list[str]:
        return [p.slug for p in getattr(obj, "visible_partnerships", [])]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter("theme", OpenApiTypes.STR),
            OpenApiParameter("partnership", OpenApiTypes.STR),
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("kind", OpenApiTypes.STR),
        ]
    )
)
class ReferenceViewSet(viewsets.ReadOnlyModelViewSet):
    """The evidence library (public); links only to partnerships you may see."""

    serializer_class = ReferenceSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Reference]:
        p = self.request.query_params
        year = int(p["year"]) if p.get("year", "").isdigit() else None
        return evidence_selectors.reference_list(
            self.request.user,
            q=p.get("q", ""),
            theme=p.get("theme", ""),
            partnership=p.get("partnership", ""),
            year=year,
            kind=p.get("kind", ""),
        ).order_by("pk")
