"""XLSForm validation: broken forms are refused with sheet + row; the shipped and the real forms load."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthlinks.evaluation.xlsform import FormRejected, parse_xlsform
from tests.evaluation.conftest import CHOICES, FIXTURES, SURVEY, workbook

INSTRUMENTS = Path(__file__).resolve().parents[2] / "src" / "healthlinks" / "evaluation" / "instruments"


def errors_of(raw: bytes) -> list[str]:
    with pytest.raises(FormRejected) as exc:
        parse_xlsform(raw, "broken.xlsx")
    return [str(e) for e in exc.value.errors]


def with_row(row_index: int, row: list[str]) -> list[list[str]]:
    survey = [list(r) for r in SURVEY]
    survey[row_index] = row + [""] * (len(SURVEY[0]) - len(row))
    return survey


def test_valid_form_parses_groups_repeats_and_choices(form_bytes):
    form = parse_xlsform(form_bytes, "t.xlsx")
    by_name = {q.name: q for q in form.questions}
    assert form.form_id == "test_survey" and form.version == "3" and form.title == "Test survey"
    assert by_name["org_type"].path == "org/org_type" and by_name["org_type"].required
    assert by_name["topics"].type == "select_multiple" and by_name["topics"].list_name == "topic"
    assert by_name["kid_age"].repeat_path == "kids" and by_name["kid_age"].path == "kids/kid_age"
    assert by_name["n"].relevant == "${org_type} = 'trust'" and by_name["n"].constraint_message == "1 to 10"
    assert [c[0] for c in form.choices["topic"]] == ["skills", "exchange", "mentor"]


def test_unknown_type_names_sheet_and_row():
    assert errors_of(workbook(with_row(7, ["txet", "n", "How many"]), CHOICES)) == [
        "sheet survey, row 8: unknown question type 'txet'"
    ]


def test_missing_choice_list_names_sheet_and_row():
    errors = errors_of(workbook(with_row(6, ["select_multiple nolist", "topics", "Topics"]), CHOICES))
    assert errors == [
        "sheet survey, row 7: type 'select_multiple nolist': the list 'nolist' is not on the choices sheet"
    ]


def test_unclosed_group_is_pyxforms_error_mapped_to_row():
    survey = [r for r in SURVEY if r[0] != "end group"]
    errors = errors_of(workbook(survey, CHOICES))
    assert len(errors) == 1 and errors[0].startswith("sheet survey, row 3:") and "begin_group" in errors[0]


def test_duplicate_name_and_duplicate_choice_each_named():
    survey = with_row(13, ["text", "n", "Again"])
    choices = [*CHOICES, ["topic", "skills", "Skills again"]]
    errors = errors_of(workbook(survey, choices))
    assert "sheet choices, row 14: choice 'skills' appears twice in list 'topic'" in errors
    assert any(e.startswith("sheet survey, row 14: the name 'n' is already used on row 8") for e in errors)


def test_reference_to_unknown_question():
    errors = errors_of(workbook(with_row(7, ["integer", "n", "How many", "", "${nope} = 'x'"]), CHOICES))
    assert errors == ["sheet survey, row 8: relevant refers to ${nope}, which is not a question name"]


def test_invalid_name_comes_from_pyxform_with_row():
    errors = errors_of(workbook(with_row(13, ["text", "1 bad", "Comment"]), CHOICES))
    assert len(errors) == 1 and errors[0].startswith("sheet survey, row 14:") and "name" in errors[0]


def test_not_a_workbook_and_no_survey_sheet():
    assert errors_of(b"hello") == ["workbook: broken.xlsx is not an Excel workbook (.xlsx, or .xls); save it as .xlsx"]
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "questions"
    buf = io.BytesIO()
    book.save(buf)
    assert errors_of(buf.getvalue()) == ["sheet survey: the workbook has no 'survey' sheet"]


def test_real_mch_form_with_capitalised_type_is_refused_at_its_row():
    errors = errors_of((FIXTURES / "forms" / "MCH_v1.xlsx").read_bytes())
    assert errors == ["sheet survey, row 17: unknown question type 'Select one from source' (types are lower case)"]


@pytest.mark.parametrize(
    "name", ["tutorial_w_repeats", "Enumerator_Training_Practice_Survey", "mali_health_facilities_en_fr"]
)
def test_real_forms_load(name):
    form = parse_xlsform((FIXTURES / "forms" / f"{name}.xlsx").read_bytes(), f"{name}.xlsx")
    assert form.questions
    if name == "mali_health_facilities_en_fr":
        region = next(q for q in form.questions if q.name == "region")
        assert region.label == "Region" and set(region.labels) == {"English", "French"}
        assert any("regex" in w for w in form.warnings)  # outside the web form's subset: warned, kept


@pytest.mark.parametrize("stem", ["partnership_census", "volunteer_impact", "twinning_survey", "trainee_followup"])
def test_shipped_instruments_validate(stem):
    form = parse_xlsform((INSTRUMENTS / f"{stem}.xlsx").read_bytes(), f"{stem}.xlsx")
    assert form.form_id == stem and form.warnings == []
    assert any(q.type == "select_one" and q.list_name == "agree5" for q in form.questions)


def test_shipped_instruments_match_the_generator(tmp_path):
    """The committed .xlsx files are what tools/build_instruments.py writes (no hand edits)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "build", Path(__file__).resolve().parents[2] / "tools" / "build_instruments.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for form_id, form in module.FORMS.items():
        fresh = parse_xlsform(module.write(form_id, form, tmp_path).read_bytes(), f"{form_id}.xlsx")
        shipped = parse_xlsform((INSTRUMENTS / f"{form_id}.xlsx").read_bytes(), f"{form_id}.xlsx")
        assert [(q.path, q.type, q.label, q.relevant, q.constraint) for q in fresh.questions] == [
            (q.path, q.type, q.label, q.relevant, q.constraint) for q in shipped.questions
        ]
        assert fresh.choices == shipped.choices


def test_a_sheet_formatted_down_to_row_65536_is_read_by_its_rows_that_hold_data():
    """ODK's legacy transportation form (onadata fixtures) declares A1:D65536; its one empty formatted row at 65536
    is not a row of the form. Its legacy `begin loop over` group, which pyxform converts, is imported too: stored,
    and announced as not asked by the web form."""
    raw = (FIXTURES / "forms" / "transportation_referral_facility_legacy.xlsx").read_bytes()
    parsed = parse_xlsform(raw, "transportation.xlsx")
    assert [q.type for q in parsed.questions] == ["group", "select_multiple", "text", "loop", "photo"]
    assert any("row 5" in w and "begin loop over" in w and "not asked by the web form" in w for w in parsed.warnings)


def test_a_legacy_xls_form_reads_as_pyxform_reads_it():
    """Excel 97-2003 workbooks: pyxform converts them, so Healthlinks imports them (onadata's household tutorial)."""
    raw = (FIXTURES / "forms" / "household_tutorial_legacy.xls").read_bytes()
    parsed = parse_xlsform(raw, "household_tutorial.xls")
    names = [q.name for q in parsed.questions]
    assert names[:4] == ["member", "name", "relationship_to_household_head", "sex"] and len(names) == 11
    with pytest.raises(FormRejected) as err:
        parse_xlsform(raw[:4000], "truncated.xls")
    assert "not a readable XLS workbook" in err.value.errors[0].message
