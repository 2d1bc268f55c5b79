"""Write tables as CSV or XLSX (exports and import templates)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def write_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str = "csv") -> bytes:
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append(list(columns))
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}; use csv or xlsx")
