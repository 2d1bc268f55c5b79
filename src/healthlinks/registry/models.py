"""Institutions and partnerships: the registry every other part of Healthlinks hangs from."""

from __future__ import annotations

import re
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.records import lean_history
from healthlinks.reference.models import Country, DeliveryMethod, OrganisationType, Specialty

# ROR ids: 0 + 6 characters of Crockford base32 (no i, l, o, u) + 2 check digits.
ROR_RE = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")
# IATI organisation identifiers: registration-agency prefix (XX-YYY) + "-" + id, no spaces or / & | ?
IATI_ORG_RE = re.compile(r"^[A-Z]{2}-[A-Za-z0-9]+-[^\s/&|?]+$")
ROR_URL_PREFIX = "https://ror.org/"


def ror_checksum_ok(ror_id: str) -> bool:
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    value = 0
    for ch in ror_id[1:7]:
        value = value * 32 + alphabet.index(ch)
    return 98 - ((value * 100) % 97) == int(ror_id[7:])


def normalise_ror(value: str) -> str:
    value = value.strip()
    return value[len(ROR_URL_PREFIX) :] if value.lower().startswith(ROR_URL_PREFIX) else value


def validate_ror(value: str) -> None:
    ror = normalise_ror(value)
    if not ROR_RE.match(ror) or not ror_checksum_ok(ror):
        raise ValidationError(
            _("%(value)s is not a valid ROR id (9 characters such as 02jx3x895, with a correct checksum)"),
            params={"value": value},
        )


def validate_iati_org(value: str) -> None:
    if not IATI_ORG_RE.match(value):
        raise ValidationError(
            _("%(value)s is not a valid IATI organisation identifier (agency prefix and id, e.g. GB-CHC-1234567)"),
            params={"value": value},
        )


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    UNIVERSITY = "university", _("University or college")
    PROFESSIONAL = "professional_association", _("Professional association")
    NGO = "ngo", _("NGO")
    GOVERNMENT = "government", _("Ministry or government body")
    OTHER = "other", _("Other")


class Scope(models.TextChoices):
    LOCAL = "local", _("Local")
    REGIONAL = "regional", _("Regional")
    NATIONAL = "national", _("National")
    INTERNATIONAL = "international", _("International")


