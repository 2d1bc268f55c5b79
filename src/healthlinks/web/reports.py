"""The one-click report of a partnership or a programme (a filtered set of partnerships), as HTML or PDF.

The same figures and Vega-Lite specs as the analysis pages; charts are drawn to SVG on the server (vl-convert,
no browser, no network) and the page is laid out for print by WeasyPrint.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _

from healthlinks.analytics import words
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import (
    collective_impact,
    mobility_analysis,
    network_evolution,
    partnership_health,
    typology_analysis,
    value_for_money,
)
from healthlinks.web import charts as chart_specs
from healthlinks.web.analytics_views import (
    comparison_in_words,
    distribution_in_words,
    groups_in_words,
    impact_views,
    mobility_sections,
    network_specs,
)

Progress = Callable[[str, int, int], None]
CHART_WIDTH = 620
STAGES = ("collective impact", "mobility", "network", "value for money", "typology", "charts", "layout")


def _inline_data(spec: Any) -> Any:
    """Replace shipped static data URLs (the world atlas) by the data itself: the renderer fetches nothing."""
    if isinstance(spec, dict):
        out = {}
        for key, value in spec.items():
            if key == "data" and isinstance(value, dict) and str(value.get("url", "")).startswith("/static/"):
                found = finders.find(value["url"].removeprefix("/static/"))
                if found:
                    path = found if isinstance(found, str) else found[0]
                    value = {k: v for k, v in value.items() if k != "url"} | {
                        "values": json.loads(Path(path).read_text())
                    }
            out[key] = _inline_data(value)
        return out
    if isinstance(spec, list):
        return [_inline_data(v) for v in spec]
    return spec


REPORT_FONT = "DejaVu Sans"  # report.css's first font


def chart_title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "")
    return " ".join(title.get("text", [])) if isinstance(title, dict) else str(title)


def chart_png(spec: dict[str, Any]) -> bytes:
    """A Vega-Lite spec drawn by vl-convert as a picture at twice the print width. Not SVG: WeasyPrint draws an
    SVG's text glyph by glyph, which leaves Arabic unjoined and in the wrong order, and in another font than it was
    measured in (its labels then run off the edge); vl-convert shapes the text in the report's font."""
    import vl_convert

    spec = chart_specs.readable(_inline_data(copy.deepcopy(spec)))
    spec["config"] = {**spec.get("config", {}), "font": REPORT_FONT}
    if isinstance(spec.get("title"), dict):  # cut into lines for phones; on paper one line, and a title of lines
        spec["title"] = {**spec["title"], "text": chart_title(spec)}  # of right-to-left text is drawn overlapping
    if spec.get("width") == "container":
        spec["width"] = CHART_WIDTH
    return bytes(vl_convert.vegalite_to_png(spec, scale=2))


