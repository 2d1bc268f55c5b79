"""Pages of careers and retention: the retention table and the form that adds a career record (docs/careers.md)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from healthlinks import labels
from healthlinks.careers import selectors
from healthlinks.careers.models import CareerSource, CareerStatus
from healthlinks.careers.services import career_record_save
from healthlinks.network import selectors as network_selectors
from healthlinks.reference.models import Country
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution
from healthlinks.web.forms import DateInput
from healthlinks.web.views import actor, add_service_errors


class CareerRecordForm(forms.Form):
    recorded_on = forms.DateField(label=gettext_lazy("Recorded on"), widget=DateInput())
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=CareerStatus.choices)
    grade = forms.CharField(label=gettext_lazy("Grade or pay band"), max_length=60, required=False)
    post = forms.CharField(label=gettext_lazy("Post"), max_length=120, required=False)
    institution = forms.ModelChoiceField(
        label=gettext_lazy("Institution"), queryset=Institution.objects.none(), required=False
    )
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        names = labels.labels("country")
        codes = Country.objects.values_list("iso3", flat=True)
        self.fields["country"].choices = [("", "—")] + sorted(  # type: ignore[attr-defined]
            ((c, names.get(c, c)) for c in codes), key=lambda pair: pair[1]
        )


@login_required
@require_safe
def careers(request: HttpRequest) -> HttpResponse:
    """Retention of the people the user may see, by partnership and by kind of stay, at 1, 2 and 5 years."""
    partnerships = registry_selectors.partnerships_visible_to(request.user).order_by("name")
    chosen = partnerships.filter(slug=request.GET.get("partnership", "")).first()
    data = selectors.retention(request.user, partnership=chosen)
    kinds = labels.labeller("continuum_class")
    by_kind = [(_("Trainees") if r.key == selectors.TRAINEE else kinds(r.key), r) for r in data["by_kind"]]
    by_partnership = [(r.key.name, r) for r in data["by_partnership"]]
    return render(
        request,
        "web/careers.html",
        {
            "horizons": data["horizons"],
            "tables": [(_("By partnership"), by_partnership), (_("By kind"), by_kind)],
            "partnerships": partnerships.only("slug", "name"),
            "chosen": chosen,
        },
    )


@login_required
def career_record_create(request: HttpRequest, pseudo_id: str) -> HttpResponse:
    """Add one career record for a person: those who coordinate one of the person's partnerships."""
    person = get_object_or_404(network_selectors.people_visible_to(request.user), pseudo_id=pseudo_id)
    if not network_selectors.can_edit_person(request.user, person):
        raise PermissionDenied
    partnerships = network_selectors.partnerships_for_person(request.user, person)
    institutions = Institution.objects.filter(memberships__partnership__in=partnerships).distinct().order_by("name")
    form = CareerRecordForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["country_id"] = data.pop("country") or None
        try:
            career_record_save(by=actor(request), person=person, source=CareerSource.FORM, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Career record saved for %(person)s.") % {"person": person.pseudo_id})
            return redirect("career-create", pseudo_id=person.pseudo_id)
    records = selectors.records_of(request.user, person)
    return render(
        request,
        "web/career_form.html",
        {"form": form, "person": person, "records": records},
    )
