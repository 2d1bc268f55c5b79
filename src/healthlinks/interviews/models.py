"""Coded interviews: transcripts (sources) of a partnership, anonymised speakers, a hierarchical codebook,
coded segments stored as character offsets, and memos (issue 5, item 2).

Offsets count Unicode code points of `Source.content`, as REFI-QDA's startPosition/endPosition do, so a
segment's text is always `content[start:end]` and a .qdpx round trip keeps them exact."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.reference.models import Country
from healthlinks.registry.models import Institution, Partnership

COLOUR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")


def validate_colour(value: str) -> None:
    if value and not COLOUR_RE.match(value):
        raise ValidationError(_("%(value)s is not a colour such as #1f77b4"), params={"value": value})


class Code(models.Model):
    """A code of the shared codebook. Codes nest (parent); the guid is the code's REFI-QDA identity."""

    guid = models.UUIDField(_("REFI-QDA guid"), default=uuid.uuid4, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    colour = models.CharField(_("colour"), max_length=7, blank=True, validators=[validate_colour])
    is_codable = models.BooleanField(_("can be applied"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        seen: set[int] = set()
        node = self.parent
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                raise ValidationError({"parent": _("a code cannot be inside itself")})
            seen.add(node.pk)
            node = node.parent
        siblings = Code.objects.filter(parent=self.parent, name=self.name).exclude(pk=self.pk)
        if self.name and siblings.exists():
            raise ValidationError({"name": _("a code named %(name)s is already there") % {"name": self.name}})

    @property
    def path(self) -> str:
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " › ".join(reversed(names))


class Source(models.Model):
    """An interview transcript (plain text) of one partnership."""

    guid = models.UUIDField(_("REFI-QDA guid"), default=uuid.uuid4, unique=True)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="interview_sources", verbose_name=_("partnership")
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("text"))
    interview_date = models.DateField(_("date of the interview"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        """A label that does not carry the title (titles may name the interviewee)."""
        return f"S-{self.pk}"


class SpeakerRole(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteer")
    COUNTERPART = "counterpart", _("Counterpart")
    COORDINATOR = "coordinator", _("Coordinator")
    TRAINEE = "trainee", _("Trainee")
    MANAGER = "manager", _("Manager")
    OTHER = "other", _("Other")


class Speaker(models.Model):
    """An anonymised speaker of a transcript: a label as written in the text ("Speaker A") and a role, never a
    name. A turn is a line starting with the label and a colon; a segment belongs to the speaker whose turn it
    starts in."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="speakers")
    label = models.CharField(_("label in the text"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=SpeakerRole.choices, default=SpeakerRole.OTHER)
    description = models.CharField(_("description"), max_length=100, blank=True, help_text=_("e.g. UK consultant"))
    country = models.ForeignKey(Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["label"]
        constraints = [models.UniqueConstraint(fields=["source", "label"], name="unique_speaker_label")]

    def __str__(self) -> str:
        return f"{self.label} — {self.description or self.get_role_display()}"


class Segment(models.Model):
    """One code applied to a span of a source: content[start:end]."""

    guid = models.UUIDField(_("REFI-QDA coding guid"), default=uuid.uuid4, unique=True)
    selection_guid = models.UUIDField(_("REFI-QDA selection guid"), default=uuid.uuid4)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="segments")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="segments")
    start = models.PositiveIntegerField(_("start"))
    end = models.PositiveIntegerField(_("end"))
    speaker = models.ForeignKey(
        Speaker, on_delete=models.SET_NULL, null=True, blank=True, related_name="segments", editable=False
    )
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "start", "end", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "code", "start", "end"], name="unique_segment_span"),
        ]
        indexes = [models.Index(fields=["code", "source"])]

    def __str__(self) -> str:
        return f"{self.code} {self.start}–{self.end}"

    def clean(self) -> None:
        if self.start is None or self.end is None or not self.source_id:
            return
        if self.end <= self.start:
            raise ValidationError({"end": _("the segment ends before it starts")})
        if self.end > len(self.source.content):
            raise ValidationError(
                {
                    "end": _("the segment ends at %(end)s, after the text (%(n)s characters)")
                    % {"end": self.end, "n": len(self.source.content)}
                }
            )
        if self.code_id and not self.code.is_codable:
            raise ValidationError({"code": _("this code is a heading and cannot be applied")})

    @property
    def text(self) -> str:
        return self.source.content[self.start : self.end]


class Memo(models.Model):
    """A memo on a source, a code or a segment (exactly one)."""

    guid = models.UUIDField(_("REFI-QDA note guid"), default=uuid.uuid4, unique=True)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, null=True, blank=True, related_name="memos")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, null=True, blank=True, related_name="memos")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, null=True, blank=True, related_name="memos")
    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.CASCADE,
        related_name="interview_memos",
        help_text=_("whose members may read the memo (a code memo is written within one partnership's work)"),
    )
    text = models.TextField(_("memo"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]

    def clean(self) -> None:
        targets = [t for t in (self.source_id, self.code_id, self.segment_id) if t]
        if len(targets) != 1:
            raise ValidationError(_("a memo is written on exactly one source, code or segment"))
        if not (self.text or "").strip():
            raise ValidationError({"text": _("the memo is empty")})
