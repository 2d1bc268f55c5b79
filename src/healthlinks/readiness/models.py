"""Deployment readiness (issue 26): a checklist the hub configures (registration in the host country, indemnity,
occupational health, security briefing, induction, debrief…) and, for each stay, how far each item is done.

The checklist blocks nothing: a stay is saved whatever its readiness; the pages show every item still missing."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.network.models import Stay

EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "docx", "odt", "txt"]
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


class ItemKind(models.TextChoices):
    """When an item falls due: before departure, on arrival at the host (from the stay's first day), or on return
    (after its last day). An item not yet due is not missing."""

    GENERAL = "general", _("Before departure")
    ARRIVAL = "arrival", _("On arrival at the host")
    DEBRIEF = "debrief", _("Debrief on return")


class ReadinessItem(models.Model):
    """One item of the hub's checklist."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    evidence_needed = models.BooleanField(
        _("evidence needed"),
        default=False,
        help_text=_("A file or a note must show the item was done (a certificate, a policy number)."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ItemKind.choices, default=ItemKind.GENERAL)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Items no longer in use keep what was recorded but are not asked for.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


def evidence_path(check: ReadinessCheck, filename: str) -> str:
    return f"readiness/{check.stay_id}/{filename}"


class ReadinessCheck(models.Model):
    """How far one item of the checklist is done for one stay."""

    stay = models.ForeignKey(Stay, on_delete=models.CASCADE, related_name="readiness_checks")
    item = models.ForeignKey(ReadinessItem, on_delete=models.PROTECT, related_name="checks")
    done_on = models.DateField(_("done on"), null=True, blank=True)
    note = models.TextField(_("evidence note"), blank=True)
    evidence = models.FileField(
        _("evidence file"),
        upload_to=evidence_path,
        max_length=300,
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stay", "item"], name="one_check_per_stay_item")]

    def __str__(self) -> str:
        return f"{self.item} for stay {self.stay_id}"

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence) or bool(self.note.strip())
