"""API of coded interviews and the evidence library (read), scoped by interviews/ and evidence/ selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from healthlinks.api import base
from healthlinks.api.filters import ID, YEAR, Ordering, int_param
from healthlinks.evidence import selectors as evidence_selectors
from healthlinks.evidence.models import Reference, Theme
from healthlinks.interviews import selectors
from healthlinks.interviews.models import Code, Memo, Segment, Source, Speaker


class InterviewCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Code
        fields = ["id", "guid", "parent", "name", "description", "colour", "is_codable"]


class CodeViewSet(base.ReadOnlyModelViewSet):
    """The shared codebook (signed-in users)."""

    serializer_class = InterviewCodeSerializer
    filter_backends = [Ordering]
    ordering_fields = ["id", "name"]

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
class SourceViewSet(base.ReadOnlyModelViewSet):
    """Transcripts: only to the partnership's members and coordinators, and hub admins."""

    serializer_class = SourceSerializer
    filter_backends = [Ordering]
    ordering_fields = ["id", "title", "interview_date"]

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
            OpenApiParameter("code", ID),
            OpenApiParameter("source", ID),
            OpenApiParameter("partnership", OpenApiTypes.STR),
        ]
    )
)
class SegmentViewSet(base.ReadOnlyModelViewSet):
    """Coded segments with their text; researchers see those of non-draft partnerships, without speakers."""

    serializer_class = SegmentSerializer
    filter_backends = [Ordering]
    ordering_fields = ["id", "source", "start"]

    def get_queryset(self) -> QuerySet[Segment]:
        qs = selectors.segments_visible_to(self.request.user).select_related("source__partnership", "speaker")
        params = self.request.query_params
        if (code := int_param(self.request, "code")) is not None:
            qs = qs.filter(code_id=code)
        if (source := int_param(self.request, "source")) is not None:
            qs = qs.filter(source_id=source)
        if params.get("partnership"):
            qs = qs.filter(source__partnership__slug=params["partnership"])
        return qs.order_by("pk")

    def get_serializer_context(self) -> dict[str, Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no user, no query
            return dict(super().get_serializer_context())
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
            OpenApiParameter("year", YEAR),
            OpenApiParameter("kind", OpenApiTypes.STR),
        ]
    )
)
class ReferenceViewSet(base.ReadOnlyModelViewSet):
    """The evidence library (public); links only to partnerships you may see."""

    serializer_class = ReferenceSerializer
    filter_backends = [Ordering]
    ordering_fields = ["id", "year", "title"]

    def get_queryset(self) -> QuerySet[Reference]:
        p = self.request.query_params
        year = int_param(self.request, "year")
        return evidence_selectors.reference_list(
            self.request.user,
            q=p.get("q", ""),
            theme=p.get("theme", ""),
            partnership=p.get("partnership", ""),
            year=year,
            kind=p.get("kind", ""),
        ).order_by("pk")


class MemoSerializer(serializers.ModelSerializer):
    partnership: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Memo
        fields = ["id", "guid", "partnership", "source", "code", "segment", "text", "author", "created_at"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("partnership", OpenApiTypes.STR),
            OpenApiParameter("source", ID),
            OpenApiParameter("code", ID),
        ]
    )
)
class MemoViewSet(base.ReadOnlyModelViewSet):
    """Analysts' memos on transcripts, codes and segments: only to the partnership's members and coordinators,
    and hub admins (as the transcripts)."""

    serializer_class = MemoSerializer
    filter_backends = [Ordering]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[Memo]:
        qs = selectors.memos_visible_to(self.request.user).select_related("partnership")
        params = self.request.query_params
        if params.get("partnership"):
            qs = qs.filter(partnership__slug=params["partnership"])
        if (source := int_param(self.request, "source")) is not None:
            qs = qs.filter(source_id=source)
        if (code := int_param(self.request, "code")) is not None:
            qs = qs.filter(code_id=code)
        return qs.order_by("created_at", "pk")


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["slug", "name"]


class ThemeViewSet(base.ReadOnlyModelViewSet):
    """Themes of the evidence library (the `theme` filter of references)."""

    serializer_class = ThemeSerializer
    lookup_field = "slug"
    filter_backends = [Ordering]
    ordering_fields = ["slug", "name"]

    def get_queryset(self) -> QuerySet[Theme]:
        return Theme.objects.order_by("name", "pk")
