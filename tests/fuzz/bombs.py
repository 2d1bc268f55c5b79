"""Hostile files made on the fly, small on disk and huge (or deep, or self-referencing) once read: zip bombs, a
shared-strings bomb, a sheet reaching XFD1048576, XML nested 10^5 deep, billion laughs, external entities.

Plain functions returning bytes, used by the tests in-process and by the resource probes in a fresh process."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator

MB = 1024 * 1024
LAUGHS_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
XXE_DTD = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'

# --- a minimal XLSX written by hand, so that every part of it can be made hostile -----------------------------

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="xl/workbook.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    b"</Relationships>"
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="SHEET" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    b'<Relationship Id="rId2" Target="sharedStrings.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
    b"</Relationships>"
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_TAIL = b"</sheetData></worksheet>"
STRINGS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
STRINGS_TAIL = b"</sst>"

Part = bytes | Callable[[], Iterable[bytes]]


def xlsx(
    sheet: Part | None = None,
    strings: Part | None = None,
    extra: dict[str, Part] | None = None,
    sheet_name: str = "data",
) -> bytes:
    """A workbook whose first sheet's header is `external_id` (a shared string) and one row `V-001`, unless the
    sheet XML or the shared strings are given (as bytes, or as a function yielding chunks, streamed into the zip)."""
    parts: dict[str, Part] = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK.replace(b"SHEET", sheet_name.encode()),
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": sheet
        if sheet is not None
        else SHEET_HEAD
        + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
        + SHEET_TAIL,
        "xl/sharedStrings.xml": strings
        if strings is not None
        else STRINGS_HEAD + b"<si><t>external_id</t></si><si><t>V-001</t></si>" + STRINGS_TAIL,
        **(extra or {}),
    }
    return zip_of(parts)


def zip_of(parts: dict[str, Part], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method, compresslevel=6 if method == zipfile.ZIP_DEFLATED else None) as archive:
        for name, part in parts.items():
            if isinstance(part, bytes):
                archive.writestr(name, part)
            else:
                with archive.open(name, "w") as member:
                    for chunk in part():
                        member.write(chunk)
    return buffer.getvalue()


def _repeat(head: bytes, unit: bytes, count: int, tail: bytes) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        yield head
        per = max(1, MB // len(unit))
        block = unit * per
        done = 0
        while done + per <= count:
            yield block
            done += per
        yield unit * (count - done)
        yield tail

    return chunks


def xlsx_zip_bomb(megabytes: int = 300) -> bytes:
    """A sheet padded with whitespace between its rows (legal XML) to `megabytes` once inflated; ~0.1% of it packed."""
    return xlsx(
        sheet=_repeat(
            SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>', b" " * 1024, megabytes * 1024, SHEET_TAIL
        )
    )


def xlsx_member_bomb(megabytes: int = 300) -> bytes:
    """A valid workbook carrying one extra member (an "image") of `megabytes` MB of zeros: ~0.1% of it packed."""
    return xlsx(extra={"xl/media/image1.png": _repeat(b"", b"\0" * 1024, megabytes * 1024, b"")})


def xlsx_shared_strings_bomb(strings: int = 6_000_000) -> bytes:
    """Millions of (empty) shared strings: each costs the reader an allocation."""
    return xlsx(strings=_repeat(STRINGS_HEAD, b"<si><t/></si>", strings, STRINGS_TAIL))


def xlsx_huge_cell(megabytes: int = 100) -> bytes:
    """One shared string of `megabytes` MB, used by the second row."""
    return xlsx(
        strings=_repeat(
            STRINGS_HEAD + b"<si><t>external_id</t></si><si><t>",
            b"A" * 1024,
            megabytes * 1024,
            b"</t></si>" + STRINGS_TAIL,
        )
    )


def xlsx_far_cell(ref: str = "XFD1048576") -> bytes:
    """A header and one cell far away: a dense reader would allocate the whole area in between (XFD1048576: 17
    billion cells; python-calamine aborts the process trying)."""
    return xlsx(
        sheet=SHEET_HEAD
        + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        + f'<row r="{ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{ref}"><v>1</v></c></row>'.encode()
        + SHEET_TAIL
    )


def xlsx_positional_wide(columns: int = 20_000, rows: int = 300) -> bytes:
    """Cells without r attributes (positions count): `rows` rows each `columns` wide, mostly empty."""
    row = b"<row>" + b"<c/>" * (columns - 1) + b"<c><v>1</v></c></row>"
    return xlsx(sheet=_repeat(SHEET_HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>', row, rows, SHEET_TAIL))


def xlsx_deep(depth: int = 100_000, sheet_name: str = "data") -> bytes:
    """A cell whose inline string is nested `depth` elements deep."""
    return xlsx(
        sheet_name=sheet_name,
        sheet=SHEET_HEAD
        + b'<row r="1"><c r="A1" t="inlineStr"><is>'
        + b"<r>" * depth
        + b"<t>external_id</t>"
        + b"</r>" * depth
        + b"</is></c></row>"
        + SHEET_TAIL,
    )


def xlsx_with_dtd(dtd: str, entity: str) -> bytes:
    """The shared strings declare a DTD and the header cell is an entity reference."""
    return xlsx(
        strings=b'<?xml version="1.0" encoding="UTF-8"?>'
        + dtd.encode()
        + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + f"<si><t>&{entity};</t></si><si><t>V-001</t></si>".encode()
        + STRINGS_TAIL
    )


def lie_about_sizes(data: bytes, member: str, declared: int = 1000) -> bytes:
    """The archive with `member`'s uncompressed size set to `declared` in both its headers (a classic bomb trick)."""
    out = bytearray(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(member)
    local = info.header_offset
    struct.pack_into("<L", out, local + 22, declared)
    central = 0
    while True:
        central = data.find(b"PK\x01\x02", central + 1)
        if central == -1:
            break
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_len] == member.encode():
            struct.pack_into("<L", out, central + 24, declared)
            break
    return bytes(out)


