"""Vega-Lite specs of the interview analysis (rendered by static/healthlinks/app.js from json_script)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from healthlinks.web.charts import SCHEMA


def code_frequency(rows: list[dict[str, Any]], by: str = "") -> dict[str, Any]:
    """Horizontal bars: segments per code, stacked by group when grouped."""
    encoding: dict[str, Any] = {
        "y": {"field": "code", "type": "nominal", "sort": "-x", "title": None},
        "x": {"field": "segments", "type": "quantitative", "title": _("Coded segments")},
        "tooltip": [
            {"field": "code", "title": _("Code")},
            {"field": "segments", "title": _("Segments")},
            {"field": "sources", "title": _("Sources")},
        ],
    }
    if by:
        encoding["color"] = {"field": "group", "type": "nominal", "title": by.capitalize()}
        encoding["tooltip"].append({"field": "group", "title": by.capitalize()})
    return {
        "$schema": SCHEMA,
        "width": "container",
        "data": {"values": [{k: r[k] for k in ("code", "group", "segments", "sources")} for r in rows]},
        "mark": {"type": "bar", "color": "#0b7a75"} if not by else {"type": "bar"},
        "encoding": encoding,
    }


def co_occurrence(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """Heat map of the code x code co-occurrence matrix, counts written in the cells."""
    base = {
        "x": {"field": "a", "type": "nominal", "title": None, "axis": {"labelAngle": -40}},
        "y": {"field": "b", "type": "nominal", "title": None},
    }
    return {
        "$schema": SCHEMA,
        "width": "container",
        "data": {"values": cells},
        "layer": [
            {
                "mark": "rect",
                "encoding": {
                    **base,
                    "color": {
                        "field": "n",
                        "type": "quantitative",
                        "title": _("Co-occurrences"),
                        "scale": {"scheme": "teals"},
                    },
                    "tooltip": [
                        {"field": "a", "title": _("Code")},
                        {"field": "b", "title": _("Code")},
                        {"field": "n", "title": _("Count")},
                    ],
                },
            },
            {"mark": {"type": "text", "fontSize": 10}, "encoding": {**base, "text": {"field": "n"}}},
        ],
    }
