"""Read CSV and XLSX tables for import: exact headers, row numbers as the user sees them, every error at once.

Hostile files are refused before they cost memory or time (limits below, each refusal says which):
- a CSV is decoded and parsed as a stream, never copied whole, and refused at its first row past MAX_ROWS; a
  cell longer than the csv module's field limit (an unclosed quote, usually) is refused with its row; a header
  row longer than MAX_HEADER_BYTES is refused before anything is parsed, and a row of more than MAX_COLUMNS cells
  as soon as it is read;
- an XLSX is first unpacked member by member, counting the bytes each member really inflates to (not the sizes
  the archive declares) and the rows, columns, cells and shared strings its sheets' XML holds, so a zip bomb, a
  shared-strings bomb or a sheet whose used area reaches XFD1048576 is refused before the workbook is read;
- NUL characters are refused (no database text column stores them)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from healthlinks.archives import (  # noqa: F401 (ArchiveRefused, check_workbook and unzip are read from here too)
    CHUNK,
    MAX_BYTES,
    MAX_CELLS,
    MAX_ROWS,
    ZIP_ERRORS,
    ArchiveRefused,
    check_workbook,
    unzip,
)

MAX_CELL = 10_000
MAX_NAME = 100  # characters of the upload's file name kept (messages, records that cite the file)
MAX_COLUMNS = 5_000  # cells of one CSV row (a Kobo export of a long form with repeats has a few hundred)
MAX_HEADER_BYTES = 256 * 1024
CSV_FIELD_LIMIT = csv.field_size_limit()  # 131072 characters: a longer CSV cell is refused with its row


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
    header: list[str] = field(default_factory=list)  # the columns the file has, lower case


def _refuse(name: str, reason: str, row: int = 0, column: str = "") -> ImportRejected:
    return ImportRejected([RowError(name, row, column, reason)])


def short_name(name: str) -> str:
    """The file name without folders, at most MAX_NAME characters (the extension kept)."""
    name = Path(name.replace("\\", "/")).name or "upload"
    if len(name) <= MAX_NAME:
        return name
    suffix = Path(name).suffix[:10]
    return name[: MAX_NAME - len(suffix) - 1] + "…" + suffix


# --- CSV ------------------------------------------------------------------------------------------------------


def _encoding(raw: bytes, name: str) -> str:
    """UTF-16 with a byte order mark, else UTF-8 (with or without BOM), else Windows-1252; checked chunk by chunk."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp1252")
    view = memoryview(raw)
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, max(len(raw), 1), CHUNK):
                decoder.decode(view[start : start + CHUNK], final=start + CHUNK >= len(raw))
        except UnicodeDecodeError:
            continue
        return encoding
    if candidates == ("utf-16",):
        raise _refuse(name, "the file starts with a UTF-16 byte order mark but is not UTF-16 text")
    raise _refuse(name, "the file is neither UTF-8 nor Windows-1252 text")


