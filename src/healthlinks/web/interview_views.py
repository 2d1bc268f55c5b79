"""Pages of coded interviews: sources, coding in the browser, codebook, analysis, REFI-QDA import/export.

Who may do what (interviews/selectors.py decides):
  read transcripts, code, write memos      members and coordinators of the partnership, hub admins
  add sources, speakers, import .qdpx      coordinators of the partnership, hub admins
  edit the codebook, import .qdc           coordinators (any), hub admins
  analysis and segments of a code          the above, and researchers (segments without speakers or titles)
  public                                    nothing (log-in page)"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from healthlinks.interchange.refi_qda.project import export_qdc, export_qdpx, import_qdc, import_qdpx
from healthlinks.interchange.refi_qda.safe import QdaRejected
from healthlinks.interviews import selectors, services
from healthlinks.interviews.models import Code, Segment, Source, SpeakerRole
from healthlinks.reference.models import Country
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Institution, Partnership
from healthlinks.web import interview_charts
from healthlinks.web.views import actor

MAX_UPLOAD = 50 * 1024 * 1024


def _source_for(request: HttpRequest, pk: int) -> Source:
    source = get_object_or_404(Source.objects.select_related("partnership"), pk=pk)
    if not selectors.can_read_source(request.user, source):
        raise Http404
    return source


def _can_edit_source(request: HttpRequest, source: Source) -> bool:
    return selectors.sources_editable_by(request.user).filter(pk=source.pk).exists()


@login_required
@require_safe
def interviews_home(request: HttpRequest) -> HttpResponse:
    sources = (
        selectors.sources_readable_by(request.user)
        .annotate(n_segments=Count("segments"))
        .order_by("partnership__name", "title")
    )
    return render(
        request,
        "interviews/home.html",
        {
            "sources": sources,
            "can_add": selectors.can_add_sources(request.user),
            "can_edit_codebook": selectors.can_edit_codebook(request.user),
            "partnerships": registry_selectors.partnerships_editable_by(request.user).order_by("name"),
        },
    )


@login_required
def source_new(request: HttpRequest) -> HttpResponse:
    partnerships = registry_selectors.partnerships_editable_by(request.user).order_by("name")
    if not partnerships.exists():
        raise PermissionDenied
    context: dict[str, Any] = {"partnerships": partnerships, "values": request.POST}
    if request.method == "POST":
        partnership = partnerships.filter(slug=request.POST.get("partnership", "")).first()
        upload = request.FILES.get("file")
        errors: dict[str, str] = {}
        text = request.POST.get("content", "")
        if partnership is None:
            errors["partnership"] = _("choose one of your partnerships")
        if upload is not None:
            if upload.size and upload.size > MAX_UPLOAD:
                errors["file"] = _("the file is larger than 50 MB")
            else:
                try:
                    text = services.text_from_upload(upload.name or "upload", upload.read())
                except ValidationError as exc:
                    errors["file"] = " ".join(exc.messages)
        if not text.strip() and "file" not in errors:
            errors["content"] = _("paste the transcript or choose a .txt or .docx file")
        institution = None
        if request.POST.get("institution") and partnership is not None:
            institution = Institution.objects.filter(
                pk=request.POST["institution"], memberships__partnership=partnership
            ).first()
        if not errors:
            try:
                source = services.source_save(
                    by=actor(request),
                    partnership=partnership,
                    institution=institution,
                    title=request.POST.get("title", "").strip() or (upload.name if upload else ""),
                    content=text,
                    interview_date=request.POST.get("interview_date") or None,
                    language=request.POST.get("language", "en") or "en",
                )
            except ValidationError as exc:
                errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
            else:
                messages.success(request, _("Transcript saved."))
                return redirect("interview-source", pk=source.pk)
        context["errors"] = errors
    return render(request, "interviews/source_form.html", context)


def _pieces(source: Source, segments: list[Segment]) -> list[dict[str, Any]]:
    """The text cut at line ends and at every segment boundary; each piece knows its offset and its codes.
    Newlines are emitted outside the pieces, so a browser selection inside a piece maps to exact offsets
    whatever the browser does with line endings."""
    text = source.content
    cuts = {0, len(text)}
    for s in segments:
        cuts.update((s.start, s.end))
    position = 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        cuts.update((position + len(stripped), position + len(line)))
        position += len(line)
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    pieces: list[dict[str, Any]] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        chunk = text[a:b]
        if chunk in ("\n", "\r\n", "\r"):
            pieces.append({"newline": True})
            continue
        covering = [s for s in segments if s.start < b and s.end > a]
        pieces.append(
            {
                "start": a,
                "text": chunk,
                "codes": ", ".join(sorted({s.code.name for s in covering})),
                "colour": covering[0].code.colour if covering else "",
                "segments": " ".join(str(s.pk) for s in covering),
            }
        )
    return pieces


@login_required
@require_safe
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source_for(request, pk)
    segments = list(source.segments.select_related("code", "speaker", "coder").order_by("start", "end"))
    counts = selectors.code_counts(request.user)
    source_counts = dict(source.segments.values("code_id").annotate(n=Count("id")).values_list("code_id", "n"))
    codebook = [
        {"code": c, "depth": d, "indent": "· " * d, "total": counts.get(c.pk, 0), "here": source_counts.get(c.pk, 0)}
        for c, d in selectors.codebook()
    ]
    return render(
        request,
        "interviews/source_detail.html",
        {
            "source": source,
            "pieces": _pieces(source, segments),
            "segments": segments,
            "codebook": codebook,
            "memos": selectors.memos_visible_to(request.user).filter(source=source),
            "segment_memos": selectors.memos_visible_to(request.user)
            .filter(segment__source=source)
            .select_related("segment__code"),
            "speakers": source.speakers.select_related("country"),
            "roles": SpeakerRole.choices,
            "countries": Country.objects.order_by("name"),
            "can_edit": _can_edit_source(request, source),
        },
    )


def _json_error(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@login_required
@require_POST
def segment_create(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source_for(request, pk)
    if not selectors.can_code(request.user, source):
        raise PermissionDenied
    try:
        code = Code.objects.get(pk=int(request.POST.get("code", "")))
        start, end = int(request.POST.get("start", "")), int(request.POST.get("end", ""))
    except (ValueError, Code.DoesNotExist):
        return _json_error(_("choose a code and select a passage"))
    try:
        segment = services.segment_create(by=actor(request), source=source, code=code, start=start, end=end)
    except ValidationError as exc:
        return _json_error(" ".join(exc.messages))
    memo = request.POST.get("memo", "").strip()
    if memo:
        services.memo_create(by=actor(request), text=memo, partnership=source.partnership, segment=segment)
    return JsonResponse(
        {"id": segment.pk, "code": code.name, "text": segment.text, "count": code.segments.count()}, status=201
    )


@login_required
@require_POST
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_object_or_404(Segment.objects.select_related("source__partnership"), pk=pk)
    if not selectors.can_code(request.user, segment.source):
        raise Http404
    source_pk = segment.source_id
    services.segment_delete(by=actor(request), segment=segment)
    return redirect("interview-source", pk=source_pk)


@login_required
@require_POST
def memo_create(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source_for(request, pk)
    if not selectors.can_code(request.user, source):
        raise PermissionDenied
    target: dict[str, Any] = {"source": source}
    if request.POST.get("segment"):
        target = {"segment": get_object_or_404(Segment, pk=request.POST["segment"], source=source)}
    elif request.POST.get("code"):
        target = {"code": get_object_or_404(Code, pk=request.POST["code"])}
    try:
        services.memo_create(
            by=actor(request), text=request.POST.get("text", ""), partnership=source.partnership, **target
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("interview-source", pk=source.pk)


@login_required
@require_POST
def speaker_save(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source_for(request, pk)
    if not _can_edit_source(request, source):
        raise PermissionDenied
    label = request.POST.get("label", "").strip()
    try:
        if not label:
            raise ValidationError(_("give the speaker's label as written in the text, e.g. Speaker A"))
        services.speaker_save(
            by=actor(request),
            source=source,
            label=label,
            role=request.POST.get("role", "other"),
            description=request.POST.get("description", "").strip(),
            country_id=request.POST.get("country") or None,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("interview-source", pk=source.pk)


@login_required
def codebook_page(request: HttpRequest) -> HttpResponse:
    can_edit = selectors.can_edit_codebook(request.user)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if request.POST.get("action") == "starter":
            loaded = services.codebook_load_starter(by=actor(request))
            messages.success(request, _("Starter codebook: %(n)s codes added.") % {"n": loaded["created"]})
            return redirect("interview-codebook")
        code = get_object_or_404(Code, pk=request.POST["code"]) if request.POST.get("code") else None
        parent = Code.objects.filter(pk=request.POST.get("parent") or 0).first()
        try:
            services.code_save(
                by=actor(request),
                code=code,
                name=request.POST.get("name", "").strip(),
                description=request.POST.get("description", "").strip(),
                colour=request.POST.get("colour", "").strip(),
                parent=parent,
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))
        else:
            messages.success(request, _("Codebook saved."))
        return redirect("interview-codebook")
    counts = selectors.code_counts(request.user)
    return render(
        request,
        "interviews/codebook.html",
        {
            "codebook": [
                {"code": c, "depth": d, "indent": "· " * d, "total": counts.get(c.pk, 0)}
                for c, d in selectors.codebook()
            ],
            "can_edit": can_edit,
            "edit": Code.objects.filter(pk=request.GET.get("edit") or 0).first() if can_edit else None,
        },
    )


@login_required
@require_safe
def code_segments(request: HttpRequest, pk: int) -> HttpResponse:
    code = get_object_or_404(Code, pk=pk)
    rows = selectors.segments_for_code(request.user, code, include_children=request.GET.get("children") == "1")
    return render(request, "interviews/code_segments.html", {"code": code, "rows": rows})


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "") for k in ("partnership", "role", "country")}


@login_required
@require_safe
def analysis(request: HttpRequest) -> HttpResponse:
    visible = selectors.segments_visible_to(request.user)
    filters = _filters(request)
    segments = selectors.filter_segments(visible, **filters)
    by = request.GET.get("by", "") if request.GET.get("by") in ("partnership", "role", "country") else ""
    mode = "source" if request.GET.get("mode") == "source" else "overlap"
    frequencies = selectors.code_frequencies(segments, by)
    matrix = selectors.co_occurrence(segments, mode)
    partnership_ids = visible.values("source__partnership_id")
    return render(
        request,
        "interviews/analysis.html",
        {
            "filters": filters,
            "by": by,
            "mode": mode,
            "frequencies": frequencies,
            "matrix": matrix,
            "rows": list(zip(matrix["codes"], matrix["matrix"], strict=True)),
            "frequency_spec": interview_charts.code_frequency(frequencies, by),
            "matrix_spec": interview_charts.co_occurrence(matrix["cells"]),
            "partnerships": Partnership.objects.filter(pk__in=partnership_ids).order_by("name"),
            "roles": [*SpeakerRole.choices, (selectors.NOT_RECORDED, _("not recorded"))],
            "countries": Country.objects.filter(
                Q(iso3__in=visible.values("speaker__country_id"))
                | Q(iso3__in=visible.values("source__institution__country_id"))
            ).order_by("name"),
        },
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    partnerships = registry_selectors.partnerships_editable_by(request.user).order_by("name")
    can_codebook = selectors.can_edit_codebook(request.user)
    if not partnerships.exists() and not can_codebook:
        raise PermissionDenied
    context: dict[str, Any] = {"partnerships": partnerships, "can_codebook": can_codebook}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        upload = request.FILES.get("file")
        errors: list[str] = []
        if kind not in ("qdpx", "qdc"):
            errors.append(_("choose what the file holds"))
        elif upload is None:
            errors.append(_("choose a .qdpx or .qdc file"))
        elif upload.size and upload.size > MAX_UPLOAD:
            errors.append(_("the file is larger than 50 MB"))
        else:
            try:
                if kind == "qdc":
                    if not can_codebook:
                        raise PermissionDenied
                    context["result"] = import_qdc(upload.read(), upload.name or "upload.qdc", user=actor(request))
                else:
                    partnership = partnerships.filter(slug=request.POST.get("partnership", "")).first()
                    if partnership is None:
                        errors.append(_("choose the partnership the interviews belong to"))
                    else:
                        context["result"] = import_qdpx(
                            upload.read(), upload.name or "upload.qdpx", partnership=partnership, user=actor(request)
                        )
            except QdaRejected as exc:
                errors.extend(str(e) for e in exc.errors)
                context["rejected"] = True
        context["errors"] = errors
        template = "web/_import_result.html" if request.htmx else "interviews/import.html"  # type: ignore[attr-defined]
        return render(request, template, context)
    return render(request, "interviews/import.html", context)


@login_required
@require_safe
def export_project(request: HttpRequest) -> HttpResponse:
    sources = selectors.sources_readable_by(request.user)
    slug = request.GET.get("partnership", "")
    if slug:
        sources = sources.filter(partnership__slug=slug)
    memos = selectors.memos_visible_to(request.user).select_related("author")
    data = export_qdpx(list(sources), memos=memos, project_name=f"Healthlinks {slug}".strip())
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{slug or "healthlinks"}-interviews.qdpx"'
    return response


@login_required
@require_safe
def export_codebook(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(export_qdc(), content_type="application/xml")
    response["Content-Disposition"] = 'attachment; filename="healthlinks-codebook.qdc"'
    return response
