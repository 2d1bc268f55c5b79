"""Cells that spreadsheets could run: formula injection (CSV injection) neutralised in every export.

A text value starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by Excel,
LibreOffice and Google Sheets when the file is opened. Exports follow the OWASP rule: in CSV such a cell is
prefixed with a single quote (which spreadsheets show as text and hide); in XLSX it is written as a text cell, so
its value is unchanged. Numbers (a negative amount) are numbers, not formulas, and are left alone. Stored values,
imports and the API are never changed.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def csv_row(row: Any) -> list[Any]:
    return [csv_cell("" if v is None else v) for v in row]


def csv_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {k: csv_cell(v) for k, v in row.items()}


def arrow_table(table: pa.Table) -> pa.Table:
    """The same rule on every text column of an Arrow table (the research export's CSV files)."""
    pattern = "^[" + "".join("\\" + c if c in "-+" else c for c in TRIGGERS) + "]"
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(i)
            starts = pc.match_substring_regex(column, pattern)
            fixed = pc.if_else(starts, pc.binary_join_element_wise("'", column, ""), column)
            table = table.set_column(i, field, fixed.cast(field.type))
    return table
