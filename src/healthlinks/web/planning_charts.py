"""The strategy planner's charts: each plan's expected figure with its 90% interval, one chart per figure."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from healthlinks.web.charts import SCHEMA, readable_chart


@readable_chart
def _chart(rows: list[dict[str, Any]], title: str, axis: str) -> dict[str, Any]:
    y = {"field": "plan", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 110}}
    return {
        "$schema": SCHEMA,
        "title": title,  # cut into lines by charts.readable, so that it is read whole on a phone
        "width": "container",
        "height": {"step": 36},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "rule", "strokeWidth": 3, "color": "#5b8fb9"},
                "encoding": {
                    "y": y,
                    "x": {"field": "low", "type": "quantitative", "title": axis},
                    "x2": {"field": "high"},
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 90, "color": "#1f2933"},
                "encoding": {
                    "y": y,
                    "x": {"field": "median", "type": "quantitative"},
                    "tooltip": [
                        {"field": "plan", "title": _("Plan")},
                        {"field": "median", "format": ",.0f", "title": _("Expected")},
                        # xgettext:no-python-format
                        {"field": "low", "format": ",.0f", "title": _("90% low")},
                        # xgettext:no-python-format
                        {"field": "high", "format": ",.0f", "title": _("90% high")},
                    ],
                },
            },
        ],
    }


def specs(plans: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    figures = [
        ("reached", _("Health workers reached"), _("health workers")),
        ("practice_change", _("Health workers who change practice (Kirkpatrick level 3)"), _("health workers")),
        ("trainers", _("Trainees who go on to train others"), _("health workers")),
    ]
    out = []
    for key, title, axis in figures:
        rows = [{"plan": plan["name"], **plan[key]} for plan in plans]
        out.append((f"plan-{key}", _chart(rows, title, axis)))
    return out
