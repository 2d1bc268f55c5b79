"""Vega-Lite specs built on the server: the same spec serves the page, exports and reports."""

from __future__ import annotations

from typing import Any

from django.templatetags.static import static
from django.utils.translation import gettext as _

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched


def world_map(links: list[dict[str, Any]], points: list[dict[str, Any]]) -> dict[str, Any]:
    """Partnership links as great lines on the shipped Natural Earth 110m countries."""
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 320,
        "projection": {"type": "equalEarth"},
        "layer": [
            {
                "data": {
                    "url": static("vendor/world-atlas/countries-110m.json"),
                    "format": {"type": "topojson", "feature": "countries"},
                },
                "mark": {"type": "geoshape", "fill": "#e6ebef", "stroke": "#ffffff", "strokeWidth": 0.5},
            },
            {
                "data": {"values": links},
                "mark": {"type": "rule", "color": "#0b7a75", "opacity": 0.35, "strokeWidth": 1},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "longitude2": {"field": "lon2"},
                    "latitude2": {"field": "lat2"},
                    "tooltip": [
                        {"field": "partnership", "title": _("Partnership")},
                        {"field": "from", "title": _("Lead")},
                        {"field": "to", "title": _("Partner")},
                    ],
                },
            },
            {
                "data": {"values": points},
                "mark": {"type": "circle", "color": "#c2410c", "opacity": 0.8},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "size": {
                        "field": "n",
                        "type": "quantitative",
                        "title": _("Partnerships"),
                        "scale": {"range": [15, 300]},
                    },
                    "tooltip": [{"field": "name", "title": _("Place")}, {"field": "n", "title": _("Partnerships")}],
                },
            },
        ],
        "config": {"view": {"stroke": None}},
    }


def bar(rows: list[dict[str, Any]], label: str, value: str, title: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "width": "container",
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#0b7a75"},
        "encoding": {
            "y": {"field": label, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": value, "type": "quantitative", "title": _("Partnerships")},
            "tooltip": [{"field": label, "title": title}, {"field": value, "title": _("Partnerships")}],
        },
    }
