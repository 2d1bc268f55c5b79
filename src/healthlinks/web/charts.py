"""Vega-Lite specs built on the server: the same spec serves the page, exports and reports."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from healthlinks import labels

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched
LABEL_LIMIT = 180  # px: a longer axis or legend label ends in "…" (its full text is in the tooltip and the table)
TITLE_LINE = 30  # characters
READABLE_CONFIG: dict[str, dict[str, Any]] = {
    "axis": {"labelLimit": LABEL_LIMIT, "titleLimit": 200, "labelOverlap": True},
    "legend": {"orient": "bottom", "labelLimit": LABEL_LIMIT, "columns": 2, "titleLimit": 400},
    "title": {"limit": 600, "anchor": "start"},
}


def readable(spec: dict[str, Any]) -> dict[str, Any]:
    """A spec whose labels are never clipped and whose legends never sit on the marks: the whole chart (axis
    labels, titles and legends included) is fitted inside its width ("fit", padding contained), legends go below
    the plot, and long labels end in an ellipsis rather than run off the edge. Every chart of the pages and the
    reports goes through here."""
    own: dict[str, Any] = spec.get("config", {})
    title = spec.get("title")
    if isinstance(title, str | Promise) and len(str(title)) > TITLE_LINE:
        # on a phone a long title would run past the picture: it is drawn on lines of at most TITLE_LINE characters
        spec = {**spec, "title": {"text": textwrap.wrap(str(title), TITLE_LINE, break_on_hyphens=False)}}
    config = {key: {**value, **own.get(key, {})} for key, value in READABLE_CONFIG.items()}
    return {
        **spec,
        "autosize": {"type": "fit-x" if spec.get("projection") is None else "fit", "contains": "padding"},
        "config": {**own, **config},
    }


P = ParamSpec("P")


def readable_chart(build: Callable[P, dict[str, Any]]) -> Callable[P, dict[str, Any]]:
    """The spec `build` makes, made readable (see `readable`)."""

    @wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
        return readable(build(*args, **kwargs))

    return wrapper


@readable_chart
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


@readable_chart
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


def _class_colours(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Rows with their continuum class (and mode) in words, and the class colours keyed by those words."""
    classes, modes = labels.labeller("continuum_class"), labels.labeller("mode")
    labelled = [
        {**r, "class": classes(r["class"]), **({"mode": modes(r["mode"])} if "mode" in r else {})} for r in rows
    ]
    return labelled, {"domain": [classes(c) for c in CLASS_COLORS["domain"]], "range": CLASS_COLORS["range"]}


@readable_chart
def stays_per_year(rows: list[dict[str, Any]]) -> dict[str, Any]:
    rows, colours = _class_colours(rows)
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
            "color": {"field": "class", "type": "nominal", "title": _("Class"), "scale": colours},
            "tooltip": [{"field": "year"}, {"field": "mode"}, {"field": "class"}, {"field": "stays"}],
        },
    }


@readable_chart
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


@readable_chart
def timeline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One bar per stay from start to end, a row per host; virtual engagements in green."""
    rows, colours = _class_colours(rows)
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
                "scale": colours,
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


@readable_chart
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
                        "scale": {"domain": [_("person"), _("institution")], "range": ["circle", "square"]},
                    },
                    "size": {"field": "size", "type": "quantitative", "legend": None, "scale": {"range": [30, 400]}},
                    "color": {"value": "#334155"},
                    "tooltip": [{"field": "label"}, {"field": "type"}, {"field": "detail"}],
                },
            },
        ],
        "config": {"view": {"stroke": None}},
    }


@readable_chart
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


@readable_chart
def pre_post(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Distributions of pre- and post-test scores (% of the maximum), in the reader's words (before, after)."""
    said = {"pre": _("Before"), "post": _("After")}
    rows = [{**row, "test": said.get(str(row.get("test")), row.get("test"))} for row in rows]
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 180,
        # xgettext:no-python-format
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
                "scale": {"domain": [said["pre"], said["post"]], "range": ["#9ecae1", "#0b7a75"]},
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


@readable_chart
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


def forest(effects: list[dict[str, Any]], title: str, axis: str, *, ratio: bool = False) -> dict[str, Any]:
    """Model effects as points with their 95% intervals (the baseline left out): risk ratios on a log scale
    against a line at 1 (no difference) when `ratio`, else differences against a line at 0."""
    rows = [e for e in effects if e["term"] != "Intercept"]
    y = {"field": "label", "type": "nominal", "title": None, "sort": None, "axis": {"labelLimit": 140}}
    est, low, high = ("rr", "rr_low", "rr_high") if ratio else ("estimate", "low", "high")
    scale = {"type": "log"} if ratio else {}
    return readable(
        {
            "$schema": SCHEMA,
            "title": title,
            "width": "container",
            "height": {"step": 34},
            "data": {"values": rows},
            "layer": [
                {"mark": {"type": "rule", "color": "#9aa5b1"}, "encoding": {"x": {"datum": 1 if ratio else 0}}},
                {
                    "mark": {"type": "rule", "strokeWidth": 2, "color": "#0b7a75"},
                    "encoding": {
                        "y": y,
                        "x": {"field": low, "type": "quantitative", "title": axis, "scale": scale},
                        "x2": {"field": high},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 80, "color": "#0b7a75"},
                    "encoding": {
                        "y": y,
                        "x": {"field": est, "type": "quantitative", "scale": scale},
                        "tooltip": [
                            {"field": "label", "title": _("Term")},
                            {"field": est, "format": ".2f", "title": _("Estimate")},
                            # xgettext:no-python-format
                            {"field": low, "format": ".2f", "title": _("95% low")},
                            # xgettext:no-python-format
                            {"field": high, "format": ".2f", "title": _("95% high")},
                            {"field": "n_with", "title": "n"},
                        ],
                    },
                },
            ],
        }
    )


