"""The research export page: what the pseudonymised export holds, its small-cell warnings, and the zip download
(hub administrators and researchers only). The export itself is interchange.research."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from healthlinks import labels
from healthlinks.interchange.research import export as research
from healthlinks.interchange.research.tables import TABLES
from healthlinks.registry import selectors as registry_selectors
from healthlinks.web.views import actor

SMALL_CELLS_SHOWN = 100


def _allowed(request: HttpRequest) -> str:
    """The partnership asked for ("" for all); 403 for roles that may not export, 404 for a partnership they may
    not see."""
    if not research.may_export(request.user):
        raise PermissionDenied
    slug = request.GET.get("partnership", "").strip()
    if slug and not registry_selectors.partnerships_visible_to(request.user).filter(slug=slug).exists():
        raise Http404
    return slug


def _small_cells_in_words(cells: list[Any]) -> list[dict[str, Any]]:
    """Country, cadre and sex as words (the export keeps the codes; "(none recorded)" reads "not recorded")."""
    countries = labels.labeller("country", {c.country for c in cells})
    cadres = labels.labeller("cadre", {c.cadre for c in cells})
    sexes = labels.labeller("sex")
    missing = research.NO_PLACE

    def word(value: str, label: Any) -> str:
        return label("") if value == missing else label(value)

    return [
        {
            "country": word(c.country, countries),
            "cadre": word(c.cadre, cadres),
            "sex": word(c.sex, sexes),
            "count": c.count,
        }
        for c in cells
    ]


@login_required
@require_safe
def research_export_page(request: HttpRequest) -> HttpResponse:
    slug = _allowed(request)
    summary = research.preview(actor(request), slug)
    partnerships = registry_selectors.partnerships_visible_to(request.user).order_by("name").values("slug", "name")
    return render(
        request,
        "web/research_export.html",
        {
            "summary": summary,
            "small_cells": _small_cells_in_words(summary.small_cells[:SMALL_CELLS_SHOWN]),
            "more_small_cells": max(len(summary.small_cells) - SMALL_CELLS_SHOWN, 0),
            "threshold": research.SMALL_CELL,
            "partnerships": partnerships,
            "partnership": slug,
            "tables": TABLES,
        },
    )


@login_required
@require_safe
def research_export_zip(request: HttpRequest) -> HttpResponseBase:
    slug = _allowed(request)
    export = research.build_export(actor(request), slug)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent, and so deletes it)
    research.write_zip(export, out)
    out.seek(0)
    name = f"healthlinks-research-{timezone.localdate().isoformat()}{'-' + slug if slug else ''}.zip"
    return FileResponse(out, as_attachment=True, filename=name, content_type="application/zip")
