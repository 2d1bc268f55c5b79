"""Write tables as CSV or XLSX (exports and import templates); text that a spreadsheet would run as a formula is
neutralised (healthlinks.interchange.tabular.cells)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from healthlinks.interchange.tabular.cells import TRIGGERS, csv_row

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
            writer.writerow(csv_row(row))
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")

        def cell(value: Any) -> Any:
            if isinstance(value, str) and value.startswith(TRIGGERS):
                text = WriteOnlyCell(sheet, value)
                text.data_type = "s"  # a text cell: shown as written, never evaluated
                return text
            return "" if value is None else value

        sheet.append([cell(c) for c in columns])
        for row in rows:
            sheet.append([cell(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown format {fmt!r}; use csv or xlsx")