@readable_chart
def intervals(rows: list[dict[str, Any]], title: str, axis: str, percent: bool = True) -> dict[str, Any]:
    """Estimates by group with 95% interval bars, one row a group (its name level, never slanted off the picture);
    groups too thin to estimate are left out (see the table)."""
    shown = [r for r in rows if r.get("estimate") is not None]
    fmt = ".0%" if percent else ".2f"
    group: dict[str, Any] = {"field": "group", "type": "nominal", "title": None, "sort": None}
    group["axis"] = {"labelLimit": 140}
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": {"step": 26},
        "data": {"values": shown},
        "layer": [
            {
                "mark": {"type": "bar", "color": "#9fd3cf"},
                "encoding": {
                    "y": group,
                    "x": {"field": "estimate", "type": "quantitative", "title": axis, "axis": {"format": fmt}},
                    "tooltip": [
                        {"field": "group", "title": _("Group")},
                        {"field": "estimate", "format": fmt, "title": _("Estimate")},
                        # xgettext:no-python-format
                        {"field": "low", "format": fmt, "title": _("95% low")},
                        # xgettext:no-python-format
                        {"field": "high", "format": fmt, "title": _("95% high")},
                        {"field": "n", "title": "n"},
                    ],
                },
            },
            {
                "mark": {"type": "rule", "color": "#1f2933"},
                "encoding": {"y": group, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}},
            },
        ],
    }


@readable_chart
def measures_over_time(years: list[dict[str, Any]], fields: dict[str, str], title: str) -> dict[str, Any]:
    """Several measures per year as lines, one colour each (long format built here)."""
    rows = [
        {"year": str(y["year"]), "measure": label, "value": y[field]}
        for y in years
        for field, label in fields.items()
        if y.get(field) is not None
    ]
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": 220,
        "data": {"values": rows},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": None},
            "y": {"field": "value", "type": "quantitative", "title": None},
            "color": {"field": "measure", "type": "nominal", "title": None, "legend": {"orient": "bottom"}},
            "tooltip": [{"field": "year"}, {"field": "measure"}, {"field": "value", "format": ".3~f"}],
        },
    }


@readable_chart
def choropleth(rows: list[dict[str, Any]], field: str, title: str) -> dict[str, Any]:
    """Countries shaded by a figure (rows carry the ISO numeric code as `id`), on the shipped world atlas."""
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": 300,
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
                "data": {
                    "url": static("vendor/world-atlas/countries-110m.json"),
                    "format": {"type": "topojson", "feature": "countries"},
                },
                "transform": [
                    {
                        "lookup": "id",
                        "from": {"data": {"values": rows}, "key": "id", "fields": [field, "name"]},
                    },
                    {"filter": f"isValid(datum['{field}'])"},
                ],
                "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.5},
                "encoding": {
                    "color": {"field": field, "type": "quantitative", "scale": {"scheme": "teals"}, "title": None},
                    "tooltip": [{"field": "name", "title": _("Country")}, {"field": field, "format": ",.0f"}],
                },
            },
        ],
        "config": {"view": {"stroke": None}},
    }


