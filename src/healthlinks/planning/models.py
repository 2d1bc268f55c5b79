"""Plans for a partnership's next one to three years: kinds of stays with their numbers, lengths, volunteers and
costs, which the strategy planner turns into expected figures with their uncertainty (planning/simulate.py)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.network.models import STAY_CONDITIONS
from healthlinks.reference.models import Occupation
from healthlinks.registry.models import Partnership

MAX_YEARS = 3
MAX_LINES = 6


class Plan(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="plans", verbose_name=_("partnership")
    )
    name = models.CharField(_("name"), max_length=120)
    years = models.PositiveSmallIntegerField(
        _("years"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_YEARS)]
    )
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal(0))]
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["partnership", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["partnership", "name"], name="unique_plan_name")]

    def __str__(self) -> str:
        return self.name


class LineMode(models.TextChoices):
    PHYSICAL = "physical", _("Stays in person")
    VIRTUAL = "virtual", _("Virtual engagement (mentoring, teaching online)")


class PlanLine(models.Model):
    """One kind of stay in a plan: e.g. four two-week visits a year by two volunteers who return."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="lines", verbose_name=_("plan"))
    mode = models.CharField(_("kind"), max_length=10, choices=LineMode.choices, default=LineMode.PHYSICAL)
    per_year = models.PositiveSmallIntegerField(
        _("stays or sessions a year"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    days = models.PositiveSmallIntegerField(
        _("days each"), default=14, validators=[MinValueValidator(1), MaxValueValidator(1825)]
    )
    volunteers = models.PositiveSmallIntegerField(
        _("different volunteers"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("A volunteer's second and later stays are repeat visits."),
    )
    cadre = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("volunteers' cadre")
    )
    training_of_trainers = models.BooleanField(_("training of trainers"), default=False)
    cost_per_stay = models.DecimalField(
        _("travel and subsistence per stay"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    day_rate = models.DecimalField(
        _("value of a volunteer day"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Left empty: the day-rate table's rate for the cadre."),
    )
    # The enabling conditions the line assumes (issue 26; network.models.STAY_CONDITIONS): True the plan ensures
    # it, False it will not be there, None as in past stays (the planner then takes how often past stays had it).
    named_counterpart = models.BooleanField(
        _("named counterpart at the host"),
        null=True,
        blank=True,
        help_text=_("Someone at the host is named to work alongside the volunteer."),
    )
    protected_time = models.BooleanField(
        _("protected time and supervision at the host"),
        null=True,
        blank=True,
        help_text=_("Host staff have time set aside to work and learn with the volunteer, and someone supervises."),
    )
    leave_backfill = models.BooleanField(
        _("leave and backfill at home"),
        null=True,
        blank=True,
        help_text=_("The volunteer has agreed leave, and their work at home is covered while they are away."),
    )
    prior_contact = models.BooleanField(
        _("prior contact with the host"),
        null=True,
        blank=True,
        help_text=_("The volunteer has worked or been in touch with the host before."),
    )
    shared_language = models.BooleanField(
        _("shared working language"),
        null=True,
        blank=True,
        help_text=_("The volunteer and the host team share a language they can work in."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "pk"]

    def __str__(self) -> str:
        return f"{self.plan}: {self.per_year} × {self.days} d"

    def conditions(self) -> tuple[tuple[str, bool], ...]:
        """The conditions the line states, in STAY_CONDITIONS order (those as in past stays left out)."""
        return tuple((name, bool(value)) for name in STAY_CONDITIONS if (value := getattr(self, name)) is not None)

    def clean(self) -> None:
        if self.plan_id is not None and self.volunteers > self.per_year * self.plan.years:
            raise ValidationError(
                {"volunteers": _("more volunteers than stays: at most one stay a year times the years each")}
            )
