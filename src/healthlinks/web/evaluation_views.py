"""Survey pages: instruments, analysis, export, the web form and the upload pages."""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from healthlinks.evaluation import selectors
from healthlinks.evaluation.exports import response_table
from healthlinks.evaluation.models import FORM_LANGUAGE, Instrument, Response, Source, form_languages
from healthlinks.evaluation.services import LinkError, instrument_save, resolve_links, response_upsert
from healthlinks.evaluation.webform import check_submission, form_fields
from healthlinks.evaluation.xlsform import FormRejected
from healthlinks.interchange.surveys.importer import import_responses
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.interchange.tabular.writer import CONTENT_TYPES, write_table
from healthlinks.registry.selectors import partnerships_editable_by
from healthlinks.web import evaluation_charts as charts
from healthlinks.web.offline import works_offline
from healthlinks.web.views import actor

# The census page leads with the seed study's questions (how many partnerships, who, benefits, challenges).
HEADLINES = {
    "partnership-census": [
        ("staff_involved", _("Who is involved")),
        ("partnership_types", _("What kinds of partnership")),
        ("countries", _("Where the partners are")),
        ("benefits", _("What benefits")),
        ("challenges", _("What challenges")),
        ("support_needed", _("What support is needed")),
    ]
}

# The answers split by: the respondent's partnership, its country, the respondent's role.
DIMENSION_WORDS = {
    "partnership": gettext_lazy("Partnership"),
    "country": gettext_lazy("Country"),
    "role": gettext_lazy("Role"),
}


def _instrument(request: HttpRequest, slug: str) -> Instrument:
    return get_object_or_404(selectors.instruments_visible_to(request.user), slug=slug)


@login_required
@require_safe
def instrument_list(request: HttpRequest) -> HttpResponse:
    visible = selectors.responses_visible_to(request.user)
    counts = dict(visible.values("instrument_id").annotate(n=Count("id")).values_list("instrument_id", "n").order_by())
    rows = [(i, counts.get(i.pk, 0)) for i in selectors.instruments_visible_to(request.user)]
    return render(
        request,
        "evaluation/instrument_list.html",
        {"rows": rows, "can_manage": selectors.can_manage_instruments(request.user)},
    )


