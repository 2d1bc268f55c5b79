"""Code lists from standards: stored as codes, shown as labels, shipped with source and date."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


class WhoRegion(models.TextChoices):
    AFR = "AFR", _("African Region")
    AMR = "AMR", _("Region of the Americas")
    SEAR = "SEAR", _("South-East Asia Region")
    EUR = "EUR", _("European Region")
    EMR = "EMR", _("Eastern Mediterranean Region")
    WPR = "WPR", _("Western Pacific Region")


class IncomeGroup(models.TextChoices):
    LIC = "LIC", _("Low income")
    LMC = "LMC", _("Lower-middle income")
    UMC = "UMC", _("Upper-middle income")
    HIC = "HIC", _("High income")


class UkCodeStatus(models.TextChoices):
    RED = "red", _("Red: no active recruitment")
    AMBER = "amber", _("Amber: recruitment only under a government-to-government agreement")
    NONE = "none", _("Not listed")


class Country(models.Model):
    iso3 = models.CharField(_("ISO 3166-1 alpha-3"), max_length=3, primary_key=True)
    iso2 = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, unique=True)
    numeric = models.CharField(_("ISO 3166-1 numeric"), max_length=3)
    name = models.CharField(_("name"), max_length=100)
    who_region = models.CharField(_("WHO region"), max_length=4, choices=WhoRegion.choices, blank=True)
    income_group = models.CharField(_("World Bank income group"), max_length=3, choices=IncomeGroup.choices, blank=True)
    income_fy = models.CharField(_("income group fiscal year"), max_length=4, blank=True)
    ssl2023 = models.BooleanField(_("on the WHO Health Workforce Support and Safeguards List 2023"), default=False)
    uk_code_status = models.CharField(
        _("UK Code of Practice status"), max_length=5, choices=UkCodeStatus.choices, default=UkCodeStatus.NONE
    )
    capital = models.CharField(_("capital"), max_length=100, blank=True)
    latitude = models.FloatField(_("latitude of the capital"), null=True, blank=True)
    longitude = models.FloatField(_("longitude of the capital"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        """The name in the reader's language (CLDR), English where none is shipped."""
        return pgettext("country", self.name)

    @property
    def is_high_income(self) -> bool:
        return self.income_group == IncomeGroup.HIC


class Occupation(models.Model):
    """ISCO-08 unit group (health subset)."""

    code = models.CharField(_("ISCO-08 code"), max_length=4, primary_key=True)
    label = models.CharField(_("label"), max_length=120)
    group = models.CharField(_("group"), max_length=80)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.local_label}"

    @property
    def local_label(self) -> str:
        return pgettext("ISCO-08 occupation", self.label)


class OrganisationType(models.Model):
    """IATI OrganisationType codelist."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return pgettext("IATI organisation type", self.name)


class PurposeCode(models.Model):
    """OECD DAC CRS purpose code (IATI Sector vocabulary 1)."""

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=3)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {pgettext('DAC purpose', self.name)}"


class Specialty(models.Model):
    slug = models.SlugField(_("slug"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("specialties")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_name(self) -> str:
        return pgettext("specialty", self.name)


class DeliveryMethod(models.Model):
    slug = models.SlugField(_("slug"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return pgettext("delivery method", self.name)


class ReferenceDataset(models.Model):
    """Provenance of each shipped table, shown on the reference page."""

    key = models.CharField(max_length=40, primary_key=True)
    title = models.CharField(max_length=200)
    source = models.TextField()
    version = models.CharField(max_length=40)
    retrieved = models.DateField()
    rows = models.PositiveIntegerField()

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title
