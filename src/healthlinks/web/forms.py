from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import Field
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from healthlinks.activities.models import Activity
from healthlinks.network.models import STAY_CONDITIONS, Stay
from healthlinks.reference.models import Country, Occupation, PurposeCode, Specialty
from healthlinks.registry.models import GeographyClass, Institution, Lifecycle, MemberRole, Partnership
from healthlinks.registry.selectors import TYPOLOGY_FILTERS
from healthlinks.web.pickers import (
    InstitutionPicker,
    MultiPicker,
    PersonPicker,
    multi_url,
    person_label,
    stay_label,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PartnershipForm(forms.ModelForm):
    class Meta:
        model = Partnership
        fields = [
            "name",
            "slug",
            "summary",
            "start_date",
            "end_date",
            "publication",
            "specialties",
            "delivery_methods",
            "funding_schemes",
            "capacity_focus",
            "intervention",
            "skills",
            "delivery",
            "visiting_groups",
            "host_entities",
            "frequency",
            "grant_reference",
            "contact_name",
            "contact_email",
            "internal_notes",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "internal_notes": forms.Textarea(attrs={"rows": 2}),
            "specialties": forms.CheckboxSelectMultiple,
            "delivery_methods": forms.CheckboxSelectMultiple,
            "funding_schemes": forms.CheckboxSelectMultiple,
        }
        help_texts = {"slug": _("Short name for web addresses; left empty, it is made from the name.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False


class MemberForm(forms.Form):
    """One member row; a row without an institution is an unused row and is ignored."""

    institution = InstitutionPicker(label=_("Institution"), required=False)
    role = forms.ChoiceField(choices=MemberRole.choices, initial=MemberRole.PARTNER, label=_("Role"), required=False)
    joined = forms.DateField(required=False, widget=DateInput(), label=_("Joined"))
    left = forms.DateField(required=False, widget=DateInput(), label=_("Left"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("institution") and (data.get("joined") or data.get("left")):
            self.add_error("institution", _("choose the institution these dates belong to"))
        data["role"] = data.get("role") or MemberRole.PARTNER
        return data


MemberFormSet = forms.formset_factory(MemberForm, extra=1, can_delete=True)


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = [
            "name",
            "country",
            "kind",
            "org_type",
            "scope",
            "city",
            "latitude",
            "longitude",
            "ror_id",
            "iati_org_id",
        ]
        help_texts = {
            "ror_id": _("Research Organization Registry id, e.g. 02jx3x895 or https://ror.org/02jx3x895"),
            "iati_org_id": _("IATI organisation identifier, e.g. GB-NHS-RQ6 or GB-CHC-1234567"),
        }

    def clean_ror_id(self) -> str | None:
        value = (self.cleaned_data.get("ror_id") or "").strip()
        if value.lower().startswith("https://ror.org/"):
            value = value[len("https://ror.org/") :]
        return value or None

    def clean_iati_org_id(self) -> str | None:
        return (self.cleaned_data.get("iati_org_id") or "").strip() or None


def _choices(blank: Any, options: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", blank), *options]


class PartnershipFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    country = forms.ChoiceField(required=False, label=_("Country"))
    specialty = forms.ChoiceField(required=False, label=_("Specialty"))
    typology = forms.ChoiceField(required=False, label=_("Typology"))
    status = forms.ChoiceField(
        required=False, label=_("Status"), choices=_choices(_("Any status"), list(Lifecycle.choices))
    )
    geography = forms.ChoiceField(
        required=False,
        label=_("Geography"),
        choices=_choices(_("Any geography"), [c for c in GeographyClass.choices if c[0]]),
    )

    def __init__(self, *args: Any, countries: list[Country], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = _choices(
            _("Any country"), [(c.iso3, c.local_name) for c in countries]
        )
        cast(forms.ChoiceField, self.fields["specialty"]).choices = _choices(
            _("Any specialty"), [(s.slug, s.local_name) for s in Specialty.objects.all()]
        )
        typology = [("mobility_resilient", str(_("Edwards: resilient to staff mobility")))]
        for key in TYPOLOGY_FILTERS:
            if ":" in key:
                field_name, value = key.split(":", 1)
                field = cast(Field, Partnership._meta.get_field(field_name))
                label = dict(field.choices or []).get(value, value)
                typology.append((key, f"{field.verbose_name}: {label}"))
        cast(forms.ChoiceField, self.fields["typology"]).choices = _choices(_("Any typology"), typology)


class PersonChoiceField(forms.ModelChoiceField):
    """People by name where the user may see it (the queryset is already scoped), and pseudonymous id."""

    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PersonForm(forms.Form):
    """Register one person in a partnership, with the role they have in it (the phone form for a new volunteer
    or trainee). Names, email and phone are kept apart from the pseudonymous record."""

    given_name = forms.CharField(max_length=100, required=False, label=_("Given name"))
    family_name = forms.CharField(max_length=100, required=False, label=_("Family name"))
    role = forms.ChoiceField(choices=[], label=_("Role in this partnership"))
    cadre = forms.ModelChoiceField(queryset=Occupation.objects.none(), required=False, label=_("Cadre"))
    sex = forms.ChoiceField(choices=[], initial="not_recorded", label=_("Sex"))
    grade = forms.CharField(max_length=60, required=False, label=_("Grade or pay band"))
    home_institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(), required=False, label=_("Home institution")
    )
    email = forms.EmailField(required=False, label=_("Email"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))
    external_id = forms.CharField(
        required=False,
        max_length=100,
        label=_("External id"),
        help_text=_("Your own reference for this person (a staff number), if you keep one."),
    )
    research_consent = forms.BooleanField(
        required=False,
        label=_("Consents to research use"),
        help_text=_("Pseudonymised records of consenting people reach researchers."),
    )

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        from healthlinks.network.models import PersonRoleKind, Sex

        super().__init__(*args, **kwargs)
        fields = self.fields
        cast(forms.ChoiceField, fields["role"]).choices = PersonRoleKind.choices
        cast(forms.ChoiceField, fields["sex"]).choices = Sex.choices
        cast(forms.ModelChoiceField, fields["cadre"]).queryset = Occupation.objects.order_by("label")
        cast(forms.ModelChoiceField, fields["home_institution"]).queryset = institutions

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None

    def person_fields(self) -> dict[str, Any]:
        """What `network.services.person_save` takes, the role apart."""
        return {name: value for name, value in self.cleaned_data.items() if name != "role"}


class StayEditForm(forms.ModelForm):
    """Correct a stay after it was logged (who it was stays fixed); saved by `network.services.stay_update`, merged
    with any change made meanwhile (healthlinks.web.concurrency)."""

    purposes = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, required=False, label=_("Purposes")
    )

    class Meta:
        model = Stay
        fields = [
            "mode", "host_institution", "sending_institution", "start_date", "end_date", "purposes",
            "virtual_hours", "funding", "external_id", "notes", *STAY_CONDITIONS,
        ]  # fmt: skip
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, institutions: Any = None, **kwargs: Any) -> None:
        from healthlinks.network.models import Purpose

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["purposes"]).choices = Purpose.choices
        if institutions is not None:
            cast(forms.ModelChoiceField, self.fields["host_institution"]).queryset = institutions
            cast(forms.ModelChoiceField, self.fields["sending_institution"]).queryset = institutions
        add_condition_fields(self)

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None


def add_condition_fields(form: forms.BaseForm) -> None:
    """The enabling conditions of a stay (network.models.STAY_CONDITIONS): yes, no or not known, each."""
    for name in STAY_CONDITIONS:
        model_field = cast(Field[Any, Any], Stay._meta.get_field(name))
        form.fields[name] = forms.NullBooleanField(
            required=False,
            label=capfirst(str(model_field.verbose_name)),
            help_text=model_field.help_text,
            widget=forms.NullBooleanSelect(),
        )


class StayForm(forms.Form):
    """Log one stay or virtual engagement (the phone form a coordinator uses after a visit)."""

    person = PersonPicker(label=_("Person"))
    mode = forms.ChoiceField(label=_("Mode"), choices=[])
    host_institution = forms.ModelChoiceField(queryset=Institution.objects.none(), label=_("Host institution"))
    sending_institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(), label=_("Sending institution"), required=False
    )
    start_date = forms.DateField(widget=DateInput(), label=_("Start date"))
    end_date = forms.DateField(widget=DateInput(), label=_("End date"))
    purposes = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, required=False, label=_("Purposes")
    )
    virtual_hours = forms.DecimalField(
        required=False, min_value=0, max_digits=7, decimal_places=1, label=_("Virtual hours")
    )
    funding = forms.ChoiceField(choices=[], required=False, label=_("Funding"))
    external_id = forms.CharField(
        required=False,
        max_length=100,
        label=_("External id"),
        help_text=_("Your own reference for this stay, if you keep one."),
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Notes"))

    def __init__(self, *args: Any, people: Any, institutions: Any, partnership: str = "", **kwargs: Any) -> None:
        from healthlinks.network.models import Funding, Mode, Purpose

        super().__init__(*args, **kwargs)
        fields = self.fields
        cast(PersonPicker, fields["person"]).configure(people, partnership=partnership)
        cast(forms.ModelChoiceField, fields["host_institution"]).queryset = institutions
        cast(forms.ModelChoiceField, fields["sending_institution"]).queryset = institutions
        cast(forms.ChoiceField, fields["mode"]).choices = Mode.choices
        cast(forms.ChoiceField, fields["purposes"]).choices = Purpose.choices
        cast(forms.ChoiceField, fields["funding"]).choices = _choices("—", Funding.choices)
        add_condition_fields(self)

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None


class AssessmentForm(forms.Form):
    """Principles of Partnership self-assessment: one score 1-5 for each of the ten principles."""

    side = forms.ModelChoiceField(
        queryset=Institution.objects.none(),
        required=False,
        empty_label=_("Both sides together"),
        label=_("Whose answers"),
        help_text=_(
            "Each side assesses on its own, so that the page can show where they see the partnership differently."
        ),
    )
    assessed_on = forms.DateField(widget=DateInput(), label=_("Assessed on"))
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Notes"))

    def __init__(self, *args: Any, sides: Any = None, **kwargs: Any) -> None:
        from healthlinks.registry.models import PRINCIPLES

        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["side"]).queryset = (
            sides if sides is not None else Institution.objects.none()
        )
        scale = [("", "—"), *[(str(n), str(n)) for n in range(1, 6)]]
        for number, label in PRINCIPLES:
            self.fields[f"p{number}"] = forms.TypedChoiceField(
                choices=scale, coerce=int, required=False, empty_value=None, label=f"{number}. {label}"
            )

    def scores(self) -> dict[str, int]:
        return {
            name[1:]: value for name, value in self.cleaned_data.items() if name.startswith("p") and value is not None
        }


def targets_by(data: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The targets by sex and cadre a form was given (target_female, target_male, target_cadre[_value])."""
    targets: dict[tuple[str, str], Any] = {}
    for sex in ("female", "male"):
        if data.get(f"target_{sex}") is not None:
            targets[("sex", sex)] = data[f"target_{sex}"]
    if data.get("target_cadre") and data.get("target_cadre_value") is not None:
        targets[("cadre", data["target_cadre"].code)] = data["target_cadre_value"]
    return targets


class IndicatorForm(forms.Form):
    """Add an indicator (from the shared library or the partnership's own) with its first period."""

    result_level = forms.TypedChoiceField(coerce=int, choices=[], label=_("Result level"))
    result_title = forms.CharField(max_length=200, label=_("Result"))
    library_code = forms.ChoiceField(required=False, choices=[], label=_("Library indicator"))
    title = forms.CharField(
        max_length=200,
        required=False,
        label=_("Own indicator title"),
        help_text=_("Leave empty when you chose a library indicator."),
    )
    measure = forms.TypedChoiceField(coerce=int, choices=[], label=_("Measure"))
    start = forms.DateField(widget=DateInput(), label=_("Period start"))
    end = forms.DateField(widget=DateInput(), label=_("Period end"))
    baseline = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Baseline"))
    target = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Target"))
    actual = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        label=_("Actual"),
        help_text=_("Only for your own indicators: library actuals come from the records."),
    )
    numerator = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        label=_("Numerator"),
        help_text=_("Own percentage indicators: e.g. trainees observed performing to standard."),
    )
    denominator = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("Denominator"), help_text=_("e.g. trainees observed.")
    )
    target_female = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Target: women"))
    target_male = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Target: men"))
    target_cadre: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Target for a cadre"), to_field_name="code"
    )
    target_cadre_value = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("Target for that cadre")
    )

    def targets_by(self) -> dict[tuple[str, str], Any]:
        return targets_by(self.cleaned_data)

    def service_fields(self) -> dict[str, Any]:
        extra = {"target_female", "target_male", "target_cadre", "target_cadre_value"}
        return {k: v for k, v in self.cleaned_data.items() if k not in extra}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from healthlinks.reference.models import Occupation
        from healthlinks.results.library import LIBRARY
        from healthlinks.results.models import Measure, ResultLevel

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["result_level"]).choices = ResultLevel.choices
        cast(forms.ChoiceField, self.fields["measure"]).choices = Measure.choices
        cadre = cast(forms.ModelChoiceField, self.fields["target_cadre"])
        cadre.queryset = Occupation.objects.order_by("code")
        cast(forms.ChoiceField, self.fields["library_code"]).choices = _choices(
            _("— my own indicator —"), [(code, f"{code} {item.name}") for code, item in LIBRARY.items()]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("library_code") and not data.get("title"):
            self.add_error("title", _("choose a library indicator or give your own title"))
        if data.get("target_cadre") and data.get("target_cadre_value") is None:
            self.add_error("target_cadre_value", _("give the target for the cadre you chose"))
        return data


def _activity_pickers(form: forms.BaseForm, *, people: Any, stays: Any, partnership: str) -> None:
    """The activity forms' boxes to tick: stays and people found by typing (any of the partnership's are
    accepted; the first few are offered)."""
    f = form.fields
    if stays is not None:
        cast(MultiPicker, f["stays"]).configure(stays, url=multi_url("pick-stays", "stays", partnership))
    if people is not None:
        for name in ("facilitators", "trainees"):
            if name in f:
                cast(MultiPicker, f[name]).configure(people, url=multi_url("pick-people", name, partnership))


class ActivityEditForm(forms.ModelForm):
    """Correct an activity after it was recorded: its details, the stays it was delivered during and its
    facilitators (trainees are kept as they are); saved by `activities.services.activity_save`, merged with any
    change made meanwhile (healthlinks.web.concurrency)."""

    stays = MultiPicker(describe=stay_label, label=_("Delivered during these stays"))
    facilitators = MultiPicker(describe=person_label, label=_("Facilitators"))

    class Meta:
        model = Activity
        fields = [
            "title", "kind", "mode", "start_date", "end_date", "venue", "purpose_code", "training_of_trainers",
            "hours", "stays", "facilitators",
        ]  # fmt: skip
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(
        self,
        *args: Any,
        people: Any = None,
        institutions: Any = None,
        stays: Any = None,
        partnership: str = "",
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        if institutions is not None:
            cast(forms.ModelChoiceField, self.fields["venue"]).queryset = institutions
        _activity_pickers(self, people=people, stays=stays, partnership=partnership)

    def activity_fields(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("stays", "facilitators")}


class ActivityForm(forms.Form):
    """An activity, the stays it was delivered during, its named trainees and a count of unnamed ones."""

    title = forms.CharField(max_length=200, label=_("Title"))
    kind = forms.ChoiceField(choices=[], label=_("Type"))
    mode = forms.ChoiceField(choices=[], label=_("Mode"))
    start_date = forms.DateField(widget=DateInput(), label=_("Start date"))
    end_date = forms.DateField(widget=DateInput(), label=_("End date"))
    venue = forms.ModelChoiceField(queryset=Institution.objects.none(), required=False, label=_("Venue"))
    purpose_code = forms.ModelChoiceField(
        queryset=PurposeCode.objects.none(), required=False, label=_("DAC purpose code")
    )
    training_of_trainers = forms.BooleanField(required=False, label=_("Training of trainers"))
    hours = forms.DecimalField(required=False, min_value=0, max_digits=7, decimal_places=1, label=_("Hours"))
    stays = MultiPicker(describe=stay_label, label=_("Delivered during these stays"))
    facilitators = MultiPicker(describe=person_label, label=_("Facilitators"))
    trainees = MultiPicker(describe=person_label, label=_("Named trainees already registered"))
    new_trainees = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("New trainees, one per line"),
        help_text=_(
            "Given and family name, and after a comma the cadre's ISCO-08 code if you know it, e.g. "
            "“Grace Akello, 2221”. Each becomes one of the partnership's people and a named trainee."
        ),
    )
    facility_level = forms.ChoiceField(choices=[], label=_("Trainees' facility level"))
    counted = forms.IntegerField(
        required=False,
        min_value=0,
        label=_("Trainees counted, not named"),
        help_text=_("Everyone trained in this cadre and sex, named trainees included."),
    )
    counted_cadre = forms.ChoiceField(choices=[], required=False, label=_("Their cadre"))
    counted_sex = forms.ChoiceField(choices=[], required=False, label=_("Their sex"))

    ACTIVITY_FIELDS = (
        "title",
        "kind",
        "mode",
        "start_date",
        "end_date",
        "venue",
        "purpose_code",
        "training_of_trainers",
        "hours",
    )

    def __init__(
        self, *args: Any, people: Any, institutions: Any, stays: Any, partnership: str = "", **kwargs: Any
    ) -> None:
        from healthlinks.activities.models import ActivityMode, ActivityType, FacilityLevel
        from healthlinks.network.models import Sex
        from healthlinks.reference.models import Occupation

        super().__init__(*args, **kwargs)
        f = self.fields
        cast(forms.ChoiceField, f["kind"]).choices = ActivityType.choices
        cast(forms.ChoiceField, f["mode"]).choices = ActivityMode.choices
        cast(forms.ChoiceField, f["facility_level"]).choices = FacilityLevel.choices
        cast(forms.ChoiceField, f["counted_sex"]).choices = Sex.choices
        cast(forms.ChoiceField, f["counted_cadre"]).choices = _choices(
            "—", [(o.code, str(o)) for o in Occupation.objects.all()]
        )
        cast(forms.ModelChoiceField, f["venue"]).queryset = institutions
        cast(forms.ModelChoiceField, f["purpose_code"]).queryset = PurposeCode.objects.filter(
            category__in=["121", "122", "123", "130", "114"]
        )
        _activity_pickers(self, people=people, stays=stays, partnership=partnership)

    def activity_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.ACTIVITY_FIELDS}

    def clean_new_trainees(self) -> list[tuple[str, str, str | None]]:
        """(given name, family name, cadre) for each line; a line's problem is named by its number."""
        from healthlinks.reference.models import Occupation

        rows: list[tuple[str, str, str | None]] = []
        errors = []
        cadres = set(Occupation.objects.values_list("code", flat=True))
        for number, line in enumerate(self.cleaned_data.get("new_trainees", "").splitlines(), start=1):
            name, _comma, cadre = (part.strip() for part in line.partition(","))
            if not name and not cadre:
                continue
            words = name.split()
            if not words:
                errors.append(_("Line %(n)s: a name is needed.") % {"n": number})
                continue
            if len(name) > 200:
                errors.append(_("Line %(n)s: the name is too long.") % {"n": number})
                continue
            if cadre and cadre not in cadres:
                errors.append(
                    _("Line %(n)s: %(c)s is not an ISCO-08 health occupation code.") % {"n": number, "c": cadre}
                )
                continue
            given, family = (words[0], " ".join(words[1:])) if len(words) > 1 else (words[0], "")
            rows.append((given[:100], family[:100], cadre or None))
        if errors:
            raise forms.ValidationError(errors)
        return rows