def chart_img(spec: dict[str, Any]) -> str:
    """The chart as a data URI for a report's <img>: a PNG; a chart with nothing to draw (a picture of no size,
    which has no PNG) as the SVG vl-convert draws for it."""
    import vl_convert

    try:
        return "data:image/png;base64," + base64.b64encode(chart_png(spec)).decode()
    except ValueError:
        spec = chart_specs.readable(_inline_data(copy.deepcopy(spec)))
        svg = str(
            vl_convert.vegalite_to_svg({**spec, "width": CHART_WIDTH} if spec.get("width") == "container" else spec)
        )
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def report_context(user: Any, scope: Scope, progress: Progress | None = None) -> dict[str, Any]:
    """Every figure, table and chart of the report, computed within what the user may see."""
    step = progress or (lambda stage, done, total: None)
    total = len(STAGES)
    step(STAGES[0], 0, total)
    impact = collective_impact(user, scope)
    step(STAGES[1], 1, total)
    mobility = words.mobility(mobility_analysis(user, scope))
    step(STAGES[2], 2, total)
    network = network_evolution(user, scope)
    step(STAGES[3], 3, total)
    vfm = value_for_money(user, scope)
    step(STAGES[4], 4, total)
    typology = typology_analysis(user, scope)
    step(STAGES[5], 5, total)
    tables, impact_specs = impact_views(impact)
    sections = mobility_sections(mobility)
    charts: dict[str, str] = {}
    if impact["totals"]["trained"]:
        charts["map"] = chart_img(impact_specs["map"])
    charts["trend"] = chart_img(impact_specs["trend"])
    for section in sections:
        if section["forest"]:
            section["forest_img"] = chart_img(section["forest"])
    net_specs = network_specs(network)
    for name in ("size", "structure", "reciprocity"):
        if name in net_specs:
            charts[f"network_{name}"] = chart_img(net_specs[name])
    health = words.health(partnership_health(user, scope))
    if len(health["points"]) > 1:
        charts["health"] = chart_img(chart_specs.health_scatter(health["points"]))
    vfm_rows = [comparison_in_words(row) for row in vfm["partnerships"]]
    title = _("Programme report")
    if scope.partnership and len(impact["partnerships"]) == 1:
        title = impact["partnerships"][0]["name"]
    return {
        "title": title,
        "scope": scope.describe(),
        "generated": timezone.now(),
        "impact": impact,
        "tables": tables,
        "mobility": mobility,
        "sections": sections,
        "network": network,
        "vfm": {**vfm, "partnerships": vfm_rows},
        "typology": {
            **typology,
            "distribution": distribution_in_words(typology["distribution"]),
            "grouping": {**typology["grouping"], "groups": groups_in_words(typology["grouping"]["groups"])},
        },
        "charts": charts,
        "glossary": words.GLOSSARY,
        "health": health,
        "small_numbers": mobility["small_numbers"],
    }


def stylesheet() -> str:
    """The report is a file sent on to funders and read offline: its CSS travels inside it (it is downloaded as
    an attachment, never shown under the site's Content-Security-Policy)."""
    found = finders.find("healthlinks/report.css")
    path = found if isinstance(found, str) else found[0] if found else None
    css = Path(path).read_text() if path else ""
    return mark_safe(f"<style>{css}</style>")  # noqa: S308 (our own static file)


def build_report(
    user: Any, params: dict[str, Any], *, fmt: str = "pdf", progress: Progress | None = None
) -> tuple[bytes, str]:
    """(content, file name) of the report for a scope given as page or CLI parameters."""
    scope = Scope.from_params(params)
    context = report_context(user, scope, progress)
    html = render_to_string("web/report.html", context | {"stylesheet": stylesheet()})
    name = slugify(scope.partnership or context["title"]) or "report"
    if fmt == "html":
        return html.encode(), f"healthlinks-{name}.html"
    if progress:
        progress(STAGES[-1], len(STAGES) - 1, len(STAGES))
    return html_to_pdf(html), f"healthlinks-{name}.pdf"


def html_to_pdf(html: str) -> bytes:
    """A report's HTML (its stylesheet and pictures inside it) laid out as PDF by WeasyPrint."""
    import weasyprint

    return bytes(weasyprint.HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf() or b"")


def cmd_report(args: Any) -> int:
    """`healthlinks report --partnership SLUG|--all [filters] --pdf FILE [--html FILE]`."""
    import sys

    from healthlinks.commandline import Operator, progress, user_named

    if not (args.pdf or args.html):
        print("healthlinks report: give --pdf FILE and/or --html FILE", file=sys.stderr)
        return 2
    user = user_named(args.user) if args.user else Operator()
    params = {k: getattr(args, k) for k in ("partnership", "country", "region", "specialty", "typology", "funder")}
    params |= {"year_from": args.year_from, "year_to": args.year_to}
    if args.partnership:
        from healthlinks.registry.models import Partnership

        if not Partnership.objects.filter(slug=args.partnership).exists():
            print(f"healthlinks report: --partnership: no partnership with slug {args.partnership!r}", file=sys.stderr)
            return 2
    for fmt, path in (("pdf", args.pdf), ("html", args.html)):
        if path:
            content, _name = build_report(user, params, fmt=fmt, progress=progress)
            Path(path).write_bytes(content)
            print(f"\nreport written to {path} ({len(content):,} bytes)")
    return 0
