"""Page views: parse the request, call selectors/services, render. No business rules here."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks.accounts.models import User
from healthlinks.analytics import store
from healthlinks.network import selectors as network_selectors
from healthlinks.reference.models import Country, ReferenceDataset
from healthlinks.registry import selectors, services
from healthlinks.registry.models import GeographyClass, Institution, Partnership, PartnershipMember
from healthlinks.results.selectors import partnership_summary
from healthlinks.tasks.services import latest_reports
from healthlinks.web import charts
from healthlinks.web.concurrency import Stale, merge_stale, record_version
from healthlinks.web.forms import (
    AssessmentForm,
    InstitutionForm,
    MemberFormSet,
    PartnershipFilterForm,
    PartnershipForm,
)
from healthlinks.web.history import history_entries

PAGE_SIZE = 25


def csv_download(columns: list[str], rows: list[list[Any]], filename: str) -> HttpResponse:
    """A table as a CSV file to save (what a list's "Export them" action answers)."""
    from healthlinks.interchange.tabular.writer import CONTENT_TYPES, write_table

    response = HttpResponse(write_table(columns, rows, "csv"), content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def actor(request: HttpRequest) -> User:
    """The signed-in user behind a write (views that write are all login_required)."""
    assert isinstance(request.user, User)
    return request.user


@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts, map and charts of the partnerships the user may see: the same for everyone who sees the same
    partnerships, so computed once per data version and shared by every server process (analytics.store)."""
    ids = list(selectors.partnerships_visible_to(request.user).order_by("pk").values_list("pk", flat=True))
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=16).hexdigest()
    key = ("dashboard", digest, get_language())
    user = getattr(request.user, "_wrapped", request.user)  # the user itself, not the lazy wrapper: it is pickled
    return render(request, "web/dashboard.html", store.remember(key, store.Recipe(_dashboard_context, (user,))))


def _dashboard_context(user: Any) -> dict[str, Any]:
    counts = selectors.dashboard_counts(user)
    links = selectors.partnership_links(user)
    places: Counter[tuple[float, float, str]] = Counter()
    for link in links:
        places[(round(link["lat"], 1), round(link["lon"], 1), link["from"])] += 1
        places[(round(link["lat2"], 1), round(link["lon2"], 1), link["to"])] += 1
    points = [{"lat": lat, "lon": lon, "name": name, "n": n} for (lat, lon, name), n in places.items()]
    geography_labels = dict(GeographyClass.choices)
    by_geography = [
        {"geography": str(geography_labels.get(row["geography_class"], row["geography_class"])), "n": row["n"]}
        for row in counts["by_geography"]
    ]
    by_specialty = [{"specialty": row["specialties__name"], "n": row["n"]} for row in counts["by_specialty"]]
    return {
        "counts": counts,
        "network": network_selectors.network_counts(user),
        "map_spec": charts.world_map(links, points),
        "geography_spec": charts.bar(by_geography, "geography", "n", _("Partnerships by geography")),
        "specialty_spec": charts.bar(by_specialty, "specialty", "n", _("Partnerships by specialty")),
        "by_geography": by_geography,
        "by_specialty": by_specialty,
    }


def _countries_in_registry() -> list[Country]:
    ids = PartnershipMember.objects.values("institution__country_id").distinct()
    return list(Country.objects.filter(iso3__in=ids).order_by("name"))


@login_required
@require_safe
def workspace(request: HttpRequest) -> HttpResponse:
    """A signed-in user's home: their partnerships by role, what needs attention in each, and the actions."""
    from healthlinks.activities.selectors import attention

    access = selectors.my_partnerships(request.user)
    needs = attention([a.partnership_id for a in access])
    from healthlinks.readiness.selectors import SOON_DAYS, starting_soon_with_missing

    rows = [
        {"access": a, "p": a.partnership, "needs": needs[a.partnership_id], "coordinator": a.role == "coordinator"}
        for a in access
    ]
    coordinated = [a.partnership_id for a in access if a.role == "coordinator"]
    not_ready = starting_soon_with_missing(coordinated, today=date.today()) if coordinated else []
    context = {
        "rows": rows,
        "is_hub_admin": selectors.is_hub_admin(request.user),
        "not_ready": [{"stay": stay, "missing": missing} for stay, missing in not_ready],
        "soon_days": SOON_DAYS,
    }
    return render(request, "web/workspace.html", context)


@require_safe
def partnership_list(request: HttpRequest) -> HttpResponse:
    form = PartnershipFilterForm(request.GET or None, countries=_countries_in_registry())
    filters = {k: v for k, v in (form.cleaned_data.items() if form.is_valid() else []) if v}
    qs = selectors.with_members(selectors.partnership_list(request.user, **filters)).order_by("name", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [(p, selectors.partnership_countries(p)) for p in page.object_list],
        "querystring": query.urlencode(),
        "can_create": selectors.can_create_partnership(request.user),
    }
    template = "web/_partnership_results.html" if request.htmx else "web/partnership_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def visible_partnership(request: HttpRequest, slug: str) -> tuple[Partnership, selectors.Access]:
    partnership = get_object_or_404(selectors.with_members(Partnership.objects.all()), slug=slug)
    access = selectors.partnership_access(request.user, partnership)
    if access == selectors.Access.NONE:
        raise Http404
    return partnership, access


@require_safe
def partnership_detail(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    context: dict[str, Any] = {
        "p": partnership,
        "access": access,
        "has_projects": partnership.projects.exists(),
        "iati_published": partnership.is_published and bool(settings.HEALTHLINKS_IATI_PUBLISHER),
        "sees_research_fields": access >= selectors.Access.RESEARCH,
        "sees_member_fields": access >= selectors.Access.MEMBER,
        "countries": selectors.partnership_countries(partnership),
        "equal_influence": selectors.equal_influence(partnership),
        "can_edit": access >= selectors.Access.EDIT,
        "summary": partnership_summary(partnership),
    }
    if access >= selectors.Access.RESEARCH:
        context["assessments"] = partnership.assessments.select_related("side")
        context["sides"] = selectors.principles_by_side(partnership)
    if access >= selectors.Access.MEMBER:
        context["history"] = history_entries(partnership)
    if request.user.is_authenticated:
        # the report is one click away: its download when its file is there, else "Prepare" (then its progress)
        made = latest_reports(request.user, partnership.slug)
        context["reports"] = [(fmt, name, made.get(fmt, {})) for fmt, name in (("pdf", "PDF"), ("html", _("web page")))]
    return render(request, "web/partnership_detail.html", context)


def _member_specs(formset: Any) -> list[services.MemberSpec]:
    specs = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("institution"):
            continue
        specs.append(
            services.MemberSpec(
                institution=data["institution"], role=data["role"], joined=data.get("joined"), left=data.get("left")
            )
        )
    return specs


def _apply_errors(form: Any, formset: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        if field == "members":
            formset._non_form_errors = formset.error_class(errors)
        elif field in form.fields:
            form.add_error(field, errors)
        else:
            form.add_error(None, errors)


def _save_partnership(request: HttpRequest, partnership: Partnership | None) -> HttpResponse:
    initial_members = (
        [
            {"institution": m.institution, "role": m.role, "joined": m.joined, "left": m.left}
            for m in partnership.members.all()
        ]
        if partnership
        else [{"role": "lead"}, {"role": "partner"}]
    )
    data, stale = merged_post(request, PartnershipForm, partnership)
    form = PartnershipForm(data, instance=partnership)
    formset = MemberFormSet(request.POST or None, initial=initial_members, prefix="members")
    if conflicts_shown(form, stale):
        pass
    elif request.method == "POST" and form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        relations = {k: data.pop(k) for k in ("specialties", "delivery_methods", "funding_schemes")}
        try:
            with transaction.atomic():
                if partnership is None:
                    saved = services.partnership_create(
                        by=actor(request),
                        members=_member_specs(formset),
                        **relations,
                        **data,
                    )
                else:
                    saved = services.partnership_update(
                        by=actor(request),
                        partnership=partnership,
                        members=_member_specs(formset),
                        **relations,
                        **data,
                    )
        except ValidationError as exc:
            _apply_errors(form, formset, exc)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
            say_merged(request, stale)
            return redirect("partnership-detail", slug=saved.slug)
    return render(
        request,
        "web/partnership_form.html",
        {"form": form, "formset": formset, "p": partnership, **version_context(partnership, stale)},
    )


@login_required
def partnership_create(request: HttpRequest) -> HttpResponse:
    if not selectors.can_create_partnership(request.user):
        raise PermissionDenied
    return _save_partnership(request, None)


@login_required
def partnership_edit(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    if access < selectors.Access.EDIT:
        raise PermissionDenied
    return _save_partnership(request, partnership)


@require_safe
def institution_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.institutions_visible_to(request.user).annotate(n_partnerships=Count("memberships"))
    q = request.GET.get("q", "").strip()
    country = request.GET.get("country", "").strip().upper()
    if q:
        qs = qs.filter(name__icontains=q)
    if country:
        qs = qs.filter(country_id=country)
    page = Paginator(qs.order_by("name", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/institution_list.html",
        {
            "page": page,
            "q": q,
            "country": country,
            "countries": _countries_in_registry(),
            "querystring": query.urlencode(),
            "can_create": selectors.can_create_partnership(request.user),
        },
    )


@require_safe
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(selectors.institutions_visible_to(request.user), pk=pk)
    partnerships = selectors.partnerships_visible_to(request.user).filter(members__institution=institution)
    return render(
        request,
        "web/institution_detail.html",
        {
            "i": institution,
            "partnerships": partnerships.order_by("name"),
            "can_edit": selectors.can_edit_institution(request.user, institution),
            "history": history_entries(institution) if request.user.is_authenticated else None,
        },
    )


def _save_institution(request: HttpRequest, institution: Institution | None) -> HttpResponse:
    data, stale = merged_post(request, InstitutionForm, institution)
    form = InstitutionForm(data, instance=institution)
    if conflicts_shown(form, stale):
        pass
    elif request.method == "POST" and form.is_valid():
        try:
            if institution is None:
                saved = services.institution_create(by=actor(request), **form.cleaned_data)
            else:
                saved = services.institution_update(
                    by=actor(request),
                    institution=institution,
                    **form.cleaned_data,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": saved.name})
            say_merged(request, stale)
            return redirect("institution-detail", pk=saved.pk)
    context = {"form": form, "i": institution, **version_context(institution, stale)}
    return render(request, "web/institution_form.html", context)


# Edit forms and concurrent edits (healthlinks.web.concurrency) -------------------------------------------------


def add_service_errors(form: Any, exc: ValidationError) -> None:
    """A service's refusal shown on the form: each message under its field, or the form's own when it has none."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def merged_post(request: HttpRequest, form_class: Any, obj: Any) -> tuple[Any, Stale | None]:
    """The data to bind the form to: None for a GET; a POST merged with changes made since it was opened."""
    if request.method != "POST":
        return None, None
    if obj is None:
        return request.POST, None
    return merge_stale(form_class(instance=obj), obj, request.POST)


def conflicts_shown(form: Any, stale: Stale | None) -> bool:
    """Marks each field both people changed; True when there is any (nothing is saved then)."""
    if stale is None or not stale.conflicts:
        return False
    form.is_valid()
    for name in stale.conflicts:
        form.add_error(name, _("changed by someone else meanwhile: the record now holds another value"))
    return True


def say_merged(request: HttpRequest, stale: Stale | None) -> None:
    if stale is not None and stale.kept:
        messages.info(
            request,
            _("Someone else changed this record meanwhile; their changes were kept with yours: %(fields)s.")
            % {"fields": ", ".join(stale.kept)},
        )


def version_context(obj: Any, stale: Stale | None) -> dict[str, Any]:
    return {"version": stale.version if stale else record_version(obj), "stale": stale}


@login_required
def institution_create(request: HttpRequest) -> HttpResponse:
    if not selectors.can_create_partnership(request.user):
        raise PermissionDenied
    return _save_institution(request, None)


@login_required
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    institution = get_object_or_404(Institution, pk=pk)
    if not selectors.can_edit_institution(request.user, institution):
        raise PermissionDenied
    return _save_institution(request, institution)


@require_safe
def reference(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/reference.html",
        {
            "datasets": ReferenceDataset.objects.all(),
            "ssl": Country.objects.filter(ssl2023=True).order_by("who_region", "name"),
        },
    )


@login_required
def assessment_create(request: HttpRequest, slug: str) -> HttpResponse:
    partnership, access = visible_partnership(request, slug)
    if access < selectors.Access.EDIT:
        raise PermissionDenied
    sides = Institution.objects.filter(memberships__partnership=partnership).order_by("name")
    form = AssessmentForm(request.POST or None, sides=sides)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_create(
                by=actor(request),
                partnership=partnership,
                side=form.cleaned_data["side"],
                assessed_on=form.cleaned_data["assessed_on"],
                scores=form.scores(),
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Self-assessment saved."))
            return redirect("partnership-detail", slug=partnership.slug)
    return render(request, "web/assessment_form.html", {"p": partnership, "form": form})
