"""Read CSV and XLSX tables for import: exact headers, row numbers as the user sees them, every error at once."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

MAX_ROWS = 200_000
MAX_CELL = 10_000
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        column = f", column {self.column}" if self.column else ""
        return f"{self.file}, {where}{column}: {self.reason}"


class ImportRejected(Exception):
    """The file was not imported; nothing was written. Carries every error found."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass
class Table:
    name: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, values)


def _decode(raw: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected([RowError(name, 0, "", "the file is neither UTF-8 nor Windows-1252 text")])


def _csv_rows(raw: bytes, name: str) -> list[list[str]]:
    text = _decode(raw, name)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") and sample.count(";") > 0 else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportRejected([RowError(name, 0, "", f"not a readable CSV file ({exc})")]) from None


def _xlsx_rows(raw: bytes, name: str) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheet = book.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise ImportRejected([RowError(name, 0, "", f"not a readable XLSX workbook ({exc})")]) from None
    return [[_cell(v) for v in row] for row in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if not hasattr(value, "hour") or value.hour == 0 else value.isoformat()
    return str(value)


def read_table(
    source: str | Path | IO[bytes],
    *,
    columns: Sequence[str],
    required: Sequence[str],
    name: str | None = None,
) -> Table:
    """Read the first sheet (XLSX) or the text (CSV) and check its header against `columns`.

    Header names match case-insensitively; missing required columns and unknown extra columns are errors."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if path.stat().st_size > MAX_BYTES:
            raise ImportRejected([RowError(name, 0, "", f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")])
        raw = path.read_bytes()
    else:
        name = name or str(getattr(source, "name", "upload"))
        raw = source.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ImportRejected([RowError(name, 0, "", f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")])
    name = Path(name).name
    is_xlsx = raw[:2] == b"PK" or name.lower().endswith((".xlsx", ".xlsm"))
    grid = _xlsx_rows(raw, name) if is_xlsx else _csv_rows(raw, name)
    if not grid or not any(c.strip() for c in grid[0]):
        raise ImportRejected([RowError(name, 1, "", "the header row is missing")])
    header = [h.strip().lower() for h in grid[0]]
    while header and header[-1] == "":
        header.pop()
    errors: list[RowError] = []
    seen: set[str] = set()
    for h in header:
        if h in seen:
            errors.append(RowError(name, 1, h, "this column appears twice"))
        seen.add(h)
    extra = [h for h in header if h not in columns]
    for h in extra:
        errors.append(RowError(name, 1, h or "(blank)", f"unknown column; the columns are: {', '.join(columns)}"))
    for col in required:
        if col not in header:
            errors.append(RowError(name, 1, col, "required column is missing"))
    if errors:
        raise ImportRejected(errors)
    if len(grid) - 1 > MAX_ROWS:
        raise ImportRejected([RowError(name, 0, "", f"more than {MAX_ROWS} rows; split the file")])
    table = Table(name=name)
    for number, cells in enumerate(grid[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            errors.append(RowError(name, number, "", f"{len(cells)} cells but only {len(header)} columns"))
            continue
        values = {}
        for col, cell in zip(header, cells, strict=False):
            if len(cell) > MAX_CELL:
                errors.append(RowError(name, number, col, f"longer than {MAX_CELL} characters"))
            values[col] = cell.strip()
        for col in columns:
            values.setdefault(col, "")
        table.rows.append((number, values))
    if errors:
        raise ImportRejected(errors)
    return table
