"""The results framework page of a partnership: results → indicators → periods, progress to target."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks import labels
from healthlinks.registry import selectors as registry_selectors
from healthlinks.results.models import ComparatorProgramme, CurrencyRate, DayRate
from healthlinks.results.selectors import reporting_currency, results_framework
from healthlinks.results.services import comparator_delete, comparator_save, indicator_add, rate_delete, rate_save
from healthlinks.web.forms import COMPARATOR_FIELDS, ComparatorForm, CurrencyRateForm, DayRateForm, IndicatorForm
from healthlinks.web.views import actor, add_service_errors, visible_partnership


def partnership_results(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    can_edit = access >= registry_selectors.Access.EDIT
    form = IndicatorForm(request.POST or None) if can_edit else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            indicator_add(
                by=actor(request), partnership=partnership, targets_by=form.targets_by(), **form.service_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Indicator added."))
            return redirect("partnership-results", slug=partnership.slug)
    return render(
        request,
        "web/partnership_results.html",
        {
            "p": partnership,
            "framework": framework_in_words(results_framework(partnership)),
            "form": form,
            "can_edit": can_edit,
        },
    )


RATE_FORMS: dict[str, Any] = {"currency": CurrencyRateForm, "day": DayRateForm}


@require_safe
def rates(request: HttpRequest) -> HttpResponse:
    """The currency and day-rate tables that value costs and volunteer time; hub admins edit them."""
    editor = registry_selectors.is_hub_admin(request.user)
    return render(
        request,
        "web/rates.html",
        {
            "currency_rates": CurrencyRate.objects.all(),
            "day_rates": DayRate.objects.select_related("cadre"),
            "editor": editor,
            "reporting_currency": reporting_currency(),
            "forms": {kind: form() for kind, form in RATE_FORMS.items()} if editor else {},
        },
    )


def framework_in_words(framework: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The disaggregations' dimensions and categories (sex codes, ISCO cadres) as words: one query for the cadres."""
    periods = [p for result in framework for i in result["indicators"] for p in i["periods"]]
    cadres = {d["category"] for p in periods for d in p["disaggregations"] if d["dimension"] == "cadre"}
    words = {"sex": (_("Sex"), labels.labeller("sex")), "cadre": (_("Cadre"), labels.labeller("cadre", cadres))}
    for period in periods:
        period["disaggregations"] = [
            {**d, "dimension": words[d["dimension"]][0], "category": words[d["dimension"]][1](d["category"])}
            if d["dimension"] in words
            else d
            for d in period["disaggregations"]
        ]
    return framework


@login_required
def rate_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    if not registry_selectors.is_hub_admin(request.user) or kind not in RATE_FORMS:
        raise PermissionDenied
    form_class = RATE_FORMS[kind]
    model = form_class._meta.model
    instance = get_object_or_404(model, pk=pk) if pk else None
    if request.method == "POST" and request.POST.get("delete") and instance is not None:
        rate_delete(by=actor(request), rate=instance)
        messages.success(request, _("Rate deleted."))
        return redirect("rates")
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            rate_save(by=actor(request), rate=form.save(commit=False))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rate saved."))
            return redirect("rates")
    return render(request, "web/rate_form.html", {"form": form, "kind": kind, "instance": instance})


@login_required
def comparator_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Record, correct or delete a comparator programme (hub admins); the value-for-money page compares with it."""
    if not registry_selectors.is_hub_admin(request.user):
        raise PermissionDenied
    instance = get_object_or_404(ComparatorProgramme, pk=pk) if pk else None
    if request.method == "POST" and request.POST.get("delete") and instance is not None:
        comparator_delete(by=actor(request), comparator=instance)
        messages.success(request, _("Comparator programme deleted."))
        return redirect("analytics-vfm")
    form = ComparatorForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            comparator_save(
                by=actor(request),
                comparator=instance,
                **{name: form.cleaned_data[name] for name in COMPARATOR_FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Comparator programme saved."))
            return redirect("analytics-vfm")
    return render(request, "web/comparator_form.html", {"form": form, "instance": instance})
