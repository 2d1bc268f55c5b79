"""Pages of projects (IATI activities): list, detail, IATI XML download, IATI upload."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from healthlinks.interchange.iati.exporter import write_activities
from healthlinks.interchange.iati.importer import can_import, import_iati
from healthlinks.projects import selectors
from healthlinks.projects.models import Project
from healthlinks.registry import selectors as registry_selectors
from healthlinks.web.history import history_entries
from healthlinks.web.views import PAGE_SIZE, actor, visible_partnership

TRANSACTION_TYPES = {
    "1": _("Incoming funds"),
    "2": _("Outgoing commitment"),
    "3": _("Disbursement"),
    "4": _("Expenditure"),
    "5": _("Interest payment"),
    "6": _("Loan repayment"),
    "7": _("Reimbursement"),
    "8": _("Purchase of equity"),
    "9": _("Sale of equity"),
    "10": _("Credit guarantee"),
    "11": _("Incoming commitment"),
    "12": _("Outgoing pledge"),
    "13": _("Incoming pledge"),
}
ROLES = {
    "1": gettext_lazy("Funding"),
    "2": gettext_lazy("Accountable"),
    "3": gettext_lazy("Extending"),
    "4": gettext_lazy("Implementing"),
}
RESULT_TYPES = {
    "1": gettext_lazy("Output"),
    "2": gettext_lazy("Outcome"),
    "3": gettext_lazy("Impact"),
    "9": gettext_lazy("Other"),
}


@require_safe
def project_list(request: HttpRequest) -> HttpResponse:
    slug = request.GET.get("partnership", "")
    q = request.GET.get("q", "").strip()
    held = request.GET.get("held") == "1"
    qs = selectors.project_list(request.user, partnership=slug, q=q, held=held)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/project_list.html",
        {
            "page": page,
            "slug": slug,
            "q": q,
            "held": held,
            "querystring": query.urlencode(),
            "can_import": request.user.is_authenticated and can_import(actor(request)),
        },
    )


@require_safe
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project: Project = get_object_or_404(selectors.with_parts(selectors.projects_visible_to(request.user)), pk=pk)
    if project.partnership is None:  # held for review: only those who may see it (hub admins, its importer)
        access = registry_selectors.Access.EDIT
    else:
        access = registry_selectors.partnership_access(request.user, project.partnership)
    transactions = [
        (t, TRANSACTION_TYPES.get(t.transaction_type, t.transaction_type)) for t in project.transactions.all()
    ]
    participants = [(p, ROLES.get(p.role, p.role)) for p in project.participants.all()]
    results = [(r, RESULT_TYPES.get(r.result_type, r.result_type)) for r in project.results.all()]
    context: dict[str, Any] = {
        "project": project,
        "participants": participants,
        "transactions": transactions,
        "results": results,
        "history": history_entries(project) if access >= registry_selectors.Access.MEMBER else None,
    }
    return render(request, "web/project_detail.html", context)


@require_safe
def partnership_iati(request: HttpRequest, slug: str) -> HttpResponse:
    """The partnership's projects as IATI 2.03 activity XML (anyone who may see the partnership)."""
    partnership, _access = visible_partnership(request, slug)
    projects = selectors.with_parts(Project.objects.filter(partnership=partnership).order_by("pk"))
    if not projects.exists():  # an <iati-activities/> with no activity is not a valid IATI file: say so instead
        message = _(
            "Nothing to publish: %(p)s has no project yet. An IATI activity file lists projects, and a file "
            "without one would not be valid."
        ) % {"p": partnership.name}
        return HttpResponse(message, status=404, content_type="text/plain; charset=utf-8")
    out = io.BytesIO()
    write_activities(projects, out)
    response = HttpResponse(out.getvalue(), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{partnership.slug}-iati.xml"'
    return response


@login_required
def iati_import_page(request: HttpRequest) -> HttpResponse:
    """Upload an IATI activity file (coordinators and hub admins); the report is shown at once."""
    user = actor(request)
    if not can_import(user):
        raise PermissionDenied
    context: dict[str, Any] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("choose an IATI activity XML file")
        else:
            context["report"] = import_iati(
                upload, user=user, strict=request.POST.get("strict") == "on", name=upload.name or "upload"
            )
    return render(request, "web/iati_import.html", context)
