"""Projects: funded pieces of work belonging to a partnership, shaped like IATI activities (domain.md §9).

Texts in every language are kept as lists of {"lang", "text"} (descriptions also carry their IATI "type");
codes are kept exactly as published, known or not (unknown codes are reported in ``import_warnings``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from healthlinks.records import lean_history
from healthlinks.registry.models import Institution, Partnership

project_history = lean_history


class ActivityStatus(models.TextChoices):
    PIPELINE = "1", _("Pipeline/identification")
    IMPLEMENTATION = "2", _("Implementation")
    FINALISATION = "3", _("Finalisation")
    CLOSED = "4", _("Closed")
    CANCELLED = "5", _("Cancelled")
    SUSPENDED = "6", _("Suspended")


def first_text(narratives: list[dict[str, str]] | None, lang: str = "en") -> str:
    """The text in `lang` if there is one, else the first one."""
    if not narratives:
        return ""
    for item in narratives:
        if item.get("lang") == lang and item.get("text"):
            return item["text"]
    return next((item.get("text", "") for item in narratives if item.get("text")), "")


class Project(models.Model):
    """A project without a partnership is *held for review*: an activity the IATI import kept although it could not
    tell which partnership it belongs to (it names only one organisation, or institutions whose country is unknown).
    Hub admins and the user who imported it see it (`selectors.projects_visible_to`)."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, null=True, blank=True, related_name="projects"
    )
    iati_identifier = models.CharField(_("IATI identifier"), max_length=200, unique=True)
    title = models.CharField(_("title"), max_length=500, blank=True, help_text=_("the title shown in lists"))
    titles = models.JSONField(_("titles (every language)"), default=list, blank=True)
    descriptions = models.JSONField(_("descriptions (every language and type)"), default=list, blank=True)
    default_lang = models.CharField(_("default language"), max_length=10, blank=True)
    default_currency = models.CharField(_("default currency"), max_length=3, blank=True)
    hierarchy = models.PositiveSmallIntegerField(_("hierarchy"), null=True, blank=True)
    humanitarian = models.BooleanField(_("humanitarian"), null=True, blank=True)
    last_updated = models.DateTimeField(_("last updated (by the publisher)"), null=True, blank=True)
    reporting_org = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects_reported",
        verbose_name=_("reporting organisation"),
        help_text=_("empty when the publisher could not be filed as an institution (its country is not known)"),
    )
    reporting_org_ref = models.CharField(_("reporting organisation identifier"), max_length=200, blank=True)
    reporting_org_type = models.CharField(_("reporting organisation type"), max_length=10, blank=True)
    reporting_org_names = models.JSONField(_("reporting organisation names"), default=list, blank=True)
    secondary_reporter = models.BooleanField(_("secondary reporter"), null=True, blank=True)
    activity_status = models.CharField(_("activity status"), max_length=10, blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    recipient_countries = models.JSONField(_("recipient countries"), default=list, blank=True)
    recipient_regions = models.JSONField(_("recipient regions"), default=list, blank=True)
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    needs_review = models.BooleanField(_("needs review"), default=False)
    import_warnings = models.JSONField(_("import warnings"), default=list, blank=True)
    source_name = models.CharField(_("imported from"), max_length=500, blank=True)
    source_version = models.CharField(_("IATI version of the source"), max_length=10, blank=True)
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = project_history("partnership", "reporting_org", "iati_identifier", "imported_by")

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["partnership", "title"])]

    def __str__(self) -> str:
        return self.title or self.iati_identifier

    @property
    def held_for_review(self) -> bool:
        """Imported without a partnership: waits for a hub admin (or its importer) to place it."""
        return self.partnership_id is None

    @property
    def reporting_org_label(self) -> str:
        """The reporting institution's name, else the publisher's name as published (not filed as an institution)."""
        if self.reporting_org is not None:
            return self.reporting_org.name
        return first_text(self.reporting_org_names) or self.reporting_org_ref

    @property
    def status_label(self) -> str:
        return str(dict(ActivityStatus.choices).get(self.activity_status, self.activity_status))


