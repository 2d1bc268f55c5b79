"""`{{ spec|figures }}`: a chart's figures as a table, from its Vega-Lite spec. Put it before the spec's
`json_script`: a field the chart left untitled is given its translated name, in the table and on the drawing.
The table is open where charts cannot be drawn (JavaScript off or failed: the page is readable, not a blank
box) and folded under the drawn chart for anyone who would rather read numbers, screen-reader users first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

register = template.Library()

SHOWN = 100  # rows; a chart of more is summarised by its drawing, the full data are in its export
# The names the charts give their data's fields, as a reader reads them: where a chart gives a field no title,
# its axis, legend and table column take this one (in the reader's language).
TITLES = {
    "answer": _("Answer"), "cadre": _("Cadre"), "category": _("Category"), "code": _("Code"),
    "days": _("Days"), "detail": _("Detail"), "end": _("End"), "geography": _("Geography"), "host": _("Host"),
    "kind": _("Kind"), "label": _("Label"), "measure": _("Measure"), "mode": _("Mode"), "month": _("Month"),
    "n": _("Number"), "post": _("After"), "pre": _("Before"), "question": _("Question"), "score": _("Score"),
    "sex": _("Sex"), "size": _("Size"), "start": _("Start"), "step": _("Step"), "type": _("Type"),
    "value": _("Value"), "year": _("Year"), "specialty": _("Specialty"), "country": _("Country"),
}  # fmt: skip
CHANNELS = ("x", "y", "x2", "y2", "theta", "color", "column", "row", "size", "text", "shape", "detail", "tooltip")


def _encodings(spec: Any) -> Iterator[dict[str, Any]]:
    if isinstance(spec, dict):
        encoding = spec.get("encoding")
        if isinstance(encoding, dict):
            for channel in CHANNELS:
                value = encoding.get(channel)
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict) and isinstance(item.get("field"), str):
                        yield item
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for part in spec.get(key) or []:
                yield from _encodings(part)
        if isinstance(spec.get("spec"), dict):
            yield from _encodings(spec["spec"])


def _values(spec: Any) -> list[dict[str, Any]]:
    data = spec.get("data") if isinstance(spec, dict) else None
    if isinstance(data, dict) and isinstance(data.get("values"), list):
        return [row for row in data["values"] if isinstance(row, dict)]
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for part in (spec.get(key) or []) if isinstance(spec, dict) else []:
            found = _values(part)
            if found:
                return found
    return []


def _cell(value: Any) -> str:
    if isinstance(value, float):
        value = round(value, 2)
    return "" if value is None else str(localize(value))


@register.filter
def figures(spec: Any) -> SafeString:
    rows = _values(spec)
    columns: dict[str, str] = {}
    measures: set[str] = set()
    for encoding in _encodings(spec):
        field = encoding["field"]
        if "title" not in encoding and field in TITLES:
            encoding["title"] = TITLES[field]  # the drawing's axis or legend too: the spec is written after this
        if field not in columns and any(field in row for row in rows[:50]):
            columns[field] = str(encoding.get("title") or TITLES.get(field) or field)
            if encoding.get("type") == "quantitative":
                measures.add(field)
    columns = {f: t for f, t in sorted(columns.items(), key=lambda c: c[0] in measures)}  # what, then how many
    if not rows or not columns:
        return mark_safe("")  # noqa: S308 (nothing to show)
    title = spec.get("title") if isinstance(spec, dict) else None
    title = title.get("text") if isinstance(title, dict) else title
    title = " ".join(map(str, title)) if isinstance(title, list) else title  # a title drawn on several lines
    return render_to_string(
        "web/_figures.html",
        {
            "title": title or "",
            "headers": list(columns.values()),
            "rows": [[_cell(row.get(field)) for field in columns] for row in rows[:SHOWN]],
            "more": max(len(rows) - SHOWN, 0),
        },
    )
