"""Each way an XLSForm broke the upload before, with the error it now gets, and hostile workbooks (zip bombs,
a shared-strings bomb, a cell at XFD1048576, XML nested 10^5 deep, entities) refused in bounded time and memory."""

from __future__ import annotations

import pytest

from healthlinks.evaluation.models import Instrument
from healthlinks.evaluation.services import instrument_save
from healthlinks.evaluation.xlsform import FormRejected, parse_xlsform
from tests.fuzz.common import bounded, load, probe, rejected_or_imported, xlsx_bytes
from tests.fuzz.conftest import CHOICES, SETTINGS, SURVEY


def _form(survey=SURVEY, choices=CHOICES) -> bytes:
    return xlsx_bytes({"survey": survey, "choices": choices, "settings": SETTINGS})


def _errors(raw: bytes) -> list[str]:
    with pytest.raises(FormRejected) as info:
        parse_xlsform(raw, "form.xlsx")
    return [str(e) for e in info.value.errors]


def test_names_longer_than_the_database_holds_are_errors_of_their_row():
    survey = [list(r) for r in SURVEY]
    survey[2][1] = "g" * 121  # the group's name
    choices = [*CHOICES, ["k" * 121, "x", "X"], ["kind", "c" * 121, "C"]]
    errors = _errors(_form(survey, choices))
    assert "sheet survey, row 3: the name is longer than 120 characters" in errors
    assert "sheet choices, row 6: list_name is longer than 120 characters" in errors
    assert "sheet choices, row 7: name is longer than 120 characters" in errors


def test_a_group_path_longer_than_the_database_holds_is_refused():
    groups = [["begin group", f"{'g' * 100}{i}", "G"] for i in range(4)]
    survey = [SURVEY[0], *groups, ["text", "deep", "Deep"], *[["end group", "", ""]] * 4]
    errors = _errors(_form(survey))
    assert "sheet survey: question 'deep': its group path is longer than 400 characters" in errors


@pytest.mark.django_db
def test_an_expression_nested_past_the_recursion_limit_is_kept_with_a_warning():
    """It raised RecursionError (a 500 on upload); pyxform accepts it, so it is saved and the web form skips it."""
    survey = [list(r) for r in SURVEY]
    survey[6][5] = "(" * 3000 + ". <= 10" + ")" * 3000  # n's constraint
    outcome, result = rejected_or_imported(
        lambda: instrument_save(by=None, raw=_form(survey), name="f.xlsx"), FormRejected
    )
    if outcome == "imported":
        assert any("nested too deeply" in w for w in result.warnings)
    else:
        assert "constraint" in str(result) or "n" in str(result)
    assert Instrument.objects.filter(slug="fuzz-survey").count() == (outcome == "imported")


SETUP = """
from healthlinks.evaluation.xlsform import parse_xlsform
"""


@pytest.mark.parametrize(
    ("build", "message"),
    [
        ("bombs.lie_about_sizes(bombs.xlsx_member_bomb(300), 'xl/media/image1.png')", "larger than 256 MB once"),
        ("bombs.xlsx_far_cell('XFD1048576')", "more than 50000 rows"),
        ("bombs.xlsx_far_cell('XFD200')", "more than 2000000 cells"),
        ("bombs.xlsx_shared_strings_bomb(2_100_000)", "more than 2000000 shared strings"),
        ("bombs.xlsx_deep(100_000, sheet_name='survey')", "sheet survey"),
        ("bombs.xlsx_with_dtd(bombs.LAUGHS_DTD, 'lol9')", "not a readable XLSX workbook"),
        ("bombs.xlsx_with_dtd(bombs.XXE_DTD, 'xxe')", "not a readable XLSX workbook"),
    ],
    ids=["zip-bomb-lying-sizes", "far-cell", "wide-area", "shared-strings", "deep-xml", "laughs", "xxe"],
)  # fmt: skip
def test_hostile_workbooks_are_refused_in_bounded_time_and_memory(tmp_path, build, message):
    outcome = probe(SETUP + load(build), "parse_xlsform(data, 'form.xlsx')", tmp=tmp_path, django=False)
    assert outcome["error"] == "FormRejected" and message in outcome["message"], outcome
    assert "root:" not in outcome["message"]  # /etc/passwd never read into a message
    assert bounded(outcome), outcome