def _text(raw: bytes, encoding: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")


def _delimiter(raw: bytes, encoding: str) -> str:
    sample = _text(raw, encoding).read(4096)
    counts = {d: sample.count(d) for d in (",", ";", "\t")}
    best = max(counts.values())
    return next((d for d in (",", ";", "\t") if counts[d] == best and best > 0), ",")


def _count_records(raw: bytes, encoding: str, delimiter: str, limit: int) -> int:
    """Records in the file, stopping once past `limit` (nothing is kept: constant memory)."""
    count = 0
    for _row in csv.reader(_text(raw, encoding), delimiter=delimiter):
        count += 1
        if count > limit:
            break
    return count


def iter_csv(raw: bytes, name: str, *, max_rows: int = MAX_ROWS) -> Iterator[list[str]]:
    """The records of a CSV file, header first, read as a stream. Refuses the file (ImportRejected) when it holds
    more than `max_rows` records after the header, before reading any of them, or at a record the csv module
    cannot read (a cell past its field limit)."""
    first_line = max(raw.find(b"\n", 0, MAX_HEADER_BYTES + 1), raw.find(b"\r", 0, MAX_HEADER_BYTES + 1))
    if first_line < 0 and len(raw) > MAX_HEADER_BYTES:
        raise _refuse(name, f"the header row is longer than {MAX_HEADER_BYTES // 1024} KB; is this a table?", row=1)
    encoding = _encoding(raw, name)
    delimiter = _delimiter(raw, encoding)
    newlines = max(raw.count(b"\n"), raw.count(b"\r"))  # at least the records after the first
    if newlines > max_rows and _count_records(raw, encoding, delimiter, max_rows + 1) > max_rows + 1:
        raise _refuse(name, f"more than {max_rows} rows; split the file")
    reader = csv.reader(_text(raw, encoding), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 (number is read after the loop)
            if len(record) > MAX_COLUMNS:
                raise _refuse(name, f"more than {MAX_COLUMNS} columns; is the separator right?", row=number)
            yield record
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _refuse(
                name,
                f"a cell is longer than {CSV_FIELD_LIMIT} characters (is a quote left open?)",
                row=number + 1,
            ) from None
        raise _refuse(name, f"not a readable CSV file ({exc})", row=number + 1) from None


def _csv_rows(raw: bytes, name: str) -> list[list[str]]:
    return list(iter_csv(raw, name))


# --- XLSX -----------------------------------------------------------------------------------------------------


def _xlsx_rows(raw: bytes, name: str) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        check_workbook(raw)
    except ArchiveRefused as exc:
        raise _refuse(name, f"not a readable XLSX workbook: {exc}") from None
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheet = book.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise _refuse(name, f"not a readable XLSX workbook ({exc})") from None
    return [[_cell(v) for v in row] for row in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if not hasattr(value, "hour") or value.hour == 0 else value.isoformat()
    return str(value)


# --- the table ------------------------------------------------------------------------------------------------


LABEL = "_label"


def read_table(
    source: str | Path | IO[bytes],
    *,
    columns: Sequence[str],
    required: Sequence[str],
    name: str | None = None,
) -> Table:
    """Read the first sheet (XLSX) or the text (CSV) and check its header against `columns`.

    Header names match case-insensitively; missing required columns and unknown extra columns are errors (a
    column's label column, `<column>_label`, as the exports write it, is not)."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        if path.stat().st_size > MAX_BYTES:
            raise _refuse(short_name(name), f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")
        raw = path.read_bytes()
    else:
        name = name or str(getattr(source, "name", "upload"))
        raw = source.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise _refuse(short_name(name), f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")
    name = short_name(name)
    is_xlsx = raw[:2] == b"PK" or name.lower().endswith((".xlsx", ".xlsm"))
    records: Iterator[list[str]] = iter(_xlsx_rows(raw, name)) if is_xlsx else iter_csv(raw, name)
    first = next(records, None)
    if first is None or not any(c.strip() for c in first):
        raise _refuse(name, "the header row is missing", row=1)
    header = [h.strip().lower() for h in first]
    while header and header[-1] == "":
        header.pop()
    errors: list[RowError] = []
    seen: set[str] = set()
    for h in header:
        if h in seen:
            errors.append(RowError(name, 1, h, "this column appears twice"))
        seen.add(h)
    # an export's label columns ("cadre_isco_label" beside "cadre_isco") are read past: the code is what counts
    extra = [h for h in header if h not in columns and not (h.endswith(LABEL) and h[: -len(LABEL)] in columns)]
    for h in extra:
        shown = h.replace("\x00", "\\0")
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        errors.append(RowError(name, 1, shown or "(blank)", f"unknown column; the columns are: {', '.join(columns)}"))
    for col in required:
        if col not in header:
            errors.append(RowError(name, 1, col, "required column is missing"))
    if errors:
        raise ImportRejected(errors)
    table = Table(name=name, header=header)
    for number, cells in enumerate(records, start=2):
        if number - 1 > MAX_ROWS:
            raise _refuse(name, f"more than {MAX_ROWS} rows; split the file")
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            errors.append(RowError(name, number, "", f"{len(cells)} cells but only {len(header)} columns"))
            continue
        values = {}
        for col, cell in zip(header, cells, strict=False):
            if len(cell) > MAX_CELL:
                errors.append(RowError(name, number, col, f"longer than {MAX_CELL} characters"))
            elif "\x00" in cell:
                errors.append(RowError(name, number, col, "holds a NUL character (binary data?)"))
            values[col] = cell.strip()
        for col in columns:
            values.setdefault(col, "")
        table.rows.append((number, values))
    if errors:
        raise ImportRejected(errors)
    return table
