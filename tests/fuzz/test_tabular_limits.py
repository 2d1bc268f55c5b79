"""Each way a CSV/XLSX table broke the import before, with the error it now gets (row and column named), the
encodings and spellings a spreadsheet may come in, and hostile files refused in bounded time and memory (measured
in a fresh process: 100 MB cells, a million rows, zip bombs, a shared-strings bomb, a cell at XFD1048576, XML
nested 10^5 deep, billion laughs, external entities)."""

from __future__ import annotations

import codecs
import io

import pytest

from healthlinks.interchange.tabular import catalogue
from healthlinks.interchange.tabular.reader import CSV_FIELD_LIMIT, ImportRejected, read_table
from tests.fuzz.common import bounded, csv_bytes, load, probe, rejected_or_imported

pytestmark = pytest.mark.django_db


def _refused(kind: str, column: str, value: str) -> list[str]:
    rows = [list(r) for r in catalogue.EXAMPLES[kind]]
    rows[-1][catalogue.COLUMNS[kind].index(column)] = value
    upload = io.BytesIO(csv_bytes([catalogue.COLUMNS[kind], *rows]))
    upload.name = f"{kind}.csv"
    outcome, exc = rejected_or_imported(lambda: catalogue.IMPORTERS[kind](upload), ImportRejected)
    assert outcome == "rejected", exc
    return [str(e) for e in exc.errors]


@pytest.mark.parametrize(
    ("kind", "column", "value", "message"),
    [
        # int(float('inf')) raised OverflowError
        ("trainees", "count", "inf", "'inf' is too large or not a finite number"),
        ("trainees", "count", "1e999999999", "'1e999999999' is too large or not a finite number"),
        # integers past the database's integer column: OverflowError (SQLite) / DataError (PostgreSQL) at the write
        ("trainees", "count", "99999999999999999999", "'99999999999999999999' is too large (at most 2147483647)"),
        ("cascades", "people_trained", "1e300", "'1e300' is too large (at most 2147483647)"),
        # decimals past their column's digits: decimal.InvalidOperation at the write
        ("activities", "hours", "1e999999999", "'1e999999999' is too large: at most 6 digits before the decimal"),
        ("stays", "virtual_hours", "12345678", "'12345678' is too large: at most 6 digits before the decimal point"),
        ("costs", "amount", "12345678901234567890", "is too large: at most 12 digits before the decimal point"),
        ("assessments", "pre_score", "1e999999999", "'1e999999999' is too large: at most 5 digits before"),
        # texts longer than their column: stored cut (SQLite) or refused at the write (PostgreSQL)
        ("people", "external_id", "p" * 101, "column external_id: longer than 100 characters"),
        ("activities", "title", "t" * 201, "column title: longer than 200 characters"),
        ("costs", "description", "d" * 201, "column description: longer than 200 characters"),
        ("people", "email", "a" * 250 + "@example.org", "column email: longer than 254 characters"),
        # NUL: PostgreSQL text columns cannot hold it
        ("people", "given_name", "a\x00b", "column given_name: holds a NUL character (binary data?)"),
    ],
)
def test_values_the_database_cannot_store_are_errors_of_their_row(template_world, kind, column, value, message):
    errors = _refused(kind, column, value)
    assert any(message in e and f"{kind}.csv, row " in e for e in errors), errors


PEOPLE = [["external_id", "given_name"], ["V-001", "Zoë Ñandú"]]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # Excel's "Unicode text" (with a BOM)
        lambda text: text.encode("cp1252"),
        lambda text: text.replace(",", ";").encode("utf-8"),  # a European Excel's CSV
        lambda text: text.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode text" is tab-separated
    ],
    ids=["utf-8", "utf-8-bom", "utf-16", "cp1252", "semicolons", "utf-16-tabs"],
)
def test_the_encodings_and_separators_spreadsheets_write_are_read(encode):
    text = "\r\n".join(",".join(row) for row in PEOPLE) + "\r\n"
    table = read_table(io.BytesIO(encode(text)), columns=["external_id", "given_name"], required=[], name="p.csv")
    assert table.rows == [(2, {"external_id": "V-001", "given_name": "Zoë Ñandú"})]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "starts with a UTF-16 byte order mark but is not UTF-16 text"),
        (b"external_id\n\x81\x8d\x8f\x90\x9d\xc3\x28\n", "neither UTF-8 nor Windows-1252 text"),
        (b'external_id\n"V-001\n' + b"x" * (CSV_FIELD_LIMIT + 10),
         f"p.csv, row 2: a cell is longer than {CSV_FIELD_LIMIT} characters (is a quote left open?)"),
        (b"external_id,given_name\nV-1,\x00\n", "p.csv, row 2, column given_name: holds a NUL character"),
        (b"external_id\n" + b"y" * 10_001 + b"\n", "p.csv, row 2, column external_id: longer than 10000 characters"),
        (b"\x00" * 3 + b"external_id\n", "p.csv, row 1, column \\0\\0\\0external_id: unknown column"),
    ],
    ids=["bad-utf16", "not-text", "open-quote", "nul", "long-cell", "nul-header"],
)  # fmt: skip
def test_broken_text_is_refused_with_its_row(raw, message):
    with pytest.raises(ImportRejected) as info:
        read_table(io.BytesIO(raw), columns=["external_id", "given_name"], required=[], name="p.csv")
    assert message in str(info.value)