def needs_zip_version(data: bytes, version: int = 91) -> bytes:
    """The archive with its members' "version needed to extract" set to `version` (91: 9.1) in the central
    directory: Python's zipfile raises NotImplementedError, not BadZipFile (found by tools/fuzz/atheris_xlsx.py)."""
    out = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        struct.pack_into("<H", out, at + 6, version)
        at = data.find(b"PK\x01\x02", at + 1)
    return bytes(out)


def nameless_member(data: bytes) -> bytes:
    """The archive with its first member's name emptied in the central directory (found by atheris_responses.py:
    ZipInfo.is_dir() raises IndexError on it)."""
    out = bytearray(data)
    at = data.find(b"PK\x01\x02")
    length = struct.unpack_from("<H", data, at + 28)[0]
    struct.pack_into("<H", out, at + 28, 0)
    del out[at + 46 : at + 46 + length]
    end = out.rfind(b"PK\x05\x06")  # the central directory is shorter now
    size = struct.unpack_from("<L", out, end + 12)[0]
    struct.pack_into("<L", out, end + 12, size - length)
    return bytes(out)


# --- text formats -----------------------------------------------------------------------------------------------


def deep_xml(root: str, child: str, depth: int = 100_000, attributes: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><{root}{attributes}>' + f"<{child}>" * depth + f"</{child}>" * depth + f"</{root}>"
    ).encode()


def csv_huge_cell(megabytes: int, header: str = "external_id") -> Callable[[], Iterator[bytes]]:
    return _repeat(f"{header}\n".encode(), b"A" * 1024, megabytes * 1024, b"\n")


def csv_rows(header: str, row: str, count: int) -> Callable[[], Iterator[bytes]]:
    return _repeat(f"{header}\n".encode(), f"{row}\n".encode(), count, b"")


def joined(chunks: Callable[[], Iterable[bytes]]) -> bytes:
    return b"".join(chunks())


def csv_wide_header(columns: int) -> Callable[[], Iterator[bytes]]:
    """A header of `columns` columns (c0,c1,...), then one row."""
    return lambda: iter([",".join(f"c{i}" for i in range(columns)).encode(), b"\nV-1\n"])


def csv_wide_row(columns: int) -> Callable[[], Iterator[bytes]]:
    """A sound header, then one row of `columns` cells."""
    return lambda: iter([b"external_id,given_name\n", b"V-1," + b"x," * columns, b"\n"])