@readable_chart
def health_scatter(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Each partnership's health-check score (x) against its share of trainees whose practice changed (y), the
    point's size its number of trainees followed up, with a least-squares line (an association)."""
    x = {"field": "score", "type": "quantitative", "title": _("Health-check score (1-5)"), "scale": {"zero": False}}
    y = {"field": "share", "type": "quantitative", "title": _("Practice changed"), "axis": {"format": ".0%"}}
    return {
        "$schema": SCHEMA,
        "title": _("Partnership health and practice change"),
        "width": "container",
        "height": 260,
        "data": {"values": points},
        "layer": [
            {
                "mark": {"type": "circle", "color": "#0b7a75", "opacity": 0.7},
                "encoding": {
                    "x": x,
                    "y": y,
                    "size": {"field": "n", "type": "quantitative", "title": _("Trainees followed up")},
                    "tooltip": [
                        {"field": "name", "title": _("Partnership")},
                        {"field": "score", "format": ".1f", "title": _("Health-check score (1-5)")},
                        {"field": "share", "format": ".0%", "title": _("Practice changed")},
                        {"field": "n", "title": "n"},
                    ],
                },
            },
            {
                "mark": {"type": "line", "color": "#c2410c"},
                "transform": [{"regression": "share", "on": "score"}],
                "encoding": {"x": x, "y": y},
            },
        ],
    }


@readable_chart
def vfm_strip(rows: list[dict[str, Any]], title: str, axis: str, fmt: str, paired: bool) -> dict[str, Any]:
    """Value for money: each partnership a dot on its comparison group's line (like with like), the group's
    median a tick, the partnerships in scope drawn large and dark among their peers; `paired` draws the financial
    and the economic cost of each partnership on the same line in two colours (the economic cost includes the
    cash, so it lies to the right). Rows: group, partnership, value, role, rank (and cost when paired)."""
    # titles for the chart's table (figures); the axis and legend go without them
    y: dict[str, Any] = {
        "field": "group",
        "type": "nominal",
        "title": _("Compared with"),
        "sort": None,
        "axis": {"labelLimit": 110, "title": None},
    }
    colour: dict[str, Any] = (
        {
            "field": "cost",
            "type": "nominal",
            "title": _("Cost"),
            "scale": {"range": ["#0b7a75", "#c2410c"]},
            "legend": {"orient": "bottom", "title": None},
        }
        if paired
        else {"value": "#0b7a75"}
    )
    axis_format = fmt if fmt.endswith("%") else ",~s"  # 4k, 12k: short ticks on a phone; the tooltip is exact
    x = {"field": "value", "type": "quantitative", "title": axis, "axis": {"format": axis_format, "tickCount": 4}}
    tooltip = [
        {"field": "partnership", "title": _("Partnership")},
        {"field": "group", "title": _("Compared with")},
        *([{"field": "cost", "title": _("Cost")}] if paired else []),
        {"field": "value", "format": fmt, "title": axis},
        {"field": "rank", "title": _("Rank in the group (1 = lowest)")},
    ]
    roles = [_("in scope"), _("like partnership")]
    size = {
        "field": "role",
        "type": "nominal",
        "title": _("Role"),
        "scale": {"domain": roles, "range": [110, 30]},
        "legend": None,
    }
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": {"step": 22},
        "data": {"values": rows},
        "layer": [
            {
                "mark": {"type": "tick", "thickness": 2, **({} if paired else {"color": "#1f2933"})},
                "encoding": {
                    "y": y,
                    "x": {**x, "aggregate": "median"},
                    **({"color": colour} if paired else {}),
                },
            },
            {
                "mark": {"type": "circle"},
                "encoding": {
                    "y": y,
                    "x": x,
                    "color": colour,
                    "size": size,
                    "opacity": {
                        "field": "role",
                        "type": "nominal",
                        "title": _("Role"),
                        "scale": {"domain": roles, "range": [0.95, 0.35]},
                        "legend": None,
                    },
                    "tooltip": tooltip,
                },
            },
        ],
    }


@readable_chart
def estimates_with_intervals(rows: list[dict[str, Any]], title: str, axis: str, fmt: str) -> dict[str, Any]:
    """Estimates (partnerships pooled, comparator programmes) as dots with their 95% intervals, one line each (the
    financial and the economic cost of a programme on two lines, coloured). Rows: label, cost, estimate, low,
    high (None: open-ended)."""
    y = {
        "field": "line",
        "type": "nominal",
        "title": _("Programme"),
        "sort": None,
        "axis": {"labelLimit": 130, "title": None},
    }
    colour: dict[str, Any] = {
        "field": "cost",
        "type": "nominal",
        "title": _("Cost"),
        "scale": {"range": ["#0b7a75", "#c2410c"]},
        "legend": {"orient": "bottom", "title": None},
    }
    axis_format = fmt if fmt.endswith("%") else ",~s"
    x = {"field": "estimate", "type": "quantitative", "title": axis, "axis": {"format": axis_format, "tickCount": 4}}
    shown = [
        {**r, "line": f"{r['label']} · {r['cost']}" if r["cost"] else r["label"]}
        for r in rows
        if r.get("estimate") is not None
    ]
    if len({r["cost"] for r in shown}) <= 1:
        colour = {"value": "#0b7a75"}
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": {"step": 24},
        "data": {"values": shown},
        "layer": [
            {
                "mark": {"type": "point", "filled": True, "size": 70},
                "encoding": {
                    "y": y,
                    "x": x,
                    "color": colour,
                    "tooltip": [
                        {"field": "label", "title": _("Programme")},
                        {"field": "cost", "title": _("Cost")},
                        {"field": "estimate", "format": fmt, "title": _("Estimate")},
                        # xgettext:no-python-format
                        {"field": "low", "format": fmt, "title": _("95% low")},
                        # xgettext:no-python-format
                        {"field": "high", "format": fmt, "title": _("95% high")},
                    ],
                },
            },
            {
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "y": y,
                    "x": {"field": "low", "type": "quantitative"},
                    "x2": {"field": "high"},
                    "color": colour,
                },
            },
        ],
    }
