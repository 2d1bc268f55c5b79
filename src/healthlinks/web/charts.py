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


CLASS_COLORS = {
    "domain": ["visit", "short_stay", "medium_stay", "long_term", "settlement", "virtual"],
    "range": ["#9ecae1", "#4292c6", "#08519c", "#f16913", "#a63603", "#74c476"],
}


def stays_per_year(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 220,
        "title": _("Stays per year by mode and continuum class"),
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": None},
            "y": {"field": "stays", "type": "quantitative", "aggregate": "sum", "title": _("Stays")},
            "color": {"field": "class", "type": "nominal", "title": _("Class"), "scale": CLASS_COLORS},
            "tooltip": [{"field": "year"}, {"field": "mode"}, {"field": "class"}, {"field": "stays"}],
        },
    }


def days_per_year(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 180,
        "title": _("Volunteer days per year (physical stays)"),
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#0b7a75"},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": None},
            "y": {"field": "days", "type": "quantitative", "title": _("Days")},
            "tooltip": [{"field": "year"}, {"field": "days"}],
        },
    }


def timeline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One bar per stay from start to end, a row per host; virtual engagements in green."""
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": {"step": 28},
        "title": _("Stays over time"),
        "data": {"values": rows},
        "mark": {"type": "bar", "cornerRadius": 3, "minBandwidth": 4},
        "encoding": {
            "y": {"field": "host", "type": "nominal", "title": None},
            "x": {"field": "start", "type": "temporal", "title": None},
            "x2": {"field": "end"},
            "color": {
                "field": "class",
                "type": "nominal",
                "title": _("Class"),
                "scale": CLASS_COLORS,
                "legend": {"orient": "bottom", "columns": 3},
            },
            "tooltip": [
                {"field": "host"},
                {"field": "start", "type": "temporal"},
                {"field": "end", "type": "temporal"},
                {"field": "days"},
                {"field": "class"},
                {"field": "repeat", "title": _("Repeat")},
            ],
        },
    }


def network_picture(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    """People and institutions at precomputed positions; ties coloured by kind."""
    axis_off = {"axis": None, "scale": {"zero": False}}
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 460,
        "layer": [
            {
                "data": {"values": edges},
                "mark": {"type": "rule", "opacity": 0.55},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **axis_off},
                    "y": {"field": "y", "type": "quantitative", **axis_off},
                    "x2": {"field": "x2"},
                    "y2": {"field": "y2"},
                    "color": {"field": "kind", "type": "nominal", "title": _("Tie")},
                    "tooltip": [{"field": "kind"}, {"field": "label"}],
                },
            },
            {
                "data": {"values": nodes},
                "mark": {"type": "point", "filled": True, "opacity": 0.9},
                "encoding": {
                    "x": {"field": "x", "type": "quantitative", **axis_off},
                    "y": {"field": "y", "type": "quantitative", **axis_off},
                    "shape": {
                        "field": "type",
                        "type": "nominal",
                        "title": _("Node"),
                        "scale": {"domain": ["person", "institution"], "range": ["circle", "square"]},
                    },
                    "size": {"field": "size", "type": "quantitative", "legend": None, "scale": {"range": [30, 400]}},
                    "color": {"value": "#334155"},
                    "tooltip": [{"field": "label"}, {"field": "type"}, {"field": "detail"}],
                },
            },
        ],
        "config": {"view": {"stroke": None}},
    }


def funnel(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "width": "container",
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#0b7a75"},
        "encoding": {
            "y": {"field": "step", "type": "nominal", "sort": None, "title": None},
            "x": {"field": "n", "type": "quantitative", "title": None},
            "tooltip": [{"field": "step"}, {"field": "n"}],
        },
    }


def pre_post(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Distributions of pre- and post-test scores (% of the maximum)."""
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 180,
        "title": _("Test scores before and after (% of maximum)"),
        "data": {"values": rows},
        "mark": {"type": "bar", "opacity": 0.6},
        "encoding": {
            "x": {"field": "score", "type": "quantitative", "bin": {"step": 10}, "title": None},
            "y": {"aggregate": "count", "type": "quantitative", "stack": None, "title": _("Trainees")},
            "color": {
                "field": "test",
                "type": "nominal",
                "title": None,
                "scale": {"domain": ["pre", "post"], "range": ["#9ecae1", "#0b7a75"]},
            },
        },
    }


def counts(rows: list[dict[str, Any]], label: str, title: str) -> dict[str, Any]:
    return bar(rows, label, "n", title) | {
        "encoding": {
            "y": {"field": label, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "n", "type": "quantitative", "title": _("Trainees")},
            "tooltip": [{"field": label}, {"field": "n"}],
        }
    }


def stacked_by_year(rows: list[dict[str, Any]], colour: str | None, title: str, unit: str) -> dict[str, Any]:
    encoding: dict[str, Any] = {
        "x": {"field": "year", "type": "ordinal", "title": None},
        "y": {"field": "amount", "type": "quantitative", "aggregate": "sum", "title": unit},
        "tooltip": [{"field": "year"}, {"field": "amount", "format": ",.0f"}],
    }
    if colour:
        encoding["color"] = {"field": colour, "type": "nominal", "title": None}
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 200,
        "title": title,
        "data": {"values": rows},
        "mark": {"type": "bar", **({} if colour else {"color": "#0b7a75"})},
        "encoding": encoding,
    }
