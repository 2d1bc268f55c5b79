"""Survey instruments (XLSForms) and their responses.

An instrument keeps the uploaded XLSForm bytes and pyxform's JSON of it; its questions and choices are rows so
answers can be counted in SQL. A response links to a partnership, an institution and/or a person when the
instrument has a question named `partnership` (a partnership slug), `institution` (an institution id) or
`person` (a person's pseudonymous id) — see docs/evaluation.md.

Answers: one row per question and repeat instance; a select_multiple answer is stored as ONE ROW PER SELECTED
CODE (value = the code), so frequencies are plain GROUP BY counts. Numbers are also kept in `number`, dates in
`date`; `value` always holds the text as received (normalised: codes, ISO dates, plain decimals)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextvars import ContextVar

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.network.models import Person
from healthlinks.registry.models import Institution, Partnership


class Instrument(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=60, blank=True)
    form_id = models.CharField(_("XLSForm form_id"), max_length=120, blank=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    xlsform = models.BinaryField(_("XLSForm workbook"), editable=False)
    xlsform_name = models.CharField(_("file name"), max_length=200, blank=True)
    definition = models.JSONField(_("pyxform JSON"), default=dict, editable=False)
    warnings = models.JSONField(_("warnings at upload"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["xlsform", "definition"])

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


# The form's own language a respondent chose on the web form (`?lang=Luganda`), which may be none of the site's.
FORM_LANGUAGE: ContextVar[str] = ContextVar("form_language", default="")


def form_languages(labels: Iterable[dict[str, str]]) -> list[str]:
    """The languages of a form's labels, as its `label::…` columns name them, in the order first met."""
    return list(dict.fromkeys(key for item in labels for key, text in item.items() if text))


def label_in(labels: dict[str, str], fallback: str, language: str | None = None) -> str:
    """A bilingual XLSForm's text in the reader's language: the form language chosen on the form (FORM_LANGUAGE)
    if the text has it; else `label::French (fr)`, `label::fr` or `label::French` columns (pyxform keys them by
    what follows `::`); the form's default label when it has none in that language."""
    if not labels:
        return fallback
    chosen = language or FORM_LANGUAGE.get()
    if chosen and labels.get(chosen):
        return labels[chosen]
    code = (language or get_language() or "").split("-")[0].lower()
    name = str(LANG_INFO.get(code, {}).get("name", "")).lower()
    for key, text in labels.items():
        key = key.strip().lower()
        tagged = LANGUAGE_TAG.search(key)
        if text and (
            (tagged and tagged.group(1) == code) or key == code or (name and key.split("(")[0].strip() == name)
        ):
            return text
    return fallback


LANGUAGE_TAG = re.compile(r"\(([a-z]{2,3})(?:[-_][a-z0-9]+)?\)\s*$")


class Question(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    name = models.CharField(_("name"), max_length=120)
    path = models.CharField(_("group path and name"), max_length=400)
    type = models.CharField(_("type"), max_length=40)
    label = models.TextField(_("label"), blank=True)
    labels = models.JSONField(_("labels by language"), default=dict, blank=True)
    hint = models.TextField(_("hint"), blank=True)
    group_path = models.CharField(_("group path"), max_length=400, blank=True)
    repeat_path = models.CharField(_("innermost repeat"), max_length=400, blank=True)
    relevant = models.TextField(_("relevant"), blank=True)
    constraint = models.TextField(_("constraint"), blank=True)
    constraint_message = models.TextField(_("constraint message"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    list_name = models.CharField(_("choice list"), max_length=120, blank=True)
    choice_filter = models.TextField(_("choice filter"), blank=True)
    order = models.PositiveIntegerField(_("order"))

    class Meta:
        ordering = ["instrument", "order"]
        constraints = [models.UniqueConstraint(fields=["instrument", "path"], name="unique_question_path")]

    def __str__(self) -> str:
        return self.path

    @property
    def local_label(self) -> str:
        return label_in(self.labels, self.label)

    @property
    def in_repeat(self) -> bool:
        return bool(self.repeat_path) and self.type != "repeat"


class Choice(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="choices")
    list_name = models.CharField(_("list"), max_length=120)
    name = models.CharField(_("code"), max_length=120)
    label = models.TextField(_("label"), blank=True)
    labels = models.JSONField(_("labels by language"), default=dict, blank=True)
    columns = models.JSONField(_("other columns (for choice filters)"), default=dict, blank=True)
    order = models.PositiveIntegerField(_("order"))

    class Meta:
        ordering = ["instrument", "list_name", "order"]
        constraints = [models.UniqueConstraint(fields=["instrument", "list_name", "name"], name="unique_choice")]

    def __str__(self) -> str:
        return f"{self.list_name}:{self.name}"

    @property
    def local_label(self) -> str:
        return label_in(self.labels, self.label)


class Source(models.TextChoices):
    KOBO = "kobo", _("KoboToolbox export")
    ODK = "odk", _("ODK Central export")
    WEB = "web", _("Healthlinks web form")
    DEMO = "demo", _("Synthetic demo")


class Invitation(models.Model):
    """A link to answer an instrument for a partnership (and, optionally, one of its activities), without an
    account: an open link that any number of people may use, or a personal single-use link whose answer is
    filed under that person (a trainee, a volunteer)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="invitations")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="survey_invitations")
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.CASCADE, null=True, blank=True, related_name="survey_invitations"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="survey_invitations"
    )
    token = models.CharField(_("token"), max_length=40, unique=True)
    expires_on = models.DateField(_("expires on"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")

    def __str__(self) -> str:
        return f"{self.instrument.slug}:{self.token[:6]}…"

    @property
    def personal(self) -> bool:
        return self.person_id is not None


class Response(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="responses")
    uuid = models.CharField(_("submission uuid"), max_length=100)
    submitted_at = models.DateTimeField(_("submitted at"))
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_responses"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="responses"
    )
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["instrument", "uuid"], name="unique_response_uuid")]
        indexes = [models.Index(fields=["instrument", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.instrument.slug}:{self.uuid}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    repeat_index = models.PositiveIntegerField(_("repeat instance (1-based; 0 outside repeats)"), default=0)
    value = models.TextField(_("value"))
    number = models.DecimalField(_("number"), max_digits=20, decimal_places=6, null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        ordering = ["response", "question__order", "repeat_index", "pk"]
        indexes = [models.Index(fields=["question", "value"])]

    def __str__(self) -> str:
        return f"{self.question.name}={self.value}"
