"""Costs in cash and in kind, with the editable tables that value them (domain.md §4).

Volunteer time is not typed as money: it is derived from the stays (days) and the day-rate table
(by grade, else by cadre), and converted to the reporting currency with the currency-rate table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthlinks.activities.models import Activity
from healthlinks.reference.models import Occupation
from healthlinks.registry.models import Partnership

currency_code = RegexValidator(r"^[A-Z]{3}$", _("an ISO 4217 code such as GBP, USD or UGX"))


class CurrencyRate(models.Model):
    """Units of the reporting currency for one unit of `currency`, for a year."""

    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    year = models.PositiveSmallIntegerField(_("year"))
    rate = models.DecimalField(
        _("rate to the reporting currency"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["currency", "year"], name="unique_rate")]
        ordering = ["currency", "year"]

    def __str__(self) -> str:
        return f"{self.currency} {self.year}: {self.rate}"


class ValuationMethod(models.TextChoices):
    BAND_REPLACEMENT = "band_replacement", _("Replacement cost at the volunteer's own pay band")
    NOTIONAL_WAGE = "notional_median_wage", _("Notional median wage")
    CUSTOM = "custom", _("Custom")


class DayRate(models.Model):
    """What a day of a volunteer's time is worth, by grade (e.g. NHS Band 6) or, failing that, by cadre."""

    grade = models.CharField(_("grade or pay band"), max_length=60, blank=True)
    cadre = models.ForeignKey(Occupation, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("cadre"))
    year = models.PositiveSmallIntegerField(_("year"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    day_rate = models.DecimalField(
        _("day rate"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    method = models.CharField(_("valuation method"), max_length=24, choices=ValuationMethod.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["grade", "cadre", "year"]

    def __str__(self) -> str:
        return f"{self.grade or self.cadre_id} {self.year}: {self.day_rate} {self.currency}"

    def clean(self) -> None:
        if bool(self.grade) == bool(self.cadre_id):
            raise ValidationError({"grade": _("give either a grade or a cadre")})


class CostCategory(models.TextChoices):
    TRAVEL = "travel", _("Travel")
    ACCOMMODATION = "accommodation", _("Accommodation")
    EQUIPMENT = "equipment", _("Equipment")
    TRAINING_MATERIALS = "training_materials", _("Training materials")
    STAFF = "staff", _("Staff")
    OVERHEADS = "overheads", _("Overheads")


class CashCost(models.Model):
    external_id = models.CharField(_("external id"), max_length=100, unique=True, null=True, blank=True)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="cash_costs")
    activity = models.ForeignKey(
        Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="costs", verbose_name=_("activity")
    )
    category = models.CharField(_("category"), max_length=20, choices=CostCategory.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    spent_on = models.DateField(_("date"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.category}"


class InKindKind(models.TextChoices):
    DONATED_EQUIPMENT = "donated_equipment", _("Donated equipment")
    OTHER = "other", _("Other")


class InKindContribution(models.Model):
    """In-kind contributions other than volunteer time (which is derived from the stays)."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="in_kind")
    kind = models.CharField(_("kind"), max_length=20, choices=InKindKind.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    received_on = models.DateField(_("date"))
    valuation_method = models.CharField(_("how it was valued"), max_length=200)
    description = models.CharField(_("description"), max_length=200, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"{self.value} {self.currency} {self.kind}"


class ResultLevel(models.IntegerChoices):
    """IATI ResultType."""

    OUTPUT = 1, _("Output")
    OUTCOME = 2, _("Outcome")
    IMPACT = 3, _("Impact")


class Measure(models.IntegerChoices):
    """IATI IndicatorMeasure (the subset partnerships use)."""

    UNIT = 1, _("Unit")
    PERCENTAGE = 2, _("Percentage")
    QUALITATIVE = 5, _("Qualitative")


class Result(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="results")
    level = models.PositiveSmallIntegerField(_("level"), choices=ResultLevel.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["level", "pk"]

    def __str__(self) -> str:
        return self.title


def _library_choices() -> list[tuple[str, str]]:
    from healthlinks.results.library import LIBRARY

    return [(code, f"{code} {item.name}") for code, item in LIBRARY.items()]


class Indicator(models.Model):
    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="indicators")
    library_code = models.CharField(_("library indicator"), max_length=10, blank=True, choices=_library_choices)
    title = models.CharField(_("title"), max_length=200)
    measure = models.PositiveSmallIntegerField(_("measure"), choices=Measure.choices, default=Measure.UNIT)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=2, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    disaggregate_by_sex_and_cadre = models.BooleanField(_("disaggregated by sex and cadre"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def computed(self) -> bool:
        from healthlinks.results.library import LIBRARY

        item = LIBRARY.get(self.library_code)
        return bool(item and item.compute)


class IndicatorPeriod(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField(_("period start"))
    end = models.DateField(_("period end"))
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(_("actual (typed)"), max_digits=14, decimal_places=2, null=True, blank=True)
    numerator = models.DecimalField(_("numerator (typed)"), max_digits=14, decimal_places=2, null=True, blank=True)
    denominator = models.DecimalField(_("denominator (typed)"), max_digits=14, decimal_places=2, null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator} {self.start}–{self.end}"

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("the period ends before it starts")})
        computed = bool(self.indicator_id and self.indicator.computed)
        for name in ("actual", "numerator", "denominator"):
            if getattr(self, name) is not None and computed:
                raise ValidationError(
                    {name: _("this library indicator's actual is computed from the records; it is not typed")}
                )
        if (self.numerator is None) != (self.denominator is None):
            raise ValidationError({"denominator": _("give both the numerator and the denominator, or neither")})
        if self.denominator is not None and self.numerator is not None:
            if self.denominator <= 0:
                raise ValidationError({"denominator": _("the denominator must be greater than zero")})
            if self.numerator > self.denominator:
                raise ValidationError({"numerator": _("the numerator cannot exceed the denominator")})
            share = (100 * self.numerator / self.denominator).quantize(Decimal("0.01"))
            if self.actual is None:
                self.actual = share
            elif abs(self.actual - share) > Decimal("0.01"):
                raise ValidationError(
                    {
                        "actual": _("the actual (%(a)s) is not numerator / denominator (%(s)s%%)")
                        % {"a": self.actual, "s": share}
                    }
                )


class Dimension(models.TextChoices):
    SEX = "sex", _("Sex")
    CADRE = "cadre", _("Cadre (ISCO-08)")


class IndicatorDisaggregation(models.Model):
    """A period's target and typed actual for one category of sex or cadre (IATI `dimension`). Library
    indicators compute their disaggregated actuals; only the targets are typed."""

    period = models.ForeignKey(IndicatorPeriod, on_delete=models.CASCADE, related_name="disaggregations")
    dimension = models.CharField(_("dimension"), max_length=8, choices=Dimension.choices)
    category = models.CharField(_("category"), max_length=20, help_text=_("a sex code or an ISCO-08 code"))
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2, null=True, blank=True)
    actual = models.DecimalField(_("actual (typed)"), max_digits=14, decimal_places=2, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dimension", "category"]
        constraints = [
            models.UniqueConstraint(fields=["period", "dimension", "category"], name="unique_disaggregation")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.dimension}={self.category}"

    def clean(self) -> None:
        from healthlinks.network.models import Sex

        if self.dimension == Dimension.SEX and self.category not in Sex.values:
            raise ValidationError({"category": _("sex is one of %(v)s") % {"v": ", ".join(Sex.values)}})
        if self.dimension == Dimension.CADRE and not Occupation.objects.filter(code=self.category).exists():
            raise ValidationError({"category": _("%(c)s is not an ISCO-08 code") % {"c": self.category}})
        if self.actual is not None and self.period_id and self.period.indicator.computed:
            raise ValidationError(
                {"actual": _("this library indicator's actual is computed from the records; it is not typed")}
            )


class ComparatorKind(models.TextChoices):
    NATIONAL_INSERVICE = "national_inservice", _("National in-service course")
    E_LEARNING = "e_learning", _("E-learning")
    FLY_IN = "fly_in", _("Fly-in course")
    OTHER = "other", _("Other training programme")


class ComparatorProgramme(models.Model):
    """A training programme that is not a partnership (a national in-service course, e-learning, a fly-in course),
    with what it cost and what it achieved, so that partnerships' cost per outcome can be set beside it."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind of programme"), max_length=20, choices=ComparatorKind.choices)
    country = models.ForeignKey(
        "reference.Country", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("country")
    )
    year = models.PositiveSmallIntegerField(
        _("price year"), help_text=_("The year the costs were incurred (their prices and exchange rate).")
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    cash_cost = models.DecimalField(
        _("financial cost (cash)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    economic_cost = models.DecimalField(
        _("economic cost"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Cash plus the value of time and goods given in kind; leave empty if not known."),
    )
    trainees = models.PositiveIntegerField(_("health workers trained"), validators=[MinValueValidator(1)])
    followed_up = models.PositiveIntegerField(
        _("trainees followed up"),
        help_text=_("Trainees whose practice was checked at follow-up (Kirkpatrick level 3)."),
    )
    practice_changed = models.PositiveIntegerField(_("trainees whose practice changed"))
    source = models.CharField(_("source"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("comparator programme")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.trainees is not None and self.followed_up is not None and self.followed_up > self.trainees:
            errors["followed_up"] = _("more trainees followed up than trained")
        if (
            self.followed_up is not None
            and self.practice_changed is not None
            and self.practice_changed > self.followed_up
        ):
            errors["practice_changed"] = _("more practice changes than trainees followed up")
        if self.economic_cost is not None and self.cash_cost is not None and self.economic_cost < self.cash_cost:
            errors["economic_cost"] = _("the economic cost includes the cash: it cannot be smaller")
        if errors:
            raise ValidationError(errors)
