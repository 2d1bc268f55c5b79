"""Programme pages: the list, a programme's roll-up against its targets (with a chart and downloads), the forms
that create and edit a programme and its targets, and the DHIS2 mapping. Reads go through
programmes.selectors and programmes.rollup, writes through programmes.services."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks.interchange.programmes import exports
from healthlinks.programmes import selectors, services
from healthlinks.programmes.models import Dhis2Mapping, Programme, ProgrammeTarget
from healthlinks.programmes.rollup import GRANULARITIES, RollUp, programme_rollup
from healthlinks.records import RowInvalid
from healthlinks.registry import selectors as registry_selectors
from healthlinks.results.library import LIBRARY
from healthlinks.web.charts import SCHEMA
from healthlinks.web.programme_forms import MappingForm, MappingUploadForm, ProgrammeForm, TargetForm
from healthlinks.web.views import actor, add_service_errors

CHARTED = ("TRN-01", "TRN-06", "VOL-01")  # counts of people, on one scale


def visible_programme(request: HttpRequest, slug: str) -> Programme:
    return get_object_or_404(selectors.programmes_visible_to(request.user), slug=slug)


def granularity(request: HttpRequest) -> str:
    value = request.GET.get("period", "year")
    return value if value in GRANULARITIES else "year"


@require_safe
def programme_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/programme_list.html",
        {
            "programmes": selectors.programmes_visible_to(request.user),
            "can_create": selectors.can_create_programme(request.user),
            "hub_admin": registry_selectors.is_hub_admin(request.user),
        },
    )


def rollup_in_words(rollup: RollUp) -> list[dict[str, Any]]:
    """Indicators → periods → the total and its splits by sex, cadre and country, as labels."""
    dims = exports.dimension_labels()
    category = exports.category_labeller((r.dimension, r.category) for r in rollup.rows)
    grouped: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rollup.rows:
        period = grouped[row.code].setdefault(row.period.code, {"period": row.period, "total": None, "splits": []})
        if not row.dimension:
            period["total"] = row
        else:
            period["splits"].append(
                {"dimension": dims[row.dimension], "category": category(row.dimension, row.category), "row": row}
            )
    out = []
    for code, periods in grouped.items():
        item = LIBRARY[code]
        out.append(
            {
                "code": code,
                "name": item.name,
                "definition": item.definition,
                "unit": item.unit,
                "percentage": item.measure == "percentage",
                "computed": item.compute is not None,
                "periods": list(periods.values()),
            }
        )
    return out


def rollup_chart(rollup: RollUp) -> dict[str, Any]:
    """Actuals of the people counted, by period, each indicator a bar, its target a tick."""
    values = [
        {
            "indicator": exports.indicator_label(r.code),
            "period": r.period.code,
            "value": float(r.value or 0),
            "target": float(r.target) if r.target is not None else None,
        }
        for r in rollup.totals()
        if r.code in CHARTED
    ]
    x = {"field": "period", "type": "ordinal", "title": _("Period")}
    offset = {"field": "indicator"}
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 240,
        "title": _("People counted, against targets"),
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "x": x,
                    "xOffset": offset,
                    "y": {"field": "value", "type": "quantitative", "title": _("People")},
                    "color": {"field": "indicator", "type": "nominal", "title": _("Indicator")},
                    "tooltip": [
                        {"field": "indicator", "title": _("Indicator")},
                        {"field": "period", "title": _("Period")},
                        {"field": "value", "title": _("Actual")},
                        {"field": "target", "title": _("Target")},
                    ],
                },
            },
            {
                "mark": {"type": "tick", "color": "#a63603", "thickness": 3},
                "encoding": {
                    "x": x,
                    "xOffset": offset,
                    "y": {"field": "target", "type": "quantitative", "title": _("People")},
                },
            },
        ],
    }


@require_safe
def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = visible_programme(request, slug)
    period = granularity(request)
    rollup = programme_rollup(programme, user=request.user, granularity=period)
    can_edit = selectors.can_edit_programme(request.user, programme)
    unmapped = exports.unmapped_in_words(exports.dhis2(rollup).unmapped) if can_edit else []
    return render(
        request,
        "web/programme_detail.html",
        {
            "programme": programme,
            "rollup": rollup,
            "indicators": rollup_in_words(rollup),
            "chart": rollup_chart(rollup),
            "partnerships": selectors.programme_partnerships(programme, request.user),
            "granularity": period,
            "can_edit": can_edit,
            "unmapped": unmapped,
            "formats": [("csv", "CSV"), ("xlsx", "XLSX"), ("adx", "ADX"), ("dhis2", "DHIS2 JSON"), ("pdf", "PDF")],
        },
    )


@require_safe
def programme_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    programme = visible_programme(request, slug)
    rollup = programme_rollup(programme, user=request.user, granularity=granularity(request))
    if fmt == "pdf":
        from healthlinks.web.programme_report import programme_pdf

        content, name, content_type = (
            programme_pdf(rollup),
            exports.filename(rollup, "csv")[:-3] + "pdf",
            "application/pdf",
        )
    elif fmt in exports.FORMATS:
        out = exports.export(rollup, fmt)
        content, name, content_type = out.content, exports.filename(rollup, fmt), exports.CONTENT_TYPES[fmt]
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _save_partnerships(request: HttpRequest, programme: Programme, form: ProgrammeForm) -> None:
    chosen = set(form.cleaned_data["partnerships"])
    for partnership in form.fields["partnerships"].queryset:  # type: ignore[attr-defined]
        if partnership in chosen:
            services.partnership_add(by=actor(request), programme=programme, partnership=partnership)
        else:
            services.partnership_remove(by=actor(request), programme=programme, partnership=partnership)


@login_required
def programme_form(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    programme = visible_programme(request, slug) if slug else None
    allowed = (
        selectors.can_edit_programme(request.user, programme)
        if programme
        else selectors.can_create_programme(request.user)
    )
    if not allowed:
        raise PermissionDenied
    addable = selectors.partnerships_addable_by(request.user)
    form = ProgrammeForm(request.POST or None, instance=programme, addable=addable)
    if request.method == "POST" and form.is_valid():
        hub_admin = registry_selectors.is_hub_admin(request.user)
        if not hub_admin and not form.cleaned_data["partnerships"] and programme is None:
            form.add_error("partnerships", _("Choose at least one of your partnerships."))
        else:
            try:
                with transaction.atomic():
                    saved = services.programme_save(by=actor(request), programme=programme, **form.service_fields())
                    _save_partnerships(request, saved, form)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Programme saved."))
                return redirect("programme-detail", slug=saved.slug)
    return render(request, "web/programme_form.html", {"form": form, "programme": programme})


@login_required
def programme_targets(request: HttpRequest, slug: str) -> HttpResponse:
    programme = visible_programme(request, slug)
    if not selectors.can_edit_programme(request.user, programme):
        raise PermissionDenied
    if request.method == "POST" and request.POST.get("delete"):
        target = get_object_or_404(ProgrammeTarget, pk=request.POST["delete"], programme=programme)
        services.target_delete(by=actor(request), target=target)
        messages.success(request, _("Target removed."))
        return redirect("programme-targets", slug=programme.slug)
    form = TargetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_set(by=actor(request), programme=programme, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("programme-targets", slug=programme.slug)
    targets = list(programme.targets.select_related("cadre", "country"))
    dims = exports.dimension_labels()
    category = exports.category_labeller(t.dimension for t in targets)
    rows = [
        {
            "target": t,
            "indicator": exports.indicator_label(t.library_code),
            "dimension": dims[t.dimension[0]],
            "category": category(*t.dimension),
        }
        for t in targets
    ]
    return render(request, "web/programme_targets.html", {"programme": programme, "form": form, "rows": rows})


@login_required
def dhis2_mapping(request: HttpRequest) -> HttpResponse:
    """The DHIS2 uids of the library indicators, disaggregations and places (hub admins)."""
    if not registry_selectors.is_hub_admin(request.user):
        raise PermissionDenied
    uploading = request.method == "POST" and "file" in request.FILES
    form = MappingForm(request.POST if request.method == "POST" and not uploading else None)
    upload = MappingUploadForm(request.POST, request.FILES) if uploading else MappingUploadForm()
    if form.is_bound and form.is_valid():
        try:
            services.mapping_set(by=actor(request), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Mapping saved."))
            return redirect("dhis2-mapping")
    if uploading and upload.is_valid():
        try:
            text = upload.cleaned_data["file"].read().decode("utf-8-sig")
            count = services.mappings_import(by=actor(request), text=text)
        except UnicodeDecodeError:
            upload.add_error("file", _("The file is not UTF-8 text."))
        except RowInvalid as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    upload.add_error(
                        "file", _("Row {row}, {field}: {error}").format(row=exc.index, field=field, error=error)
                    )
        except ValidationError as exc:
            upload.add_error("file", exc.messages)
        else:
            messages.success(request, _("{n} mappings saved.").format(n=count))
            return redirect("dhis2-mapping")
    mappings = list(Dhis2Mapping.objects.all())
    words = dict(
        zip(
            [(m.kind, m.key) for m in mappings],
            exports.unmapped_in_words([(m.kind, m.key) for m in mappings]),
            strict=True,
        )
    )
    return render(
        request,
        "web/dhis2_mapping.html",
        {"form": form, "upload": upload, "mappings": [{"m": m, "words": words[(m.kind, m.key)]} for m in mappings]},
    )
