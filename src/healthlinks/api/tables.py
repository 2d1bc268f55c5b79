"""`?format=csv` on the analytics and results endpoints: the answer as one CSV table (`text/csv`), a header row
and one row per record or estimate. Nested records are spread out (a result's indicators' periods become one row
each, their columns prefixed `indicators.periods.`), and each stored code keeps its own column with its label
in the next (`category`, `category_label`). Estimates follow the same small-numbers rule as the JSON, the pages
and the PDF report (analytics.stats.enough): a suppressed estimate is an empty cell with the reason in `note`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from healthlinks import labels

# columns holding a stored code: the kind of code it is (labels.py)
CODE_COLUMNS = {
    "category": "cost_category",
    "kind": "in_kind_kind",
    "level": "result_level",
    "measure": "measure",
    "cadre": "cadre",
    "country": "country",
    "main_activity": "activity_type",
    "geography_class": "geography",
}


def _scalar(value: Any) -> Any:
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    return "" if value is None else value


def _spread(record: dict[str, Any], prefix: str = "") -> Iterator[dict[str, Any]]:
    """One record as rows: nested objects become prefixed columns; the first list of objects becomes one row per
    item (recursively); any other list is written as JSON in its cell."""
    flat: dict[str, Any] = {}
    nested: tuple[str, list[dict[str, Any]]] | None = None
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            for row in _spread(value, f"{name}."):
                flat.update(row)
                break
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and nested is None:
            nested = (name, value)
        else:
            flat[name] = value
    if nested is None:
        yield flat
        return
    name, items = nested
    for item in items:
        for row in _spread(item, f"{name}."):
            yield {**flat, **row}


def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each code column followed by its label column."""
    out = []
    cache: dict[str, Any] = {}
    for row in rows:
        new: dict[str, Any] = {}
        for key, value in row.items():
            new[key] = value
            kind = CODE_COLUMNS.get(key.rsplit(".", 1)[-1])
            if kind and f"{key}_label" not in row and not isinstance(value, dict | list):
                if kind not in cache:
                    cache[kind] = labels.labeller(kind)
                new[f"{key}_label"] = "" if value in (None, "") else cache[kind](value)
        out.append(new)
    return out


def rows_of(data: Any) -> list[dict[str, Any]]:
    """The table of an answer: a list of records, a page of them (`results`), or one record (an error too)."""
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]
    records: Iterable[Any] = data if isinstance(data, list) else [data]
    rows: list[dict[str, Any]] = []
    for record in records:
        rows.extend(_spread(record) if isinstance(record, dict) else [{"value": record}])
    return _labelled(rows)


def write_csv(rows: list[dict[str, Any]], header: Iterable[str] = ()) -> str:
    """The rows under a header of every column any row has (`header` first: an empty table still says its
    columns)."""
    columns: dict[str, None] = dict.fromkeys(header)
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _scalar(v) for k, v in row.items()})
    return out.getvalue()


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        context = renderer_context or {}
        header = getattr(context.get("response"), "csv_header", None) or _header(context.get("view"))
        return write_csv(rows_of(data), header).encode()


def _header(view: Any) -> list[str]:
    """The columns of a model endpoint's records (its serializer's fields), for a table with no rows."""
    try:
        fields = view.get_serializer().fields
    except Exception:  # noqa: BLE001 - not a model endpoint: the rows alone say the columns
        return []
    return [name for name in fields if not isinstance(fields[name], list | dict)]


RENDERERS: list[type[BaseRenderer]] = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]  # type: ignore[list-item]


def table(rows: list[dict[str, Any]], header: list[str]) -> Response:
    """An analysis's table for the CSV renderer: its rows, under `header` first (said even when there are none)."""
    response = Response(rows)
    response.csv_header = header  # type: ignore[attr-defined]
    return response


def wants_csv(request: Any) -> bool:
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "csv"