@login_required
@require_safe
def instrument_detail(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _instrument(request, slug)
    responses = selectors.responses_visible_to(request.user).filter(instrument=instrument)
    analysis = selectors.question_analysis(instrument, request.user, responses)
    by_name = {a["q"].name: a for a in analysis}
    for i, a in enumerate(analysis):
        a["spec_id"] = f"q-spec-{i}"
        if a["kind"] == "choices":
            a["spec"] = charts.frequencies(a["rows"], a["q"].local_label)
        elif a["kind"] == "likert":
            answers = [r["label"] for r in a["rows"]]
            a["spec"] = charts.likert(charts.likert_rows(a["q"].name, a["rows"]), answers, a["q"].local_label)
    scales: dict[str, list[dict[str, Any]]] = {}
    for a in analysis:
        if a["kind"] == "likert":
            scales.setdefault(a["q"].list_name, []).append(a)
    likert_specs = []
    for n, items in enumerate(group for group in scales.values() if len(group) > 1):
        segments = [s for a in items for s in charts.likert_rows(a["q"].local_label[:60], a["rows"])]
        answers = [r["label"] for r in items[0]["rows"]]
        spec = charts.likert(segments, answers, _("Agreement items"), labels=True)
        spec["height"] = {"step": 28}
        likert_specs.append((f"likert-spec-{n}", spec))
    headline_names = [name for name, _t in HEADLINES.get(instrument.slug, []) if name in by_name]
    headlines = [(title, by_name[name]) for name, title in HEADLINES.get(instrument.slug, []) if name in by_name]
    census: dict[str, Any] = {}
    if "n_partnerships" in by_name:
        census = {
            "respondents": responses.count(),
            "with_partnerships": sum(
                r["n"] for r in by_name.get("has_partnerships", {}).get("rows", []) if r["code"] == "yes"
            ),
            "partnerships": by_name["n_partnerships"].get("sum", 0),
        }
    choice_questions = [a["q"] for a in analysis if a["kind"] in ("choices", "likert")]
    dimension = request.GET.get("by", "partnership")
    if dimension not in selectors.DIMENSIONS:
        dimension = "partnership"
    crosstab = None
    q_name = request.GET.get("q", "")
    picked = next((q for q in choice_questions if q.name == q_name), choice_questions[0] if choice_questions else None)
    if picked is not None:
        crosstab = selectors.crosstab(instrument, request.user, responses, picked, dimension)
    return render(
        request,
        "evaluation/instrument_detail.html",
        {
            "i": instrument,
            "can_invite": partnerships_editable_by(request.user).exists(),
            "total": responses.count(),
            "timeline_spec": charts.responses_over_time(selectors.response_counts_by_month(responses)),
            "analysis": [a for a in analysis if a["q"].name not in headline_names],
            "headlines": headlines,
            "likert_specs": likert_specs,
            "census": census,
            "crosstab": crosstab,
            "picked": picked,
            "choice_questions": choice_questions,
            "dimension": dimension,
            "dimensions": [(d, DIMENSION_WORDS[d]) for d in selectors.DIMENSIONS],
            "can_manage": selectors.can_manage_instruments(request.user),
        },
    )


@login_required
@require_safe
def instrument_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    instrument = _instrument(request, slug)
    labels = request.GET.get("values") == "labels"
    columns, rows = response_table(instrument, request.user, labels=labels)
    response = HttpResponse(write_table(columns, rows, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{instrument.slug}-responses.{fmt}"'
    return response


@login_required
@works_offline
def instrument_form(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = _instrument(request, slug)
    fields = form_fields(instrument)
    partnerships = list(selectors.partnerships_for_forms(request.user))
    errors: dict[str, str] = {}
    posted: dict[str, list[str]] = {}
    if request.method == "POST":
        posted = {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"}
        answers, errors, values = check_submission(instrument, posted)
        links: dict[str, Any] = {}
        if not errors:
            slug_value = values.get("partnership", "")
            if slug_value and slug_value not in {p.slug for p in partnerships}:
                errors["partnership"] = _("choose one of your partnerships")
            else:
                try:
                    links = resolve_links(values, None)
                except LinkError as exc:
                    path = next((f.q.path for f in fields if f.q.name == exc.question), exc.question)
                    errors[path] = exc.reason
        if not errors:
            submission = "web-" + ((request.POST.get("_uuid") or "").strip()[:90] or str(uuidlib.uuid4()))
            earlier = Response.objects.filter(instrument=instrument, uuid=submission).first()
            if earlier is not None and earlier.submitted_by_id != request.user.pk:
                submission = f"web-{uuidlib.uuid4()}"  # never replace someone else's answers
            try:
                response_upsert(
                    by=actor(request),
                    instrument=instrument,
                    uuid=submission,
                    submitted_at=timezone.now(),
                    source=Source.WEB,
                    answers=answers,
                    links=links,
                )
            except ValidationError as exc:
                errors["_uuid"] = " ".join(exc.messages)
            else:
                messages.success(request, _("Thank you: your answers were saved."))
                return redirect(f"{request.path}?sent=1")
    return form_page(
        request,
        instrument,
        fields,
        errors,
        posted,
        partnerships=partnerships,
        prefill_partnership=request.GET.get("partnership", ""),
        sent=request.GET.get("sent") == "1",
    )


def form_page(
    request: HttpRequest,
    instrument: Instrument,
    fields: list[Any],
    errors: dict[str, str],
    posted: dict[str, list[str]],
    **extra: Any,
) -> HttpResponse:
    """The survey's web form, as it was posted (errors beside the answers) or fresh, with a new submission id
    unless the post had one (a resend of the same answers replaces them)."""
    submission_id = (posted.get("_uuid") or [str(uuidlib.uuid4())])[0]
    languages = form_languages(labels for labels in instrument.questions.values_list("labels", flat=True))
    chosen = request.GET.get("lang", "")
    chosen = chosen if chosen in languages else ""
    context = {
        "i": instrument,
        "fields": fields,
        "errors": errors,
        "posted": posted,
        "submission_id": submission_id,
        "form_languages": languages if len(languages) > 1 else [],
        "form_language": chosen,
        "keep": {k: v for k, v in request.GET.items() if k in ("partnership",)},
    }
    token = FORM_LANGUAGE.set(chosen)  # the labels are read while the page is rendered
    try:
        return render(request, "evaluation/instrument_form.html", {**context, **extra})
    finally:
        FORM_LANGUAGE.reset(token)


@login_required
def instrument_upload(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage_instruments(request.user):
        raise PermissionDenied
    context: dict[str, Any] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = [_("choose an XLSForm (.xlsx) file")]
        else:
            try:
                instrument = instrument_save(
                    by=actor(request),
                    raw=upload.read(),
                    name=upload.name or "form.xlsx",
                    slug=request.POST.get("slug", "").strip(),
                    media={f.name or "choices.csv": f.read() for f in request.FILES.getlist("media")},
                )
            except FormRejected as exc:
                context.update(errors=[f"{upload.name}, {e}" for e in exc.errors], rejected=True)
            except ValidationError as exc:
                context.update(errors=exc.messages, rejected=True)
            else:
                context["result"] = _("Instrument %(slug)s saved: %(n)s questions.") % {
                    "slug": instrument.slug,
                    "n": instrument.questions.count(),
                }
                context["instrument"] = instrument
        template = "evaluation/_upload_result.html" if request.htmx else "evaluation/upload_xlsform.html"  # type: ignore[attr-defined]
        return render(request, template, context)
    return render(request, "evaluation/upload_xlsform.html", context)


@login_required
def responses_upload(request: HttpRequest) -> HttpResponse:
    if not selectors.can_manage_instruments(request.user):
        raise PermissionDenied
    instruments = selectors.instruments_visible_to(request.user)
    context: dict[str, Any] = {"instruments": instruments, "chosen": request.GET.get("instrument", "")}
    if request.method == "POST":
        upload = request.FILES.get("file")
        chosen = request.POST.get("instrument", "")
        context["chosen"] = chosen
        instrument = instruments.filter(slug=chosen).first() if chosen else None
        if upload is None:
            context["errors"] = [_("choose a CSV or XLSX export")]
        else:
            try:
                result = import_responses(upload, instrument=instrument, user=actor(request), name=upload.name)
            except ImportRejected as exc:
                context.update(errors=[str(e) for e in exc.errors], rejected=True)
            else:
                context["result"] = str(result)
                context["warnings"] = result.warnings
        template = "evaluation/_upload_result.html" if request.htmx else "evaluation/upload_responses.html"  # type: ignore[attr-defined]
        return render(request, template, context)
    return render(request, "evaluation/upload_responses.html", context)
