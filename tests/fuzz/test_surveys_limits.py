"""Each way a survey export broke the import before, with the error it now gets (row and column named), and the
resource limits of the export formats (zip bomb, far XLSX cell, a million rows), measured in a fresh process."""

from __future__ import annotations

import io

import pytest

from healthlinks.interchange.surveys.importer import import_responses
from healthlinks.interchange.tabular.reader import ImportRejected
from tests.fuzz.common import bounded, csv_bytes, load, probe, rejected_or_imported
from tests.fuzz.test_surveys_fuzz import HEADER, ROWS

pytestmark = pytest.mark.django_db
COLUMN = {name: i for i, name in enumerate(HEADER)}


def _refused(rows, header=HEADER) -> list[str]:
    upload = io.BytesIO(csv_bytes([header, *rows]))
    outcome, exc = rejected_or_imported(lambda: import_responses(upload, name="kobo.csv"), ImportRejected)
    assert outcome == "rejected", exc
    return [str(e) for e in exc.errors]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        # integer answers: Decimal -> int of 1e999999999 took minutes (1e500000: 37 s); sNaN/Infinity raised
        ("n", "1e999999999", "column n: '1e999999999' is too large: at most 14 digits before the decimal point"),
        ("n", "1e30", "column n: '1e30' is too large: at most 14 digits before the decimal point"),
        ("n", "sNaN", "column n: 'sNaN' is not a number"),
        ("n", "Infinity", "column n: 'Infinity' is not a number"),
        # decimal answers past Answer.number (20 digits, 6 places): the database refused them at the write
        ("cost", "12345678901234567890123", "column cost: '12345678901234567890123' is too large: at most 14 digits"),
        # the submission id past Response.uuid (100): a ValidationError escaped the import
        ("_uuid", "u" * 150, "column _uuid: longer than 100 characters"),
        # a time that leaves the calendar once converted to UTC (stored in UTC): OverflowError at the write
        ("_submission_time", "9999-12-31T23:00:00-05:00", "column _submission_time: '9999-12-31T23:00:00-05:00' is"),
        ("_submission_time", "0001-01-01T00:00:00+14:00", "column _submission_time: '0001-01-01T00:00:00+14:00' is"),
        ("when", "9999-99-99", "column when: '9999-99-99' is not a date (use YYYY-MM-DD)"),
        ("org/org_type", "a\x00b", "column org/org_type: holds a NUL character (binary data?)"),
    ],
)
def test_answers_the_database_cannot_store_are_errors_of_their_row(survey_world, column, value, message):
    rows = [list(r) for r in ROWS]
    rows[0][COLUMN[column]] = value
    errors = _refused(rows)
    assert any(e.startswith(f"kobo.csv, row 2, {message}") for e in errors), errors


def test_a_repeat_number_past_any_database_key_is_an_error_of_the_header(survey_world):
    header = list(HEADER)
    header[COLUMN["kids[1]/kid_name"]] = "kids[99999999999]/kid_name"
    assert "kobo.csv, row 1, column kids[99999999999]/kid_name: repeat number above 100000" in _refused(ROWS, header)


def test_the_real_numbers_at_the_limit_are_kept(survey_world):
    rows = [list(r) for r in ROWS]
    rows[0][COLUMN["n"]] = "9" * 14
    rows[0][COLUMN["cost"]] = "0.0000001"  # rounded to the 6 places stored
    upload = io.BytesIO(csv_bytes([HEADER, *rows]))
    assert import_responses(upload, name="kobo.csv").created == 2


# --- resources, each in a fresh process (peak memory of that process only) -------------------------------------

SETUP = """
import io
from healthlinks.interchange.surveys.importer import import_responses
from healthlinks.evaluation.models import Instrument
"""


def _import(expression: str, name: str) -> str:
    return f"import_responses(io.BytesIO({expression}), instrument=Instrument(slug='x'), name={name!r})"


@pytest.mark.parametrize(
    ("build", "name", "message"),
    [
        ("bombs.zip_of({'main.csv': bombs._repeat(b'_uuid\\n', b' ' * 1024, 60 * 1024, b'')})", "odk.zip",
         "more than 50 MB once unpacked (main.csv; a zip bomb?)"),
        ("bombs.lie_about_sizes(bombs.zip_of({'m.csv': bombs._repeat(b'KEY\\n', b'x' * 1024, 60 * 1024, b'')}),"
         " 'm.csv')", "odk.zip", "more than 50 MB once unpacked (m.csv; a zip bomb?)"),
        ("bombs.xlsx_far_cell('XFD1048576')", "kobo.xlsx", "more than 200000 rows"),
        ("bombs.xlsx_shared_strings_bomb()", "kobo.xlsx", "more than 5000000 shared strings"),
        ("bombs.joined(bombs.csv_rows('_uuid,_submission_time', 'u,2026-01-01', 1_000_000))", "kobo.csv",
         "more than 200000 rows; split the file"),
    ],
    ids=["zip-bomb", "zip-lying-sizes", "xlsx-far-cell", "xlsx-shared-strings", "csv-million-rows"],
)  # fmt: skip
def test_huge_exports_are_refused_in_bounded_time_and_memory(tmp_path, build, name, message):
    outcome = probe(SETUP + load(build), _import("data", name), tmp=tmp_path)
    assert outcome["error"] == "ImportRejected" and message in outcome["message"], outcome
    assert bounded(outcome), outcome