def test_a_long_file_name_is_shortened_in_messages_and_records():
    with pytest.raises(ImportRejected) as info:
        read_table(io.BytesIO(b"nope\n"), columns=["external_id"], required=[], name="/tmp/" + "n" * 300 + ".csv")
    assert info.value.errors[0].file == "n" * 95 + "….csv"


# --- resources, each in a fresh process (peak memory of that process only) -------------------------------------

SETUP = f"""
import io
from healthlinks.interchange.tabular.reader import read_table
PEOPLE_COLUMNS = {catalogue.COLUMNS["people"]!r}
"""


def _people(expression: str, name: str) -> str:
    """The reader every tabular importer starts with (the importers read no table before it returns)."""
    return f"read_table(io.BytesIO({expression}), columns=PEOPLE_COLUMNS, required=['external_id'], name={name!r})"


@pytest.mark.parametrize(
    ("build", "name", "message", "megabytes"),
    [
        ("bombs.joined(bombs.csv_huge_cell(100))", "p.csv", "p.csv, file: the file is larger than 50 MB", 150),
        ("bombs.joined(bombs.csv_huge_cell(40))", "p.csv",
         "p.csv, row 2: a cell is longer than 131072 characters (is a quote left open?)", 100),
        ("bombs.joined(bombs.csv_rows('external_id,given_name', 'V-1,Amina', 1_000_000))", "p.csv",
         "p.csv, file: more than 200000 rows; split the file", 100),
        ("bombs.joined(bombs.csv_wide_header(1_000_000))", "p.csv",
         "p.csv, row 1: the header row is longer than 256 KB", 100),
        ("bombs.joined(bombs.csv_wide_header(6_000))", "p.csv", "p.csv, row 1: more than 5000 columns", 100),
        ("bombs.joined(bombs.csv_wide_row(1_000_000))", "p.csv", "p.csv, row 2: more than 5000 columns", 100),
        ("bombs.xlsx_member_bomb(300)", "p.xlsx", "larger than 256 MB once unpacked (a zip bomb?)", 100),
        ("bombs.lie_about_sizes(bombs.xlsx_member_bomb(300), 'xl/media/image1.png')", "p.xlsx",
         "larger than 256 MB once unpacked (a zip bomb?)", 100),
        ("bombs.xlsx_shared_strings_bomb()", "p.xlsx", "more than 5000000 shared strings", 100),
        ("bombs.xlsx_huge_cell(100)", "p.xlsx", "a cell holds more than 1 MB of text (xl/sharedStrings.xml)", 100),
        ("bombs.xlsx_far_cell('XFD1048576')", "p.xlsx", "more than 200000 rows; split the file", 100),
        ("bombs.xlsx_far_cell('XFD150000')", "p.xlsx", "spans 150000 rows × 16384 columns", 100),
        ("bombs.xlsx_positional_wide()", "p.xlsx", "more than 5000000 cells", 100),
        ("bombs.xlsx_deep(100_000)", "p.xlsx", None, 300),
        ("bombs.xlsx_with_dtd(bombs.LAUGHS_DTD, 'lol9')", "p.xlsx", "p.xlsx, file: not a readable XLSX", 100),
        ("bombs.xlsx_with_dtd(bombs.XXE_DTD, 'xxe')", "p.xlsx", "p.xlsx, file: not a readable XLSX", 100),
    ],
    ids=["csv-100MB-cell", "csv-40MB-cell", "csv-million-rows", "csv-million-columns", "csv-6000-columns",
         "csv-million-cell-row", "xlsx-zip-bomb",
         "xlsx-lying-sizes", "xlsx-shared-strings", "xlsx-100MB-cell", "xlsx-XFD1048576", "xlsx-wide-area",
         "xlsx-positional-cells", "xlsx-deep-xml", "xlsx-laughs", "xlsx-xxe"],
)  # fmt: skip
def test_hostile_tables_are_refused_in_bounded_time_and_memory(tmp_path, build, name, message, megabytes):
    outcome = probe(SETUP + load(build), _people("data", name), tmp=tmp_path, django=False)
    if message is None:  # read (the nesting is text runs of one cell), without a crash
        assert outcome["error"] is None, outcome
    else:
        assert outcome["error"] == "ImportRejected" and message in outcome["message"], outcome
    assert "root:" not in outcome["message"] and "lollol" not in outcome["message"]
    assert bounded(outcome, megabytes=megabytes), outcome
