"""Vega-Lite specs of the survey analysis pages (rendered by static/healthlinks/app.js, like web/charts.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from healthlinks.web.charts import SCHEMA

NEGATIVE = ["#b2182b", "#ef8a62", "#fddbc7"]
POSITIVE = ["#d1e5f0", "#67a9cf", "#2166ac"]
NEUTRAL = "#d9d9d9"


def responses_over_time(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "width": "container",
        "height": 160,
        "title": _("Responses per month"),
        "data": {"values": rows},
        "mark": {"type": "bar", "color": "#0b7a75"},
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": None},
            "y": {"field": "n", "type": "quantitative", "title": _("Responses")},
            "tooltip": [{"field": "month", "title": _("Month")}, {"field": "n", "title": _("Responses")}],
        },
    }


def frequencies(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Horizontal bars, one per choice, in the form's order."""
    order = [r["label"] for r in rows]
    return {
        "$schema": SCHEMA,
        "width": "container",
        "title": {"text": title, "limit": 320},
        "data": {"values": [{"label": r["label"], "n": r["n"], "pct": r["pct"]} for r in rows]},
        "mark": {"type": "bar", "color": "#0b7a75"},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 160}},
            "x": {"field": "n", "type": "quantitative", "title": _("Answers"), "axis": {"tickMinStep": 1}},
            "tooltip": [
                {"field": "label", "title": _("Answer")},
                {"field": "n", "title": _("Answers")},
                {"field": "pct", "title": "%"},
            ],
        },
    }


def likert_rows(question: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Diverging-bar segments: negative answers left of zero, positive right, the middle one split across it."""
    from healthlinks.evaluation.selectors import likert_side

    total = sum(r["n"] for r in rows) or 1
    size = len(rows)
    out: list[dict[str, Any]] = []
    neutral_half = sum(r["n"] for i, r in enumerate(rows) if likert_side(i, size) == 0) / total * 50
    left = -neutral_half - sum(r["n"] for i, r in enumerate(rows) if likert_side(i, size) < 0) / total * 100
    for i, r in enumerate(rows):
        pct = r["n"] / total * 100
        out.append(
            {
                "question": question,
                "answer": r["label"],
                "order": i,
                "start": round(left, 2),
                "end": round(left + pct, 2),
                "pct": round(pct, 1),
                "n": r["n"],
            }
        )
        left += pct
    return out


def likert(segments: list[dict[str, Any]], answers: list[str], title: str, *, labels: bool = False) -> dict[str, Any]:
    """Diverging stacked bars; with `labels`, several items of one scale share the chart (one bar per item)."""
    size = len(answers)
    items = list(dict.fromkeys(s["question"] for s in segments))
    half = size // 2
    colours = NEGATIVE[:half] + ([NEUTRAL] if size % 2 else []) + POSITIVE[3 - half :]
    return {
        "$schema": SCHEMA,
        "width": "container",
        "title": {"text": title, "limit": 320},
        "data": {"values": segments},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {
                "field": "question",
                "type": "nominal",
                "title": None,
                "sort": items,
                "axis": {"labelLimit": 120} if labels else None,
            },
            "x": {
                "field": "start",
                "type": "quantitative",
                # xgettext:no-python-format
                "title": _("% of answers (disagree ← → agree)"),
                "scale": {"domain": [-100, 100]},
            },
            "x2": {"field": "end"},
            "color": {
                "field": "answer",
                "type": "nominal",
                "title": None,
                "scale": {"domain": answers, "range": colours},
                "sort": answers,
                "legend": {"orient": "bottom", "columns": 2},
            },
            "order": {"field": "order"},
            "tooltip": [
                {"field": "question", "title": _("Question")},
                {"field": "answer", "title": _("Answer")},
                {"field": "n", "title": _("Answers")},
                {"field": "pct", "title": "%"},
            ],
        },
    }
