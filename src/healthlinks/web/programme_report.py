"""A programme's roll-up as a PDF, laid out as the other reports are (chart drawn on the server, WeasyPrint)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from healthlinks.interchange.programmes.exports import dimension_labels, table
from healthlinks.programmes.rollup import RollUp
from healthlinks.web.reports import chart_img


def programme_html(rollup: RollUp, *, with_chart: bool = True) -> str:
    from healthlinks.web.programme_views import rollup_chart

    found = finders.find("healthlinks/report.css")
    path = found if isinstance(found, str) else found[0] if found else None
    css = Path(path).read_text() if path else ""
    chart = ""
    if with_chart:
        chart = chart_img(rollup_chart(rollup))
    columns, rows = table(rollup)
    total = dimension_labels()[""]
    return render_to_string(
        "web/programme_report.html",
        {
            "programme": rollup.programme,
            "rollup": rollup,
            "columns": columns,
            "rows": [row for row in rows if row[3] == total],  # the totals; the splits are in the downloads
            "chart": chart,
            "generated": timezone.now(),
            "stylesheet": mark_safe(f"<style>{css}</style>"),  # noqa: S308 (our own static file)
        },
    )


def programme_pdf(rollup: RollUp) -> bytes:
    import weasyprint

    html = programme_html(rollup)
    return bytes(weasyprint.HTML(string=html, base_url=str(Path(__file__).parent)).write_pdf() or b"")
