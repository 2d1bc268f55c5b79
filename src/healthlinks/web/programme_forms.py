"""Forms of the programme pages: the programme with its partnerships, a target, a DHIS2 mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from healthlinks.network.models import Sex
from healthlinks.programmes.models import MappingKind, Programme, dhis2_uid, period_code
from healthlinks.reference.models import Country, Occupation
from healthlinks.registry.models import Partnership
from healthlinks.results.library import LIBRARY
from healthlinks.web.forms import DateInput


class ProgrammeForm(forms.ModelForm):
    partnerships = forms.ModelMultipleChoiceField(
        queryset=Partnership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Partnerships"),
        help_text=_("The partnerships you may edit; others in the programme stay as they are."),
    )

    class Meta:
        model = Programme
        fields = ["name", "slug", "description", "funding_scheme", "period_start", "period_end", "currency"]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, addable: QuerySet[Partnership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["partnerships"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = addable
        if self.instance.pk:
            field.initial = list(
                addable.filter(programme_memberships__programme=self.instance).values_list("pk", flat=True)
            )

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def indicator_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} {item.name}") for code, item in LIBRARY.items()]


class TargetForm(forms.Form):
    library_code = forms.ChoiceField(label=_("Library indicator"), choices=indicator_choices)
    period = forms.CharField(
        label=_("Period"), max_length=7, validators=[period_code], help_text=_("A year (2025) or a quarter (2025-Q2).")
    )
    target = forms.DecimalField(label=_("Target"), max_digits=14, decimal_places=2, required=False, min_value=0)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("All"))] + list(Sex.choices), required=False)
    cadre = forms.ModelChoiceField(
        label=_("Cadre"), queryset=Occupation.objects.order_by("code"), required=False, empty_label=_("All")
    )
    country = forms.ModelChoiceField(
        label=_("Country"), queryset=Country.objects.order_by("name"), required=False, empty_label=_("All")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if sum(bool(data.get(name)) for name in ("sex", "cadre", "country")) > 1:
            raise forms.ValidationError(_("A target is for the total or for one sex, cadre or country, not several."))
        return data

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "library_code": data["library_code"],
            "period": data["period"],
            "target": data["target"],
            "sex": data["sex"] or "",
            "cadre_id": data["cadre"].pk if data["cadre"] else None,
            "country_id": data["country"].pk if data["country"] else None,
        }


class MappingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MappingKind.choices)
    key = forms.CharField(
        label=_("What"),
        max_length=80,
        help_text=_(
            "An indicator (TRN-01); total, sex:female or cadre:2221; programme:its-slug, country:UGA or "
            "institution:its-number."
        ),
    )
    uid = forms.CharField(
        label=_("DHIS2 uid"), max_length=11, required=False, help_text=_("Leave empty to remove the mapping.")
    )

    def clean_uid(self) -> str:
        uid = str(self.cleaned_data.get("uid") or "").strip()
        if uid:
            dhis2_uid(uid)
        return uid


class MappingUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Columns kind, key, uid; one mapping a row."))
