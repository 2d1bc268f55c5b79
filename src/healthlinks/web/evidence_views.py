"""Pages of the evidence library: searchable list (htmx), detail with themes and links, RIS/BibTeX import and
export. Reading is public (published literature); links to partnerships are listed only for partnerships the
reader may see. Adding, tagging and linking: signed-in users other than researchers (read-only role)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from healthlinks.evidence import selectors, services
from healthlinks.evidence.models import ReferenceType, Theme
from healthlinks.interchange.bibliography import BibliographyRejected, export_bibtex, export_ris, import_references
from healthlinks.reference.models import Country, Specialty
from healthlinks.web.views import PAGE_SIZE, actor

MAX_UPLOAD = 20 * 1024 * 1024
FORMATS = {"ris": ("application/x-research-info-systems", "ris"), "bib": ("application/x-bibtex", "bib")}


class ReferenceFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False)
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), required=False, choices=[("", "—"), *ReferenceType.choices])
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=1500, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", "—"), *Theme.objects.values_list("slug", "name")]  # type: ignore[attr-defined]


def _filters(request: HttpRequest) -> tuple[ReferenceFilterForm, dict[str, Any]]:
    form = ReferenceFilterForm(request.GET or None)
    filters = {k: v for k, v in (form.cleaned_data.items() if form.is_valid() else []) if v}
    if request.GET.get("partnership"):
        filters["partnership"] = request.GET["partnership"]
    return form, filters


@require_safe
def reference_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    qs = selectors.reference_list(request.user, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "querystring": query.urlencode(),
        "can_add": selectors.can_add_references(request.user),
    }
    template = "evidence/_results.html" if request.htmx else "evidence/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def reference_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reference = get_object_or_404(selectors.reference_list(request.user), pk=pk)
    can_edit = selectors.can_add_references(request.user)
    linkable = selectors.linkable_partnerships(request.user)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        themes = services.themes_get_or_create(request.POST.get("themes", "").split(","))
        chosen = set(request.POST.getlist("partnerships"))
        # links the user may not manage (partnerships they do not belong to) are kept as they are
        kept = reference.partnerships.exclude(pk__in=linkable.values("pk"))
        services.reference_links_set(
            by=actor(request),
            reference=reference,
            themes=themes,
            partnerships=[*kept, *linkable.filter(slug__in=chosen)],
            specialties=Specialty.objects.filter(slug__in=request.POST.getlist("specialties")),
            countries=Country.objects.filter(iso3__in=request.POST.getlist("countries")),
        )
        messages.success(request, _("Reference saved."))
        return redirect("evidence-detail", pk=reference.pk)
    return render(
        request,
        "evidence/detail.html",
        {
            "r": reference,
            "can_edit": can_edit,
            "linkable": linkable if can_edit else [],
            "linked": set(reference.partnerships.values_list("slug", flat=True)),
            "specialties": Specialty.objects.order_by("name") if can_edit else [],
            "countries": Country.objects.order_by("name") if can_edit else [],
            "chosen_specialties": set(reference.specialties.values_list("slug", flat=True)),
            "chosen_countries": set(reference.countries.values_list("iso3", flat=True)),
            "theme_names": ", ".join(t.name for t in reference.themes.all()),
            "may_match_authors": len(reference.authors) > 1 and selectors.may_match_authors(request.user),
        },
    )


@login_required
def coauthors(request: HttpRequest, pk: int) -> HttpResponse:
    """The authors of a reference beside the people of the registry whose names match (only people whose
    partnership the user may edit); the coordinator picks, for each author, the person or none, and the people
    picked are tied as co-authors. One radio group per author: keyboard and no-JS friendly."""
    if not selectors.may_match_authors(request.user):
        raise PermissionDenied
    reference = get_object_or_404(selectors.reference_list(request.user), pk=pk)
    matches = selectors.coauthor_candidates(request.user, reference)
    errors: list[str] = []
    if request.method == "POST":
        chosen = {}
        for match in matches:
            picked = request.POST.get(f"author-{match.position}", "")
            if picked:
                person = next((p for p in match.candidates if p.pseudo_id == picked), None)
                if person is None:
                    errors.append(_("author {n}: choose one of the people listed").format(n=match.position + 1))
                else:
                    chosen[match.position] = person
        if not errors:
            try:
                ties = services.coauthors_confirm(by=actor(request), reference=reference, chosen=chosen)
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                messages.success(
                    request,
                    ngettext("%(n)s co-author tie recorded.", "%(n)s co-author ties recorded.", len(ties))
                    % {"n": len(ties)},
                )
                return redirect("evidence-coauthors", pk=reference.pk)
    return render(
        request,
        "evidence/coauthors.html",
        {
            "r": reference,
            "rows": [(m, request.POST.get(f"author-{m.position}", "")) for m in matches],
            "errors": errors,
            "any_candidates": any(m.candidates for m in matches),
        },
        status=400 if errors else 200,
    )


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not selectors.can_add_references(request.user):
        raise PermissionDenied
    linkable = selectors.linkable_partnerships(request.user)
    context: dict[str, Any] = {"partnerships": linkable}
    if request.method == "POST":
        fmt = request.POST.get("format", "")
        upload = request.FILES.get("file")
        errors: list[str] = []
        if fmt not in ("ris", "bibtex", "medline"):
            errors.append(_("choose RIS, BibTeX or PubMed MEDLINE"))
        elif upload is None:
            errors.append(_("choose a .ris, .bib or .nbib file"))
        elif upload.size and upload.size > MAX_UPLOAD:
            errors.append(_("the file is larger than 20 MB"))
        else:
            partnership = linkable.filter(slug=request.POST.get("partnership", "")).first()
            try:
                context["result"] = import_references(
                    upload.read(),
                    upload.name or "upload",
                    fmt=fmt,
                    user=actor(request),
                    partnership=partnership,
                    themes=[t for t in request.POST.get("themes", "").split(",") if t.strip()],
                )
            except BibliographyRejected as exc:
                errors.extend(str(e) for e in exc.errors)
                context["rejected"] = True
        context["errors"] = errors
        template = "web/_import_result.html" if request.htmx else "evidence/import.html"  # type: ignore[attr-defined]
        return render(request, template, context)
    return render(request, "evidence/import.html", context)


@require_safe
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    _form, filters = _filters(request)
    references = selectors.reference_list(request.user, **filters)
    body = export_ris(references) if fmt == "ris" else export_bibtex(references)
    content_type, extension = FORMATS[fmt]
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="healthlinks-evidence.{extension}"'
    return response