class Institution(models.Model):
    name = models.CharField(_("name"), max_length=200)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, verbose_name=_("country"), related_name="+")
    kind = models.CharField(_("kind"), max_length=30, choices=InstitutionKind.choices)
    org_type = models.ForeignKey(
        OrganisationType, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("IATI organisation type")
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    ror_id = models.CharField(_("ROR id"), max_length=9, null=True, blank=True, unique=True, validators=[validate_ror])
    iati_org_id = models.CharField(
        _("IATI organisation identifier"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_iati_org],
    )
    scope = models.CharField(_("scope of influence"), max_length=15, choices=Scope.choices, blank=True)
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False, editable=False)
    needs_review = models.BooleanField(_("needs review"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = lean_history("country", "org_type", "ror_id", "iati_org_id")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["country", "name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude": _("give both latitude and longitude, or neither")})


class FundingScheme(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    funder = models.CharField(_("funder"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Publication(models.TextChoices):
    DRAFT = "draft", _("Draft (members only)")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Lifecycle(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class GeographyClass(models.TextChoices):
    NORTH_SOUTH = "north_south", _("North–South")
    SOUTH_SOUTH = "south_south", _("South–South")
    NORTH_NORTH = "north_north", _("North–North")
    MULTI_COUNTRY = "multi_country", _("Multi-country")
    UNKNOWN = "", _("Not yet known")


# Edwards et al. 2015 and Loh et al. 2015 dimensions (domain.md §1-2).
class CapacityFocus(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual development")
    ORGANISATIONAL = "organisational", _("Organisational development")


class Intervention(models.TextChoices):
    TRAINING = "training", _("Training only")
    TRAINING_INFRASTRUCTURE = "training_infrastructure", _("Training + infrastructure strengthening")


class Skills(models.TextChoices):
    GENERIC = "generic", _("Generic")
    SPECIALIST = "specialist", _("Specialist")


class Delivery(models.TextChoices):
    DIRECT = "direct", _("Direct")
    THIRD_PARTY = "third_party", _("Via a third organisation")


class VisitingGroups(models.TextChoices):
    SINGLE = "single", _("Single visiting group")
    MULTIPLE = "multiple", _("Multiple visiting groups")


class HostEntities(models.TextChoices):
    NONE = "none", _("No host entity")
    SINGLE = "single", _("Single host entity")
    MULTIPLE = "multiple", _("Multiple host entities")


class Frequency(models.TextChoices):
    CONTINUOUS = "continuous", _("Continuous")
    INTERMITTENT = "intermittent", _("Intermittent")


class Partnership(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    publication = models.CharField(
        _("publication status"), max_length=10, choices=Publication.choices, default=Publication.DRAFT
    )
    specialties = models.ManyToManyField(Specialty, blank=True, verbose_name=_("specialties"))
    delivery_methods = models.ManyToManyField(DeliveryMethod, blank=True, verbose_name=_("delivery methods"))
    funding_schemes = models.ManyToManyField(FundingScheme, blank=True, verbose_name=_("funders / funding schemes"))
    # Edwards typology
    capacity_focus = models.CharField(_("capacity focus"), max_length=15, choices=CapacityFocus.choices, blank=True)
    intervention = models.CharField(_("intervention"), max_length=25, choices=Intervention.choices, blank=True)
    skills = models.CharField(_("skills"), max_length=10, choices=Skills.choices, blank=True)
    delivery = models.CharField(_("delivery"), max_length=12, choices=Delivery.choices, blank=True)
    # Loh engagement
    visiting_groups = models.CharField(_("visiting groups"), max_length=10, choices=VisitingGroups.choices, blank=True)
    host_entities = models.CharField(_("host entities"), max_length=10, choices=HostEntities.choices, blank=True)
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices, blank=True)
    # Not published: seen by members, coordinators, hub admins (and, for grant_reference, researchers).
    grant_reference = models.CharField(_("grant reference"), max_length=100, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True)
    # Derived from the member institutions by registry.services; never typed.
    geography_class = models.CharField(
        _("geography"), max_length=15, choices=GeographyClass.choices, blank=True, editable=False
    )
    is_synthetic = models.BooleanField(_("synthetic demo record"), default=False, editable=False)
    needs_review = models.BooleanField(_("needs review"), default=False)
    # Soft delete (ops.softdelete): hidden from everyone by registry.selectors until a hub admin restores it.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = lean_history("slug", m2m_fields=[specialties, delivery_methods, funding_schemes])

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["publication", "name"]), models.Index(fields=["geography_class"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("the end date is before the start date")})

    # Derived, never typed ---------------------------------------------------------------
    def lifecycle(self, today: date | None = None) -> str:
        today = today or timezone.localdate()
        if self.start_date > today:
            return Lifecycle.PLANNED
        if self.end_date and self.end_date < today:
            return Lifecycle.CLOSED
        return Lifecycle.ACTIVE

    def get_lifecycle_display(self) -> str:
        return str(Lifecycle(self.lifecycle()).label)

    def duration_days(self, today: date | None = None) -> int:
        end = self.end_date or (today or timezone.localdate())
        return max((end - self.start_date).days + 1, 0)

    @property
    def is_published(self) -> bool:
        return self.publication == Publication.PUBLISHED

    @property
    def edwards_mobility_resilient(self) -> bool | None:
        """Edwards: infrastructure strengthening + generic skills resists staff mobility."""
        if not self.intervention or not self.skills:
            return None
        return self.intervention == Intervention.TRAINING_INFRASTRUCTURE and self.skills == Skills.GENERIC


class MemberRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    PARTNER = "partner", _("Partner")


class PartnershipMember(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="members")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=MemberRole.choices, default=MemberRole.PARTNER)
    joined = models.DateField(_("joined"), null=True, blank=True)
    left = models.DateField(_("left"), null=True, blank=True)
    history = lean_history("partnership", "institution")

    class Meta:
        ordering = ["role", "institution__name"]
        constraints = [models.UniqueConstraint(fields=["partnership", "institution"], name="unique_member")]

    def __str__(self) -> str:
        return f"{self.institution} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.joined and self.left and self.left < self.joined:
            raise ValidationError({"left": _("the leaving date is before the joining date")})


PRINCIPLES = [
    (1, _("Strategic")),
    (2, _("Harmonised & aligned")),
    (3, _("Effective & sustainable")),
    (4, _("Respectful & reciprocal")),
    (5, _("Organised & accountable")),
    (6, _("Responsible")),
    (7, _("Flexible, resourceful & innovative")),
    (8, _("Committed to joint learning")),
    (9, _("Addresses unequal power; equity & inclusion")),
    (10, _("Climate change adaptation & mitigation")),
]


class PrinciplesAssessment(models.Model):
    """A dated Principles of Partnership (Health Check) self-assessment: one score 1-5 per principle, by one side
    of the partnership (a member institution) or by both together."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="assessments")
    side = models.ForeignKey(
        "Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="principles_assessments",
        verbose_name=_("assessed by"),
        help_text=_("The member institution whose people answered; empty when both sides answered together."),
    )
    assessed_on = models.DateField(_("assessed on"))
    scores = models.JSONField(_("scores by principle (1-5)"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on"]

    def __str__(self) -> str:
        return f"{self.partnership} {self.assessed_on}"

    def clean(self) -> None:
        valid = {str(n) for n, _label in PRINCIPLES}
        if not isinstance(self.scores, dict):
            raise ValidationError({"scores": _("scores must map principle numbers 1-10 to a score")})
        for key, value in self.scores.items():
            if str(key) not in valid:
                raise ValidationError({"scores": _("unknown principle %(key)s (1-10)") % {"key": key}})
            if not isinstance(value, int) or not 1 <= value <= 5:
                raise ValidationError({"scores": _("principle %(key)s: score must be 1-5") % {"key": key}})


class AccessRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER = "member", _("Member")


class PartnershipAccess(models.Model):
    """Which users coordinate or belong to which partnership: the basis of object permissions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partnership_access")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="access")
    role = models.CharField(_("role"), max_length=12, choices=AccessRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "partnership"], name="unique_access")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.partnership}"