class ProjectParticipant(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="participants")
    position = models.PositiveIntegerField(default=0)
    role = models.CharField(_("role (IATI OrganisationRole)"), max_length=10, blank=True)
    org_type = models.CharField(_("type (IATI OrganisationType)"), max_length=10, blank=True)
    ref = models.CharField(_("identifier as published"), max_length=200, blank=True)
    activity_id = models.CharField(_("their activity identifier"), max_length=200, blank=True)
    crs_channel_code = models.CharField(_("CRS channel code"), max_length=10, blank=True)
    names = models.JSONField(_("names"), default=list, blank=True)
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, null=True, blank=True, related_name="project_roles"
    )
    history = project_history("project", "institution")

    class Meta:
        ordering = ["project", "position"]

    def __str__(self) -> str:
        return first_text(self.names) or self.ref


class ProjectBudget(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budgets")
    position = models.PositiveIntegerField(default=0)
    budget_type = models.CharField(_("type (1 original, 2 revised)"), max_length=10, blank=True)
    status = models.CharField(_("status (1 indicative, 2 committed)"), max_length=10, blank=True)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    history = project_history("project")

    class Meta:
        ordering = ["project", "position"]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}: {self.value} {self.currency}"


class ProjectTransaction(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="transactions")
    position = models.PositiveIntegerField(default=0)
    ref = models.CharField(_("reference"), max_length=200, blank=True)
    humanitarian = models.BooleanField(null=True, blank=True)
    transaction_type = models.CharField(_("type (IATI TransactionType)"), max_length=10, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    descriptions = models.JSONField(_("description"), default=list, blank=True)
    provider_ref = models.CharField(max_length=200, blank=True)
    provider_type = models.CharField(max_length=10, blank=True)
    provider_activity_id = models.CharField(max_length=200, blank=True)
    provider_names = models.JSONField(default=list, blank=True)
    receiver_ref = models.CharField(max_length=200, blank=True)
    receiver_type = models.CharField(max_length=10, blank=True)
    receiver_activity_id = models.CharField(max_length=200, blank=True)
    receiver_names = models.JSONField(default=list, blank=True)
    history = project_history("project")

    class Meta:
        ordering = ["project", "position"]

    def __str__(self) -> str:
        return f"{self.date} type {self.transaction_type}: {self.value} {self.currency}"

    @property
    def provider(self) -> str:
        return first_text(self.provider_names) or self.provider_ref

    @property
    def receiver(self) -> str:
        return first_text(self.receiver_names) or self.receiver_ref


class ProjectResult(models.Model):
    """IATI result (1 output, 2 outcome, 3 impact, 9 other): kept apart from the partnership's own results
    framework (healthlinks.results), as the funder published it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField(default=0)
    result_type = models.CharField(_("type (IATI ResultType)"), max_length=10, blank=True)
    aggregation_status = models.BooleanField(null=True, blank=True)
    titles = models.JSONField(default=list, blank=True)
    descriptions = models.JSONField(default=list, blank=True)
    history = project_history("project")

    class Meta:
        ordering = ["project", "position"]

    def __str__(self) -> str:
        return first_text(self.titles)


class ProjectIndicator(models.Model):
    result = models.ForeignKey(ProjectResult, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveIntegerField(default=0)
    measure = models.CharField(_("measure (IATI IndicatorMeasure)"), max_length=10, blank=True)
    ascending = models.BooleanField(null=True, blank=True)
    aggregation_status = models.BooleanField(null=True, blank=True)
    titles = models.JSONField(default=list, blank=True)
    descriptions = models.JSONField(default=list, blank=True)
    # [{"year", "iso_date", "value", "dimensions": [{"name", "value"}], "comment": [narratives]}]
    baselines = models.JSONField(default=list, blank=True)
    history = project_history("result")

    class Meta:
        ordering = ["result", "position"]

    def __str__(self) -> str:
        return first_text(self.titles)


class ProjectPeriod(models.Model):
    indicator = models.ForeignKey(ProjectIndicator, on_delete=models.CASCADE, related_name="periods")
    position = models.PositiveIntegerField(default=0)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    # [{"value", "dimensions": [{"name", "value"}], "comment": [narratives]}]
    targets = models.JSONField(default=list, blank=True)
    actuals = models.JSONField(default=list, blank=True)
    history = project_history("indicator")

    class Meta:
        ordering = ["indicator", "position"]

    def __str__(self) -> str:
        return f"{self.period_start}–{self.period_end}"
