"""XLSForm instruments: random bytes, broken workbooks (real forms from Kobo/ODK users and our own) and broken
sheets are saved or refused with FormRejected (or ValidationError, for a slug taken by someone else), never
anything else, and a refused form writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from healthlinks.evaluation.services import instrument_save
from healthlinks.evaluation.xlsform import FormRejected
from tests.fixtures import EXTERNAL
from tests.fuzz.common import fuzz, mutated_grid, mutated_zip, odd_cell, rejected_or_imported, xlsx_bytes
from tests.fuzz.conftest import CHOICES, SETTINGS, SURVEY

pytestmark = pytest.mark.django_db
FORMS = sorted((EXTERNAL / "xlsform" / "forms").glob("*.xlsx"))
REJECTED = (FormRejected, ValidationError)
EXPRESSIONS = [
    "${n} > 3",
    "(" * 5000 + "1" + ")" * 5000,
    "not(" * 3000 + "true()" + ")" * 3000,
    "${" + "a" * 5000 + "}",
    ". <= 1e999999999",
    "selected(${topics}, '" + "x" * 10_000 + "')",
    "string-length(.) > -1e309",
    "${n} = ${n} = ${n} = ${n}",
    "concat(" + ",".join(["'a'"] * 2000) + ")",
    "\x00",
]


def _save(raw: bytes, name: str = "form.xlsx", slug: str = ""):
    return rejected_or_imported(lambda: instrument_save(by=None, raw=raw, name=name, slug=slug), REJECTED)


def test_the_starting_forms_save(db, form_bytes):
    assert _save(form_bytes)[0] == "imported"
    for path in FORMS:  # MCH_v1 is one of onadata's bug fixtures: a form with errors
        assert _save(path.read_bytes(), path.name)[0] == ("rejected" if path.name == "MCH_v1.xlsx" else "imported")


@fuzz(25)
@given(data=st.one_of(st.binary(max_size=2048), st.binary(max_size=256).map(lambda b: b"PK\x03\x04" + b)))
def test_random_bytes_are_refused_cleanly(db, data):
    outcome, exc = _save(data)
    assert outcome == "rejected" and str(exc)


@fuzz(25)
@given(st.data())
def test_broken_form_workbooks_are_saved_or_refused_cleanly(db, data):
    raw = data.draw(st.sampled_from(FORMS)).read_bytes()
    _save(data.draw(mutated_zip(raw)), slug="broken")


@fuzz(25)
@given(st.data())
def test_broken_sheets_are_saved_or_refused_cleanly(db, data):
    survey = data.draw(mutated_grid(SURVEY[0], SURVEY[1:]))
    choices = data.draw(mutated_grid(CHOICES[0], CHOICES[1:]))
    sheets = {"survey": survey, "choices": choices, "settings": SETTINGS}
    if data.draw(st.integers(0, 5)) == 0:
        del sheets[data.draw(st.sampled_from(["choices", "settings"]))]
    _save(xlsx_bytes(sheets), slug="broken")


@fuzz(25)
@given(st.data())
def test_any_expression_or_name_may_hold_anything(db, data):
    survey = [list(r) for r in SURVEY]
    row = data.draw(st.integers(1, len(survey) - 1))
    column = data.draw(st.sampled_from([1, 2, 4, 5]))  # name, label, relevant, constraint
    survey[row][column] = data.draw(st.one_of(st.sampled_from(EXPRESSIONS), odd_cell))
    _save(xlsx_bytes({"survey": survey, "choices": CHOICES, "settings": SETTINGS}), slug="odd")
