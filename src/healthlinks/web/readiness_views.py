"""Deployment readiness pages (issue 26): a stay's checklist, the hub's overview across partnerships, and the
checklist's items (hub administrators). Readiness blocks nothing: the stay forms never look at it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from healthlinks.network.selectors import stays_visible_to
from healthlinks.readiness import selectors, services
from healthlinks.readiness.models import EVIDENCE_EXTENSIONS, ReadinessCheck, ReadinessItem
from healthlinks.web.forms import DateInput
from healthlinks.web.views import actor, add_service_errors


class CheckForm(forms.Form):
    """One item of a stay's checklist (prefixed with the item's id: one form per item, sent together)."""

    done_on = forms.DateField(widget=DateInput(), required=False, label=gettext_lazy("Done on"))
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Evidence note"),
        help_text=gettext_lazy("A reference, a policy or registration number, where the evidence is kept."),
    )
    evidence = forms.FileField(
        required=False,
        label=gettext_lazy("Evidence file"),
        help_text=gettext_lazy("PDF, image, DOCX, ODT or text; 10 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(f".{e}" for e in EVIDENCE_EXTENSIONS)}),
    )
    clear_evidence = forms.BooleanField(required=False, label=gettext_lazy("Remove the file kept"))


class ItemForm(forms.ModelForm):
    class Meta:
        model = ReadinessItem
        fields = ["name", "description", "evidence_needed", "kind", "position", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


def _stay(request: HttpRequest, pk: int) -> Any:
    stay = get_object_or_404(
        stays_visible_to(request.user).select_related("person__personal", "partnership", "host_institution"), pk=pk
    )
    if not selectors.can_read(request.user, stay):
        raise PermissionDenied
    return stay


@login_required
def stay_readiness(request: HttpRequest, pk: int) -> HttpResponse:
    """A stay's checklist: every item with its status; the partnership's coordinators record what is done."""
    stay = _stay(request, pk)
    editable = selectors.can_edit(request.user, stay)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    rows = selectors.checklist(stay, today=date.today())
    bound = request.method == "POST"
    entries: list[dict[str, Any]] = []
    for row in rows:
        check = row.check
        initial = {"done_on": check.done_on, "note": check.note} if check else {}
        form = CheckForm(
            request.POST if bound else None,
            request.FILES if bound else None,
            prefix=f"item-{row.item.pk}",
            initial=initial,
        )
        entries.append({"row": row, "form": form})
    if bound and all(e["form"].is_valid() for e in entries):
        try:
            with transaction.atomic():
                for entry in entries:
                    data = entry["form"].cleaned_data
                    try:
                        services.check_save(
                            by=actor(request),
                            stay=stay,
                            item=entry["row"].item,
                            done_on=data["done_on"],
                            note=data["note"],
                            evidence=data["evidence"] or None,
                            clear_evidence=data["clear_evidence"],
                        )
                    except ValidationError as exc:
                        add_service_errors(entry["form"], exc)
                        raise
        except ValidationError:
            pass
        else:
            messages.success(request, _("Readiness saved."))
            return redirect("stay-readiness", pk=stay.pk)
    missing = [e["row"].item for e in entries if e["row"].missing]
    context = {
        "s": stay,
        "entries": entries,
        "missing": missing,
        "editable": editable,
        "debrief": selectors.debrief_survey(),
    }
    return render(request, "web/stay_readiness.html", context)


@login_required
@require_safe
def readiness_evidence(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The evidence file of one check, to those who may read the stay's checklist."""
    check = get_object_or_404(ReadinessCheck.objects.select_related("stay"), pk=pk)
    if not stays_visible_to(request.user).filter(pk=check.stay_id).exists():
        raise Http404
    if not selectors.can_read(request.user, check.stay):
        raise PermissionDenied
    if not check.evidence:
        raise Http404
    name = (check.evidence.name or "").rsplit("/", 1)[-1]
    return FileResponse(check.evidence.open("rb"), as_attachment=True, filename=name)


@login_required
@require_safe
def readiness_overview(request: HttpRequest) -> HttpResponse:
    """Readiness across partnerships: hub administrators see every partnership, others those they belong to."""
    ids = selectors.readable_partnership_ids(request.user)
    if ids is not None and not ids:
        raise PermissionDenied
    data = selectors.overview(ids, today=date.today())
    rows = [{**row, "cells": list(zip(data["items"], row["missing"], strict=True))} for row in data["rows"]]
    context = {
        **data,
        "rows": rows,
        "total_cells": list(zip(data["items"], data["totals"], strict=True)),
        "can_configure": selectors.can_configure(request.user),
    }
    return render(request, "web/readiness_overview.html", context)


@login_required
def readiness_items(request: HttpRequest) -> HttpResponse:
    """The hub's checklist: hub administrators add and change its items."""
    if not selectors.can_configure(request.user):
        raise PermissionDenied
    form = ItemForm(request.POST if request.method == "POST" and "defaults" not in request.POST else None)
    if request.method == "POST" and "defaults" in request.POST:
        made = services.items_create_defaults(by=actor(request))
        messages.success(request, _("{n} suggested items added.").format(n=len(made)))
        return redirect("readiness-items")
    if request.method == "POST" and form.is_valid():
        try:
            item = services.item_save(by=actor(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“{name}” added to the checklist.").format(name=item.name))
            return redirect("readiness-items")
    return render(request, "web/readiness_items.html", {"items": selectors.all_items(), "form": form})


@login_required
def readiness_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.can_configure(request.user):
        raise PermissionDenied
    item = get_object_or_404(ReadinessItem, pk=pk)
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.item_save(by=actor(request), item=item, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“{name}” saved.").format(name=item.name))
            return redirect("readiness-items")
    return render(request, "web/readiness_item_form.html", {"item": item, "form": form})
