"""Survey responses (Kobo/Ona/ODK Central exports as CSV, XLSX with repeat sheets, or ODK's ZIP of CSVs): random
bytes and broken copies of valid exports are imported or refused with ImportRejected, never anything else, and a
refused file writes nothing."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthlinks.interchange.surveys.importer import import_responses
from healthlinks.interchange.tabular.reader import ImportRejected
from tests.fixtures import EXTERNAL
from tests.fuzz.common import (
    csv_bytes,
    encoded_table,
    fuzz,
    mutated_bytes,
    mutated_zip,
    odd_cell,
    rejected_or_imported,
    xlsx_bytes,
    zip_bytes,
)

pytestmark = pytest.mark.django_db

HEADER = [
    "partnership", "org/org_type", "topics", "topics/skills", "topics/exchange", "n", "cost", "when",
    "kids[1]/kid_name", "kids[1]/kid_age", "kids[2]/kid_name", "kids[2]/kid_age", "_uuid", "_submission_time",
    "_xform_id_string", "_tags",
]  # fmt: skip
ROWS = [
    ["leeds-gulu-anaesthesia-partnership", "trust", "skills", "1", "0", "3", "12.50", "2026-03-01",
     "Ann", "4", "Ben", "6", "u-1", "2026-03-01T10:00:00", "fuzz_survey", ""],
    ["", "uni", "exchange skills", "1", "1", "", "", "01/04/2026", "", "", "", "", "u-2",
     "2026-04-02T11:00:00+00:00", "fuzz_survey", ""],
]  # fmt: skip
ODK_MAIN = [
    ["SubmissionDate", "org-org_type", "topics", "n", "meta-instanceID", "KEY"],
    ["2026-05-01T08:00:00.000Z", "trust", "skills", "2", "uuid:o1", "uuid:o1"],
]
ODK_KIDS = [["kid_name", "kid_age", "PARENT_KEY", "KEY"], ["Dee", "3", "uuid:o1", "uuid:o1/kids[1]"]]


def _import(data: bytes, name: str, instrument=None, user=None):
    upload = io.BytesIO(data)
    upload.name = name
    return import_responses(upload, instrument=instrument, user=user, name=name)


def _check(call) -> str:
    outcome, result = rejected_or_imported(call, ImportRejected)
    if outcome == "rejected":
        assert result.errors and all(e.reason for e in result.errors), result.errors
    return outcome


def test_the_starting_exports_import(survey_world):
    instrument = survey_world["instrument"]
    assert _check(lambda: _import(csv_bytes([HEADER, *ROWS]), "kobo.csv")) == "imported"
    odk = zip_bytes({"fuzz.csv": csv_bytes(ODK_MAIN), "fuzz-kids.csv": csv_bytes(ODK_KIDS)})
    assert _check(lambda: _import(odk, "odk.zip", instrument)) == "imported"
    sheets = xlsx_bytes({"main": ODK_MAIN, "kids": ODK_KIDS})
    assert _check(lambda: _import(sheets, "odk.xlsx", instrument)) == "imported"


@fuzz(25)
@given(data=st.binary(max_size=2048), name=st.sampled_from(["r.csv", "r.xlsx", "r.zip"]), given_form=st.booleans())
def test_random_bytes_are_refused_cleanly(survey_world, data, name, given_form):
    instrument = survey_world["instrument"] if given_form else None
    assert _check(lambda: _import(data, name, instrument)) == "rejected"


@fuzz(25)
@given(st.data())
def test_broken_kobo_exports_are_imported_or_refused_cleanly(survey_world, data):
    raw, name = data.draw(encoded_table(HEADER, ROWS))
    instrument = survey_world["instrument"] if data.draw(st.booleans()) else None
    user = survey_world["coordinator"] if data.draw(st.booleans()) else None
    _check(lambda: _import(raw, name, instrument, user))


@fuzz(25)
@given(st.data())
def test_any_answer_may_hold_anything(survey_world, data):
    rows = [list(r) for r in ROWS]
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.sampled_from(rows))
        row[data.draw(st.integers(0, len(row) - 1))] = data.draw(odd_cell)
    _check(lambda: _import(csv_bytes([HEADER, *rows]), "kobo.csv"))


@fuzz(25)
@given(st.data())
def test_broken_odk_archives_and_workbooks_are_imported_or_refused_cleanly(survey_world, data):
    instrument = survey_world["instrument"]
    if data.draw(st.booleans()):
        raw = data.draw(mutated_zip(zip_bytes({"fuzz.csv": csv_bytes(ODK_MAIN), "fuzz-kids.csv": csv_bytes(ODK_KIDS)})))
        name = "odk.zip"
    else:
        raw = data.draw(mutated_zip(xlsx_bytes({"main": ODK_MAIN, "kids": ODK_KIDS})))
        name = "odk.xlsx"
    _check(lambda: _import(raw, name, instrument))


@pytest.fixture
def ona_form(db):
    from healthlinks.evaluation.services import instrument_save

    raw = (EXTERNAL / "xlsform" / "forms" / "tutorial_w_repeats.xlsx").read_bytes()
    return instrument_save(by=None, raw=raw, name="tutorial_w_repeats.xlsx")


@fuzz(25)
@given(st.data())
def test_broken_real_ona_export_is_imported_or_refused_cleanly(survey_world, ona_form, data):
    raw = data.draw(
        mutated_bytes((EXTERNAL / "xlsform" / "submissions" / "tutorial_w_repeats_export.csv").read_bytes())
    )
    _check(lambda: _import(raw, "ona.csv", ona_form))
