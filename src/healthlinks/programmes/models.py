"""Programmes: a funding round (or any group of partnerships) with its own results framework. Its actuals are
never typed: every library indicator is rolled up from the programme's partnerships (programmes.rollup)."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.network.models import Sex
from healthlinks.reference.models import Country, Occupation
from healthlinks.registry.models import FundingScheme, Partnership

currency_code = RegexValidator(r"^[A-Z]{3}$", _("an ISO 4217 code such as GBP, USD or UGX"))
PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")
period_code = RegexValidator(PERIOD_PATTERN.pattern, _("a year (2025) or a quarter (2025-Q2)"))


def period_bounds(period: str) -> tuple[date, date]:
    """'2025' -> (2025-01-01, 2025-12-31); '2025-Q2' -> (2025-04-01, 2025-06-30)."""
    match = PERIOD_PATTERN.match(period)
    if not match:
        raise ValueError(period)
    year = int(match.group(1))
    if match.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    quarter = int(match.group(2))
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


RESERVED_SLUGS = {"new", "dhis2-mapping"}  # /programmes/new/, /programmes/dhis2-mapping/


def _library_choices() -> list[tuple[str, str]]:
    from healthlinks.results.library import LIBRARY

    return [(code, f"{code} {item.name}") for code, item in LIBRARY.items()]


class Programme(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    funding_scheme = models.ForeignKey(
        FundingScheme,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="programmes",
        verbose_name=_("funding scheme"),
    )
    partnerships = models.ManyToManyField(
        Partnership, through="ProgrammePartnership", related_name="programmes", verbose_name=_("partnerships")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code], default="GBP")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("the period ends before it starts")})
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("this slug names a page; choose another")})


class ProgrammePartnership(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="memberships")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="programme_memberships")
    added_on = models.DateField(_("added on"), default=date.today)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "partnership"], name="unique_programme_partnership")
        ]

    def __str__(self) -> str:
        return f"{self.programme} / {self.partnership}"


class ProgrammeTarget(models.Model):
    """A target of one library indicator for one period (a year or a quarter), in total or for one category of
    sex, cadre or country."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="targets")
    library_code = models.CharField(_("library indicator"), max_length=10, choices=_library_choices)
    period = models.CharField(_("period"), max_length=7, validators=[period_code])
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, blank=True)
    cadre = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("cadre")
    )
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("country")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["library_code", "period", "pk"]

    def __str__(self) -> str:
        return f"{self.library_code} {self.period}: {self.target}"

    @property
    def dimension(self) -> tuple[str, str]:
        """('', '') for the total, else ('sex', 'female'), ('cadre', '2221') or ('country', 'UGA')."""
        if self.sex:
            return "sex", self.sex
        if self.cadre_id:
            return "cadre", str(self.cadre_id)
        if self.country_id:
            return "country", str(self.country_id)
        return "", ""

    def clean(self) -> None:
        if sum(bool(x) for x in (self.sex, self.cadre_id, self.country_id)) > 1:
            raise ValidationError({"sex": _("a target is for the total or for one sex, cadre or country, not several")})
        if self.target is not None and self.target < 0:
            raise ValidationError({"target": _("a target cannot be negative")})


class MappingKind(models.TextChoices):
    DATA_ELEMENT = "data_element", _("Data element (library indicator)")
    CATEGORY_OPTION_COMBO = "category_option_combo", _("Category option combination (sex or cadre)")
    ORG_UNIT = "org_unit", _("Organisation unit (programme, country or institution)")


dhis2_uid = RegexValidator(r"^[A-Za-z][A-Za-z0-9]{10}$", _("a DHIS2 uid: a letter then 10 letters or digits"))
mapping_key = RegexValidator(
    r"^([A-Z]{3}-\d{2}|total|sex:[a-z_]+|cadre:\d{1,4}|programme:[-a-z0-9_]+|country:[A-Z]{3}|institution:\d+)$",
    _(
        "a library indicator code (TRN-01), total, sex:female, cadre:2221, programme:SLUG, country:UGA "
        "or institution:ID"
    ),
)


class Dhis2Mapping(models.Model):
    """What DHIS2 calls our indicators, disaggregations and places: one uid per key, shared by every programme."""

    kind = models.CharField(_("kind"), max_length=24, choices=MappingKind.choices)
    key = models.CharField(_("key"), max_length=80, validators=[mapping_key])
    uid = models.CharField(_("DHIS2 uid"), max_length=11, validators=[dhis2_uid])
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_dhis2_mapping")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} = {self.uid}"

    def clean(self) -> None:
        from healthlinks.results.library import LIBRARY

        key = self.key or ""
        allowed: dict[str, bool] = {
            MappingKind.DATA_ELEMENT: key in LIBRARY,
            MappingKind.CATEGORY_OPTION_COMBO: key == "total" or key.startswith(("sex:", "cadre:")),
            MappingKind.ORG_UNIT: key.startswith(("programme:", "country:", "institution:")),
        }
        if self.kind in allowed and not allowed[self.kind]:
            raise ValidationError({"key": _("this key does not fit this kind of mapping")})
