"""A programme's roll-up as a PDF, laid out as the other reports are (chart drawn on the server, WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from healthlinks.interchange.programmes.exports import dimension_labels, table
from healthlinks.programmes.rollup import RollUp
from healthlinks.web.reports import chart_img, html_to_pdf, stylesheet


def programme_html(rollup: RollUp, *, with_chart: bool = True) -> str:
    from healthlinks.web.programme_views import rollup_chart

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
            "stylesheet": stylesheet(),
        },
    )


def programme_pdf(rollup: RollUp) -> bytes:
    return html_to_pdf(programme_html(rollup))