class CurrencyRateForm(forms.ModelForm):
    class Meta:
        from healthlinks.results.models import CurrencyRate

        model = CurrencyRate
        fields = ["currency", "year", "rate", "source"]
        help_texts = {"rate": _("Units of the reporting currency for one unit of this currency, in that year.")}


class DayRateForm(forms.ModelForm):
    class Meta:
        from healthlinks.results.models import DayRate

        model = DayRate
        fields = ["grade", "cadre", "year", "currency", "day_rate", "method", "source"]
        help_texts = {
            "grade": _("e.g. NHS Band 6; leave empty to value a whole cadre."),
            "method": _("How a day is valued (domain guide §4): say it, so funders can compare like with like."),
        }


COMPARATOR_FIELDS = [
    "name",
    "kind",
    "country",
    "year",
    "currency",
    "cash_cost",
    "economic_cost",
    "trainees",
    "followed_up",
    "practice_changed",
    "source",
    "notes",
]


class ComparatorForm(forms.ModelForm):
    """A training programme that is not a partnership, with its costs and outcomes (value-for-money page)."""

    class Meta:
        from healthlinks.results.models import ComparatorProgramme

        model = ComparatorProgramme
        fields = COMPARATOR_FIELDS

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()


class OutcomeForm(forms.Form):
    """One Kirkpatrick outcome of an activity: L1 a rating, L3 practice at a follow-up, L4 a facility value."""

    level = forms.TypedChoiceField(coerce=int, choices=[], label=_("Kirkpatrick level"))
    dimension = forms.ChoiceField(choices=[], label=_("What was measured"))
    person = PersonPicker(required=False, label=_("Trainee"), help_text=_("Leave empty for a facility (L4) measure."))
    rating = forms.TypedChoiceField(
        label=_("Rating (1 to 5)"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "—")] + [(i, str(i)) for i in range(1, 6)],
    )
    practice_changed = forms.NullBooleanField(
        required=False,
        label=_("Practice changed"),
        widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
    )
    follow_up_months = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Follow-up (months)"),
        choices=[("", "—"), (3, "3"), (6, "6"), (12, "12")],
    )
    indicator = forms.CharField(required=False, max_length=200, label=_("Facility indicator"))
    value = forms.DecimalField(required=False, max_digits=12, decimal_places=3, label=_("Value"))
    unit = forms.CharField(required=False, max_length=40, label=_("Unit"))
    method = forms.ChoiceField(required=False, choices=[], label=_("Method"))
    recorded_on = forms.DateField(widget=DateInput(), label=_("Recorded on"))

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        from healthlinks.activities.models import Dimension, Level, Method

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["level"]).choices = [c for c in Level.choices if c[0] != Level.LEARNING]
        cast(forms.ChoiceField, self.fields["dimension"]).choices = [
            c for c in Dimension.choices if c[0] != Dimension.CONFIDENCE
        ]
        cast(forms.ChoiceField, self.fields["method"]).choices = _choices("—", Method.choices)
        cast(PersonPicker, self.fields["person"]).configure(people)

    def outcome_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["method"] = data.get("method") or ""
        return data

    record_fields = outcome_fields


