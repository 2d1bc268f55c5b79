"""Career records: a person's post, grade and whereabouts as observed on a date (a follow-up survey, an import,
a form). The retention rule that reads them is in `selectors.retention` (docs/careers.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.network.models import Person
from healthlinks.reference.models import Country
from healthlinks.registry.models import Institution


class CareerStatus(models.TextChoices):
    IN_POST = "in_post", _("In post")
    CHANGED_POST = "changed_post", _("Changed post")
    PROMOTED = "promoted", _("Promoted")
    MOVED_WITHIN_COUNTRY = "moved_within_country", _("Moved within the country")
    MOVED_ABROAD = "moved_abroad", _("Moved abroad")
    LEFT_HEALTH_WORK = "left_health_work", _("Left health work")


# Statuses that count as still working in the country's health workforce ("retained").
RETAINED = frozenset(
    {CareerStatus.IN_POST, CareerStatus.CHANGED_POST, CareerStatus.PROMOTED, CareerStatus.MOVED_WITHIN_COUNTRY}
)


class CareerSource(models.TextChoices):
    FOLLOW_UP_SURVEY = "follow_up_survey", _("Follow-up survey")
    IMPORT = "import", _("Import")
    FORM = "form", _("Form")


class CareerRecord(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="career_records")
    recorded_on = models.DateField(_("recorded on"))
    status = models.CharField(_("status"), max_length=24, choices=CareerStatus.choices)
    grade = models.CharField(_("grade or pay band"), max_length=60, blank=True)
    post = models.CharField(_("post"), max_length=120, blank=True)
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="career_records",
        verbose_name=_("institution"),
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("country")
    )
    source = models.CharField(_("source"), max_length=20, choices=CareerSource.choices, default=CareerSource.FORM)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["person", "recorded_on", "pk"]
        indexes = [models.Index(fields=["person", "recorded_on"])]

    def __str__(self) -> str:
        return f"{self.person} {self.status} {self.recorded_on}"
