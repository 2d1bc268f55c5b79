"""The knowledge network: people, their stays (physical and virtual) and the ties between them.

A Person is pseudonymous; names and contact details live apart in PersonalData and are shown only to
roles allowed to see them (network.selectors). Stay fields marked "derived" are computed by
network.services whenever a person's stays change, never typed.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.reference.models import Occupation
from healthlinks.registry.models import Institution, Partnership

PSEUDO_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_pseudo_id() -> str:
    """Random, never derived from a name: HL- and 10 base32 characters."""
    return "HL-" + "".join(secrets.choice(PSEUDO_ALPHABET) for _ in range(10))


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    NOT_RECORDED = "not_recorded", _("Not recorded")


class Person(models.Model):
    pseudo_id = models.CharField(
        _("pseudonymous id"), max_length=16, unique=True, default=new_pseudo_id, editable=False
    )
    external_id = models.CharField(_("external id"), max_length=100, unique=True, null=True, blank=True)
    cadre = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("cadre (ISCO-08)")
    )
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, default=Sex.NOT_RECORDED)
    home_institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("home institution"),
    )
    grade = models.CharField(_("grade or pay band"), max_length=60, blank=True)
    research_consent = models.BooleanField(_("consents to research use"), default=False)
    consent_date = models.DateField(_("consent recorded on"), null=True, blank=True)
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False, editable=False)
    # Soft delete (ops.softdelete): hidden from everyone by network.selectors until a hub admin restores it.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pseudo_id"]
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.pseudo_id

    def clean(self) -> None:
        if self.research_consent and not self.consent_date:
            raise ValidationError({"consent_date": _("record the date research consent was given")})


class PersonalData(models.Model):
    """Identifying details, kept apart from the pseudonymous record."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="personal", primary_key=True)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class PersonRoleKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("Volunteer")
    COUNTERPART = "counterpart", _("Counterpart")
    COORDINATOR = "coordinator", _("Coordinator")
    TRAINEE = "trainee", _("Trainee")
    MENTOR = "mentor", _("Mentor")


class PersonRole(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="person_roles")
    role = models.CharField(_("role"), max_length=12, choices=PersonRoleKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "partnership", "role"], name="unique_person_role")]

    def __str__(self) -> str:
        return f"{self.person} {self.role} in {self.partnership}"