class RecordForm(forms.ModelForm):
    """A ModelForm for one record that a service saves: the form parses, the service validates and writes.
    Date fields get the date picker; `choices` narrow the foreign keys to what the page offers."""

    def __init__(self, *args: Any, choices: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
        for name, queryset in (choices or {}).items():
            field = self.fields[name]
            if isinstance(field, PersonPicker):
                field.configure(queryset)
            else:
                cast(forms.ModelChoiceField, field).queryset = queryset

    def _post_clean(self) -> None:
        """The service runs the model's validation (full_clean) when it saves; running it here too would check
        the record before the service has put in what the page does not ask for (its partnership, activity)."""

    def record_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


class CashCostForm(RecordForm):
    class Meta:
        from healthlinks.results.models import CashCost

        model = CashCost
        fields = ["category", "amount", "currency", "spent_on", "activity", "description"]
        help_texts = {
            "currency": _("The currency it was paid in: ISO 4217, e.g. GBP, USD, UGX."),
            "activity": _("The activity it paid for, if any."),
        }


class InKindForm(RecordForm):
    class Meta:
        from healthlinks.results.models import InKindContribution

        model = InKindContribution
        fields = ["kind", "value", "currency", "received_on", "valuation_method", "description"]
        help_texts = {
            "valuation_method": _("e.g. replacement cost, the donor's invoice, a market price."),
            "kind": _("Volunteer time is counted from the stays: do not enter it here."),
        }


class KnowledgeItemForm(RecordForm):
    class Meta:
        from healthlinks.activities.models import KnowledgeItem

        model = KnowledgeItem
        fields = [
            "title",
            "kind",
            "direction",
            "stage",
            "adaptation",
            "transferred_on",
            "translated_on",
            "effective_on",
            "sustained_at_follow_up",
        ]
        help_texts = {
            "stage": _("Transferred: taught. Translated: adapted to the local context. Effective: used in practice."),
            "adaptation": _("Required from 'translated' on."),
        }
        widgets = {
            "adaptation": forms.Textarea(attrs={"rows": 3}),
            "sustained_at_follow_up": forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
        }


class CascadeForm(RecordForm):
    person = PersonPicker(label=_("Trainee"))

    class Meta:
        from healthlinks.activities.models import CascadeReport

        model = CascadeReport
        fields = ["person", "people_trained", "reported_on"]
        help_texts = {"people_trained": _("How many colleagues this trainee went on to train.")}


class TieForm(RecordForm):
    other = PersonPicker(label=_("With"))
    direction = forms.ChoiceField(
        choices=[("out", _("This person is the mentor")), ("in", _("This person is the mentee"))],
        initial="out",
        required=False,
        label=_("For mentor → mentee"),
    )

    class Meta:
        from healthlinks.network.models import Tie

        model = Tie
        fields = ["kind", "other", "direction", "start_date", "end_date", "source"]
        help_texts = {"source": _("Where the tie is known from, e.g. the mentoring log.")}


class IndicatorEditForm(RecordForm):
    class Meta:
        from healthlinks.results.models import Indicator

        model = Indicator
        fields = ["title", "unit", "baseline", "baseline_year", "disaggregate_by_sex_and_cadre"]


class PeriodForm(RecordForm):
    """A period of an indicator, with its target (overall and for women, men and one cadre)."""

    target_female = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Target: women"))
    target_male = forms.DecimalField(required=False, max_digits=14, decimal_places=2, label=_("Target: men"))
    target_cadre = forms.ModelChoiceField(
        queryset=Occupation.objects.order_by("code"),
        required=False,
        label=_("Target for a cadre"),
        to_field_name="code",
    )
    target_cadre_value = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, label=_("Target for that cadre")
    )
    EXTRA = ("target_female", "target_male", "target_cadre", "target_cadre_value")

    class Meta:
        from healthlinks.results.models import IndicatorPeriod

        model = IndicatorPeriod
        fields = ["start", "end", "target", "actual", "numerator", "denominator", "comment"]
        help_texts = {"actual": _("Only for your own indicators: library actuals come from the records.")}

    def __init__(self, *args: Any, computed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if computed:  # a library indicator's figures are computed from the records: nothing to type
            for name in ("actual", "numerator", "denominator"):
                del self.fields[name]

    def record_fields(self) -> dict[str, Any]:
        return {k: v for k, v in super().record_fields().items() if k not in self.EXTRA}

    def targets_by(self) -> dict[tuple[str, str], Any]:
        return targets_by(self.cleaned_data)
