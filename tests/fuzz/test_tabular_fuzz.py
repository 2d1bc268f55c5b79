"""CSV/XLSX tables (people, stays, ties, activities, trainees, assessments, outcomes, costs, cascades, knowledge):
random bytes and broken copies of the shipped templates are imported or refused with ImportRejected (every error
naming the file, and a reason), never anything else, and a refused file writes nothing to any table."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthlinks.interchange.tabular import catalogue
from healthlinks.interchange.tabular.reader import ImportRejected
from tests.fuzz.common import csv_bytes, encoded_table, fuzz, odd_cell, rejected_or_imported

pytestmark = pytest.mark.django_db
KINDS = sorted(catalogue.IMPORTERS)


def _import(kind: str, data: bytes, name: str, user=None):
    upload = io.BytesIO(data)
    upload.name = name
    return catalogue.IMPORTERS[kind](upload, user=user)


def _check(kind: str, data: bytes, name: str, user=None) -> str:
    outcome, result = rejected_or_imported(lambda: _import(kind, data, name, user), ImportRejected)
    if outcome == "rejected":
        assert result.errors and all(e.file == name and e.reason for e in result.errors), result.errors
    return outcome


@fuzz(40)
@given(
    kind=st.sampled_from(KINDS),
    data=st.one_of(st.binary(max_size=2048), st.binary(max_size=64).map(lambda b: b"PK\x03\x04" + b)),
    name=st.sampled_from(["x.csv", "x.xlsx", "x.txt"]),
)
def test_random_bytes_are_refused_cleanly(template_world, kind, data, name):
    assert _check(kind, data, name) == "rejected"


def test_the_templates_themselves_import(template_world):
    """The starting point of the mutations below is valid: otherwise they would only test the header check."""
    for kind in ["people", "stays", "ties", *sorted(set(KINDS) - {"people", "stays", "ties"})]:
        data = csv_bytes([catalogue.COLUMNS[kind], *catalogue.EXAMPLES[kind]])
        assert _check(kind, data, f"{kind}.csv") == "imported", kind


@pytest.mark.parametrize("kind", KINDS)
@fuzz(12)
@given(st.data())
def test_broken_templates_are_imported_or_refused_cleanly(template_world, kind, data):
    raw, name = data.draw(encoded_table(catalogue.COLUMNS[kind], catalogue.EXAMPLES[kind]))
    user = template_world["coordinator"] if data.draw(st.booleans()) else None
    _check(kind, raw, name, user)


@pytest.mark.parametrize("kind", KINDS)
@fuzz(12)
@given(st.data())
def test_any_data_cell_may_hold_anything(template_world, kind, data):
    """One to three cells of the valid rows replaced by odd values (huge numbers, formulas, NUL, RTL marks...)."""
    rows = [list(r) for r in catalogue.EXAMPLES[kind]]
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.sampled_from(rows))
        row[data.draw(st.integers(0, len(row) - 1))] = data.draw(odd_cell)
    _check(kind, csv_bytes([catalogue.COLUMNS[kind], *rows]), f"{kind}.csv")
