"""The strategy planner's comparison as a PDF (issue 26 §1): the plans chosen on the plans page, with the same seed,
draws and figures, laid out for print as the other reports are (the page's Vega-Lite charts drawn on the server
by vl-convert, the page by WeasyPrint, the report stylesheet inside the file, the reader's language and its
direction). Who may read the plans page may download it."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from healthlinks.labels import label
from healthlinks.planning import selectors
from healthlinks.planning.models import Plan
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import Access, AnyUser
from healthlinks.web.planning_views import chosen_plans, comparison
from healthlinks.web.reports import chart_img, chart_title, html_to_pdf, stylesheet
from healthlinks.web.views import visible_partnership


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


def lines_in_words(plan: Plan, rates: selectors.DayRates) -> list[dict[str, Any]]:
    """A plan's kinds of stay as the reader reads them: codes as labels, the day rate and where it came from."""
    out = []
    for line in plan.lines.all():
        rate, from_table = selectors.day_rate_of(line, rates)
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


def report_context(user: AnyUser, partnership: Partnership, wanted: list[str]) -> dict[str, Any] | None:
    """Everything the PDF shows: the plans page's comparison (planning_views.comparison, same evidence, seed and
    draws) written for paper; None when the partnership has no plan to compare."""
    chosen = chosen_plans(list(selectors.plans_visible_to(user, partnership=partnership)), wanted)
    if not chosen:
        return None
    context = comparison(user, chosen)
    rates = selectors.DayRates()
    plans = []
    for plan, figures in context["rows"]:
        plans.append(
            {
                "plan": plan,
                "lines": lines_in_words(plan, rates),
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
    charts = [{"src": chart_img(spec), "alt": chart_title(spec)} for _id, spec in context["specs"]]
    return context | {"p": partnership, "plans": plans, "charts": charts, "generated": timezone.now()}


def plans_html(context: dict[str, Any]) -> str:
    return render_to_string("web/plans_report.html", context | {"stylesheet": stylesheet()})


def plans_pdf(context: dict[str, Any]) -> bytes:
    return html_to_pdf(plans_html(context))


@login_required
@require_safe
def plans_pdf_page(request: HttpRequest, slug: str) -> HttpResponse:
    """`/partnerships/<slug>/plans/report.pdf?plan=ID…`: the comparison the plans page shows, as a PDF."""
    partnership, access = visible_partnership(request, slug)
    if access < Access.MEMBER:  # as the plans page: the partnership's own thinking
        raise PermissionDenied
    context = report_context(request.user, partnership, request.GET.getlist("plan"))
    if context is None:
        messages.info(
            request, _("No plan to compare, so no PDF: add a plan or tick the plans to compare, then download again.")
        )
        return redirect("plans", slug=partnership.slug)
    response = HttpResponse(plans_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="healthlinks-plans-{partnership.slug}.pdf"'
    return response
