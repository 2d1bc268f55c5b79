"""The strategy planner's comparison as a PDF (issue 26 §1): the plans chosen on the plans page, with the same seed,
draws and figures, laid out for print as the other reports are (the page's Vega-Lite charts drawn on the server
by vl-convert, the page by WeasyPrint, the report stylesheet inside the file, the reader's language and its
direction). Who may read the plans page may download it."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import planner_evidence
from healthlinks.labels import label
from healthlinks.planning import selectors
from healthlinks.planning.models import Plan
from healthlinks.planning.simulate import simulate
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import Access, AnyUser
from healthlinks.web import planning_charts
from healthlinks.web.planning_views import COMPARED, SEED, words
from healthlinks.web.reports import CHART_WIDTH
from healthlinks.web.views import visible_partnership

REPORT_FONT = "DejaVu Sans"  # report.css's first font


def chart_png(spec: dict[str, Any]) -> bytes:
    """A chart drawn by vl-convert as the other reports draw theirs, but as a picture at twice the print width: an
    SVG's text is drawn by WeasyPrint glyph by glyph, which leaves Arabic unjoined and in the wrong order, and
    measured in another font than it is drawn in (its labels then run off the edge). vl-convert shapes the text.
    """
    import vl_convert

    spec = {**spec, "config": {**spec.get("config", {}), "font": REPORT_FONT}}
    if isinstance(spec.get("title"), dict):  # cut into lines for phones; on paper one line, and a title of lines
        spec["title"] = {**spec["title"], "text": chart_title(spec)}  # of right-to-left text is drawn overlapping
    if spec.get("width") == "container":
        spec["width"] = CHART_WIDTH
    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


def chart_title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "")
    return " ".join(title.get("text", [])) if isinstance(title, dict) else str(title)


def chosen_plans(user: AnyUser, partnership: Partnership, wanted: list[str]) -> list[Plan]:
    """The plans the page compares: those ticked (`?plan=ID`, any number), else the first COMPARED."""
    plans = list(selectors.plans_visible_to(user, partnership=partnership))
    return [p for p in plans if str(p.pk) in wanted] if wanted else plans[:COMPARED]


def count(value: float) -> str:
    """A count as the page shows it (floatformat:0)."""
    return "—" if math.isnan(value) else str(floatformat(value, 0))


def money(value: float) -> str:
    """An amount as the page shows it (floatformat:"0g")."""
    return "—" if math.isnan(value) else str(floatformat(value, "0g"))


def percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{floatformat(100 * value, 0)}%"


def points(value: float) -> str:
    """A difference in percentage points, signed as the page's sentences sign it."""
    return "—" if math.isnan(value) else f"{100 * value:+.0f}"


def signed(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:+.0f}"


def spread(figure: dict[str, float] | None, show: Callable[[float], str] = count) -> dict[str, str] | None:
    """An expected figure and its 90% interval, each written as `show` writes it: {"median", "interval"}."""
    if figure is None:
        return None
    return {"median": show(figure["median"]), "interval": f"{show(figure['low'])}–{show(figure['high'])}"}


def difference(figure: dict[str, float] | None, show: Callable[[float], str]) -> dict[str, str] | None:
    """A signed difference and its interval, "low to high" as in the page's sentences (a dash would read as minus)."""
    if figure is None:
        return None
    return {
        "median": show(figure["median"]),
        "interval": _("{low} to {high}").format(low=show(figure["low"]), high=show(figure["high"])),
    }


def lines_in_words(plan: Plan) -> list[dict[str, Any]]:
    """A plan's kinds of stay as the reader reads them: codes as labels, the day rate and where it came from."""
    out = []
    for line in plan.lines.all():
        rate, from_table = selectors.day_rate_of(line)
        out.append(
            {
                "mode": line.get_mode_display(),
                "per_year": line.per_year,
                "days": line.days,
                "volunteers": line.volunteers,
                "cadre": label("cadre", line.cadre.code) if line.cadre is not None else "—",
                "training_of_trainers": line.training_of_trainers,
                "cost_per_stay": money(float(line.cost_per_stay)),
                "day_rate": money(rate),
                "day_rate_from_table": from_table,
            }
        )
    return out


def comparison(user: AnyUser, partnership: Partnership, wanted: list[str]) -> dict[str, Any] | None:
    """Everything the PDF shows, computed as the plans page computes it (same evidence, seed and draws); None when
    the partnership has no plan to compare."""
    chosen = chosen_plans(user, partnership, wanted)
    if not chosen:
        return None
    evidence = planner_evidence(user, Scope())
    result = simulate(evidence, [selectors.plan_input(p) for p in chosen], seed=SEED)
    plans = []
    for plan, figures in zip(chosen, result["plans"], strict=True):
        plans.append(
            {
                "plan": plan,
                "lines": lines_in_words(plan),
                "f": figures,
                "reached": spread(figures["reached"]),
                "practice_change": spread(figures["practice_change"]),
                "rate": spread(figures["rate"], percent),
                "trainers": spread(figures["trainers"]),
                "volunteer_days": count(figures["volunteer_days"]),
                "financial_cost": money(figures["financial_cost"]),
                "economic_cost": money(figures["economic_cost"]),
                "budget": None if figures["budget"] is None else money(figures["budget"]),
                "cost_per_practice_change": spread(figures["cost_per_practice_change"], money),
                "rate_difference": difference(figures.get("rate_difference"), points),
                "change_difference": difference(figures.get("change_difference"), signed),
            }
        )
    charts = [
        {"src": "data:image/png;base64," + base64.b64encode(chart_png(spec)).decode(), "alt": chart_title(spec)}
        for _id, spec in planning_charts.specs(result["plans"])
    ]
    return {
        "p": partnership,
        "result": result,
        "plans": plans,
        "words": words(result["plans"]),
        "charts": charts,
        "currency": settings.HEALTHLINKS_REPORTING_CURRENCY,
        "generated": timezone.now(),
    }


def _stylesheet() -> str:
    """The report stylesheet inside the file: it is read offline, never under the site's Content-Security-Policy."""
    found = finders.find("healthlinks/report.css")
    path = found if isinstance(found, str) else found[0] if found else None
    css = Path(path).read_text() if path else ""
    return mark_safe(f"<style>{css}</style>")  # noqa: S308 (our own static file)


def plans_html(context: dict[str, Any]) -> str:
    return render_to_string("web/plans_report.html", context | {"stylesheet": _stylesheet()})


def plans_pdf(context: dict[str, Any]) -> bytes:
    import weasyprint

    html = plans_html(context)
    return bytes(weasyprint.HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf() or b"")


@login_required
@require_safe
def plans_pdf_page(request: HttpRequest, slug: str) -> HttpResponse:
    """`/partnerships/<slug>/plans/report.pdf?plan=ID…`: the comparison the plans page shows, as a PDF."""
    partnership, access = visible_partnership(request, slug)
    if access < Access.MEMBER:  # as the plans page: the partnership's own thinking
        raise PermissionDenied
    context = comparison(request.user, partnership, request.GET.getlist("plan"))
    if context is None:
        messages.info(
            request, _("No plan to compare, so no PDF: add a plan or tick the plans to compare, then download again.")
        )
        return redirect("plans", slug=partnership.slug)
    response = HttpResponse(plans_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="healthlinks-plans-{partnership.slug}.pdf"'
    return response
