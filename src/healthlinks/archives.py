"""Zip archives opened safely, before any library reads them: an XLSX workbook (`check_workbook`) or an archive of
files (`unzip`). Each member is inflated counting the bytes it really inflates to, not the sizes the archive
declares, and a workbook's sheets are scanned for their rows, columns, cells and shared strings, so a zip bomb, a
shared-strings bomb or a sheet whose used area reaches XFD1048576 is refused (ArchiveRefused, saying why) before
it costs memory or time. Used by the table importers and by the XLSForm reader."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

MAX_ROWS = 200_000  # rows of one table (a sheet or a CSV file)
MAX_BYTES = 50 * 1024 * 1024
MAX_UNPACKED = 256 * 1024 * 1024  # every member inflated, together
MAX_MEMBERS = 10_000
MAX_CELLS = 5_000_000  # rows x columns of the used area, all sheets together; also the most shared strings
MAX_XML_TEXT = 1024 * 1024  # bytes of text between two tags (one cell's text) in a sheet or the shared strings
# what opening a damaged archive raises: no archive, a truncated one, ZIP64 trouble, a "needs zip version 9.1 to
# extract" header (NotImplementedError), a damaged header
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    ValueError,
    OSError,
    EOFError,
    NotImplementedError,
    struct.error,
)
CHUNK = 512 * 1024  # less than MAX_XML_TEXT: a chunk and a short tail hold no text run longer than the limit


class ArchiveRefused(ValueError):
    """A zip archive (an XLSX workbook, an export of CSV files) refused before it is read: damaged, a zip bomb, too
    many cells. The message says why."""


_LOCAL_HEADER = struct.Struct("<4s5HL2L2H")
_ROOT = re.compile(rb"<([\w.-]+:)?(?:worksheet|sst)[\s/>]")


@cache
def _patterns(prefix: bytes) -> dict[str, Any]:
    """The tags counted in a worksheet or the shared strings, with the namespace prefix the file uses (usually none)."""
    tag = b"<" + re.escape(prefix)
    return {
        "row": b"<" + prefix + b"row",
        "cell": b"<" + prefix + b"c",
        "string": b"<" + prefix + b"si",
        "row_split": re.compile(tag + rb"row(?=[\s/>])"),
        "row_number": re.compile(tag + rb"row\s[^>]*?\br\s*=\s*[\"']([0-9]{1,9})[\"']"),
        # a row with no cell (`<row r="65536" ht="12.75"/>`: a formatted, empty row) holds no data
        "row_empty": re.compile(tag + rb"row\s[^>]*?\br\s*=\s*[\"']([0-9]{1,9})[\"'][^>]*/>"),
        "cell_ref": re.compile(tag + rb"c\s[^>]*?\br\s*=\s*[\"']([A-Za-z]{1,3})([0-9]{1,9})[\"']"),
        # the usual spelling (r first, double quotes), searched without backtracking, a group at a time
        "cell_r": b"<" + prefix + b'c r="',
        "cell_column": re.compile(tag + rb'c r="([A-Z]{1,3})[0-9]'),
        "cell_row": re.compile(tag + rb'c r="[A-Z]{1,3}([0-9]{1,9})"'),
    }


def _count(body: bytes, tag: bytes) -> int:
    """Elements named exactly `tag` (`<c`, not `<col`): counted in C, no list built. Rarely, the name is followed by
    a tab or a line break: those are counted by a regex."""
    count = body.count(tag + b" ") + body.count(tag + b">") + body.count(tag + b"/")
    if re.search(re.escape(tag) + rb"[\t\r\n]", body):
        count += len(re.findall(re.escape(tag) + rb"[\t\r\n]", body))
    return count


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


@dataclass
class _SheetScan:
    """Rows, columns, cells and shared strings found so far in one member's XML. Rows and cells are placed by
    their r attributes, or by position when they have none (then counted as an upper bound)."""

    member: str
    max_rows: int
    max_cells: int
    area_before: int = 0  # used area of the sheets already scanned
    row: int = 0
    row_cells: int = 0
    max_row: int = 0
    max_column: int = 0
    cells: int = 0
    strings: int = 0
    prefix: bytes | None = None

    def scan(self, body: bytes) -> None:
        if self.prefix is None:
            root = _ROOT.search(body)
            self.prefix = (root.group(1) or b"") if root else b""
        find = _patterns(self.prefix)
        strings = body.count(find["string"])  # <si> and, if any, longer names: an upper bound
        if strings:
            self.strings += strings
            if self.strings > self.max_cells:
                raise ArchiveRefused(f"more than {self.max_cells} shared strings ({self.member})")
        rows = _count(body, find["row"])
        if rows:
            numbers = find["row_number"].findall(body)
            empty = find["row_empty"].findall(body)
            holding = [int(n) for n in numbers]
            for n in empty:  # formatted rows without cells do not make the sheet longer
                holding.remove(int(n))
            if holding:
                self.row = max(self.row, max(holding))
            self.row += rows - len(numbers)  # rows without a number follow the last one
        cells = _count(body, find["cell"])
        if cells:
            self.cells += cells
            placed = body.count(find["cell_r"])
            if placed == cells:
                letters, digits = set(find["cell_column"].findall(body)), set(find["cell_row"].findall(body))
            else:
                refs = find["cell_ref"].findall(body)
                placed = len(refs)
                letters, digits = {c for c, _r in refs}, {r for _c, r in refs}
            if letters:
                self.max_column = max(self.max_column, max(_column_number(c) for c in letters))
            if digits:
                self.row = max(self.row, max(map(int, digits)))
            if placed < cells:  # cells placed by their position: count them row by row
                segments = find["row_split"].split(body)
                self.row_cells += _count(segments[0], find["cell"])
                widths = [self.row_cells, *(_count(seg, find["cell"]) for seg in segments[1:])]
                self.row_cells = widths[-1]
                self.max_column = max(self.max_column, max(widths))
        self.max_row = max(self.max_row, self.row)
        self.check()

    def check(self) -> None:
        if self.max_row > self.max_rows:
            raise ArchiveRefused(
                f"more than {self.max_rows - 1} rows; split the file ({self.member} reaches row {self.max_row})"
            )
        if self.area_before + self.max_row * self.max_column > self.max_cells or self.cells > self.max_cells:
            raise ArchiveRefused(
                f"the sheets' used area is more than {self.max_cells} cells ({self.member} spans {self.max_row} "
                f"rows × {self.max_column} columns); remove empty formatted rows and columns, or split the file"
            )


def _member_bytes(raw: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's inflated bytes, chunk by chunk, from its own compressed data (the sizes the archive declares
    are not trusted)."""
    start = info.header_offset
    header = raw[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise ArchiveRefused(f"damaged archive member {info.filename}")
    fields = _LOCAL_HEADER.unpack(header)
    data_start = start + _LOCAL_HEADER.size + fields[9] + fields[10]
    compressed = memoryview(raw)[data_start : data_start + info.compress_size]
    if info.flag_bits & 0x1:
        raise ArchiveRefused(f"archive member {info.filename} is encrypted")
    if info.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(compressed), CHUNK):
            yield bytes(compressed[offset : offset + CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ArchiveRefused(f"archive member {info.filename} uses a compression XLSX files do not use")
    inflater = zlib.decompressobj(-15)
    try:
        for offset in range(0, len(compressed), CHUNK):
            pending = bytes(compressed[offset : offset + CHUNK])
            while pending:
                out = inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
                if out:
                    yield out
            if inflater.eof:
                return
        rest = inflater.flush()
        if rest:
            yield rest
    except zlib.error as exc:
        raise ArchiveRefused(f"damaged archive member {info.filename} ({exc})") from None


def _scan_xml(chunks: Iterator[bytes], member: str, sheet: _SheetScan | None, state: dict[str, int]) -> None:
    """Count the bytes (into state['unpacked']) and, for a worksheet or the shared strings, the rows, columns,
    cells and strings of one member; refuse past the limits as soon as they are reached."""
    tail = b""
    for chunk in chunks:
        state["unpacked"] += len(chunk)
        if state["unpacked"] > MAX_UNPACKED:
            raise ArchiveRefused(
                f"the workbook is larger than {MAX_UNPACKED // 1024 // 1024} MB once unpacked (a zip bomb?)"
            )
        if sheet is None:
            continue
        buffer = tail + chunk
        cut = buffer.rfind(b"<")
        if cut == -1:  # text without any tag: one cell's text, still running
            state["run"] += len(buffer)
            tail = b""
            if state["run"] > MAX_XML_TEXT:
                raise ArchiveRefused(f"a cell holds more than {MAX_XML_TEXT // 1024 // 1024} MB of text ({member})")
            continue
        body, tail = buffer[:cut], buffer[cut:]
        first = body.find(b"<")  # the text before it continues the run of the previous chunks
        if (
            len(tail) > MAX_XML_TEXT
            or state["run"] + (first if first >= 0 else len(body)) > MAX_XML_TEXT
            or (len(body) > MAX_XML_TEXT and max(map(len, body.split(b"<"))) > MAX_XML_TEXT)
        ):
            raise ArchiveRefused(f"a cell holds more than {MAX_XML_TEXT // 1024 // 1024} MB of text ({member})")
        state["run"] = 0
        sheet.scan(body)
    if sheet is not None and tail:
        sheet.scan(tail)


def check_workbook(raw: bytes, *, max_rows: int = MAX_ROWS + 1, max_cells: int = MAX_CELLS) -> None:
    """Refuse (ArchiveRefused) an XLSX file that is damaged, would inflate past MAX_UNPACKED, or whose sheets
    hold more than `max_rows` rows or an used area of more than `max_cells` cells, before any reader opens it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except ZIP_ERRORS as exc:
        raise ArchiveRefused(f"not a zip archive ({exc}); save it as .xlsx or CSV") from None
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused(f"the archive holds {len(infos)} files, more than {MAX_MEMBERS}")
    if not any(i.filename.lower() == "xl/workbook.xml" for i in infos):
        raise ArchiveRefused("a zip archive but not an XLSX workbook (no xl/workbook.xml); save it as .xlsx or CSV")
    state = {"unpacked": 0, "run": 0}
    area = 0
    for info in infos:
        lowered = info.filename.lower()
        is_sheet = lowered.startswith("xl/worksheets/") and lowered.endswith(".xml")
        scan = (
            _SheetScan(info.filename, max_rows, max_cells, area)
            if is_sheet or lowered.endswith("sharedstrings.xml")
            else None
        )
        state["run"] = 0
        _scan_xml(_member_bytes(raw, info), info.filename, scan, state)
        if scan is not None:
            area += scan.max_row * scan.max_column


def unzip(raw: bytes, wanted: Callable[[str], bool], *, max_total: int = MAX_BYTES) -> dict[str, bytes]:
    """The wanted members of a zip archive, inflated in memory counting the bytes each really inflates to; refused
    (ArchiveRefused) when damaged, or when the wanted members come to more than `max_total` bytes."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except ZIP_ERRORS as exc:
        raise ArchiveRefused(f"not a readable ZIP archive ({exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused(f"the archive holds {len(infos)} files, more than {MAX_MEMBERS}")
    members: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if not info.filename:  # ZipInfo.is_dir() raises IndexError on it
            raise ArchiveRefused("the archive holds a file without a name")
        if info.filename.endswith("/") or not wanted(info.filename):
            continue
        chunks = []
        crc = 0
        for chunk in _member_bytes(raw, info):
            total += len(chunk)
            if total > max_total:
                raise ArchiveRefused(
                    f"more than {max_total // 1024 // 1024} MB once unpacked ({info.filename}; a zip bomb?)"
                )
            crc = zlib.crc32(chunk, crc)
            chunks.append(chunk)
        if crc != info.CRC:
            raise ArchiveRefused(f"damaged archive member {info.filename} (its checksum does not match)")
        members[info.filename] = b"".join(chunks)
    return members