class Mode(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    VIRTUAL = "virtual", _("Virtual")


class Funding(models.TextChoices):
    PARTNERSHIP = "partnership", _("Funded by the partnership")
    SELF = "self", _("Self-funded")
    OTHER = "other", _("Other")


class Purpose(models.TextChoices):
    TEACHING = "teaching", _("Teaching")
    CLINICAL = "clinical_service", _("Clinical service")
    MENTORING = "mentoring", _("Mentoring")
    ASSESSMENT = "assessment", _("Assessment")
    RESEARCH = "research", _("Research")
    MANAGEMENT = "management", _("Management")
    CURRICULUM = "curriculum_development", _("Curriculum development")


class ContinuumClass(models.TextChoices):
    VISIT = "visit", _("Visit")
    SHORT_STAY = "short_stay", _("Short stay")
    MEDIUM_STAY = "medium_stay", _("Medium stay")
    LONG_TERM = "long_term", _("Long-term placement")
    SETTLEMENT = "settlement", _("Settlement")


def continuum_bounds() -> tuple[int, int, int, int]:
    """Lower bounds in days of short stay, medium stay, long-term placement and settlement."""
    return tuple(settings.HEALTHLINKS_CONTINUUM_BOUNDS)  # type: ignore[return-value]


def continuum_class_of(duration_days: int) -> str:
    short, medium, long_term, settlement = continuum_bounds()
    if duration_days < short:
        return ContinuumClass.VISIT
    if duration_days < medium:
        return ContinuumClass.SHORT_STAY
    if duration_days < long_term:
        return ContinuumClass.MEDIUM_STAY
    if duration_days < settlement:
        return ContinuumClass.LONG_TERM
    return ContinuumClass.SETTLEMENT


SAFEGUARD_NOTE = _(
    "The sending institution is in a country on the WHO Health Workforce Support and Safeguards List 2023 "
    "or the UK Code of Practice red list, and the host is high income. The WHO Global Code of Practice on "
    "the International Recruitment of Health Personnel (WHA63.16, 2010) asks countries not to recruit "
    "actively from these countries. Exchanges and training stays may still be recorded; make sure this "
    "stay is not recruitment."
)


# The enabling conditions of a stay (Stay fields, each yes / no / unknown), in the order the forms show them.
STAY_CONDITIONS = ("named_counterpart", "protected_time", "leave_backfill", "prior_contact", "shared_language")


class Stay(models.Model):
    external_id = models.CharField(_("external id"), max_length=100, unique=True, null=True, blank=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="stays")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="stays")
    sending_institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stays_sent",
        verbose_name=_("sending institution"),
    )
    host_institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="stays_hosted", verbose_name=_("host institution")
    )
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    purposes = models.JSONField(_("purposes"), default=list, blank=True)
    virtual_hours = models.DecimalField(_("virtual hours"), max_digits=7, decimal_places=1, null=True, blank=True)
    funding = models.CharField(_("funding"), max_length=12, choices=Funding.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # The conditions that enable a stay (issue 26), on the host side and the sending side: None is unknown.
    named_counterpart = models.BooleanField(
        _("named counterpart at the host"),
        null=True,
        blank=True,
        help_text=_("Someone at the host was named to work alongside the volunteer."),
    )
    protected_time = models.BooleanField(
        _("protected time and supervision at the host"),
        null=True,
        blank=True,
        help_text=_("Host staff had time set aside to work and learn with the volunteer, and someone supervised."),
    )
    leave_backfill = models.BooleanField(
        _("leave and backfill at home"),
        null=True,
        blank=True,
        help_text=_("The volunteer had agreed leave, and their work at home was covered while they were away."),
    )
    prior_contact = models.BooleanField(
        _("prior contact with the host"),
        null=True,
        blank=True,
        help_text=_("The volunteer had worked or been in touch with the host before this stay."),
    )
    shared_language = models.BooleanField(
        _("shared working language"),
        null=True,
        blank=True,
        help_text=_("The volunteer and the host team shared a language they could work in."),
    )
    # Derived by network.services.person_refresh_stays, never typed.
    duration_days = models.PositiveIntegerField(_("duration in days"), default=0, editable=False)
    repeat_index = models.PositiveIntegerField(_("repeat index at this host"), default=1, editable=False)
    days_since_previous = models.IntegerField(_("days since the previous stay"), null=True, editable=False)
    circular = models.BooleanField(_("circular pattern"), default=False, editable=False)
    safeguard_flag = models.BooleanField(_("WHO Global Code flag"), default=False, editable=False)
    is_synthetic = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["partnership", "start_date"]),
            models.Index(fields=["person", "start_date"]),
            models.Index(fields=["host_institution", "start_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.host_institution} {self.start_date}"

    @property
    def continuum_class(self) -> str:
        return continuum_class_of(self.duration_days)

    def get_continuum_class_display(self) -> str:
        return str(ContinuumClass(self.continuum_class).label)

    @property
    def outside_partnership_dates(self) -> bool:
        p = self.partnership
        return self.start_date < p.start_date or bool(p.end_date and self.end_date > p.end_date)


class StaySession(models.Model):
    """One session of a virtual engagement (a mentoring call, a webinar), when recorded one by one."""

    stay = models.ForeignKey(Stay, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.stay} session {self.date}"


class TieKind(models.TextChoices):
    MENTOR = "mentor_mentee", _("Mentor → mentee")
    COUNTERPARTS = "counterparts", _("Counterparts")
    CO_TRAINERS = "co_trainers", _("Co-trainers")
    CO_AUTHORS = "co_authors", _("Co-authors")


DIRECTED_TIES = {TieKind.MENTOR}


class Tie(models.Model):
    """A recorded person–person tie. Mentor → mentee is directed (a is the mentor); the others are not,
    and are stored with the lower id first so that one pair is never stored twice."""

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="ties_out")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="ties_in")
    kind = models.CharField(_("kind"), max_length=14, choices=TieKind.choices)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_a", "person_b", "kind"], name="unique_tie")]

    def __str__(self) -> str:
        return f"{self.person_a} {self.kind} {self.person_b}"
