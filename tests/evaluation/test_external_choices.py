"""Choices kept outside the choices sheet: select_one_external with the workbook's external_choices sheet, and
select_one_from_file with the CSV file uploaded beside the form. Both are asked by the web form (and filtered by a
choice_filter); a from-file question whose file is missing is announced, not silently dropped."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from healthlinks.evaluation.models import Choice
from healthlinks.evaluation.services import instrument_save
from healthlinks.evaluation.webform import check_submission
from tests.evaluation.conftest import workbook

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label", "choice_filter"],
    ["select_one region", "region", "Region", ""],
    ["select_one_external district", "district", "District", "region=${region}"],
    ["select_one_from_file facilities.csv", "facility", "Facility", "district=${district}"],
]
CHOICES = [["list_name", "name", "label"], ["region", "north", "Northern"], ["region", "west", "Western"]]
EXTERNAL = [
    ["list_name", "name", "label", "region"],
    ["district", "gulu", "Gulu", "north"],
    ["district", "mbarara", "Mbarara", "west"],
]
FACILITIES = "name,label,district\ngulu_rrh,Gulu Regional Referral Hospital,gulu\nmbarara_rrh,Mbarara RRH,mbarara\n"


def _form() -> bytes:
    book = load_workbook(io.BytesIO(workbook(SURVEY, CHOICES, [["form_title", "form_id"], ["Places", "places"]])))
    sheet = book.create_sheet("external_choices")
    for row in EXTERNAL:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_external_and_file_choices_are_asked_and_filtered(admin_user, client_for):
    survey = instrument_save(by=None, raw=_form(), name="places.xlsx", media={"facilities.csv": FACILITIES.encode()})
    assert Choice.objects.get(instrument=survey, name="gulu").columns == {"region": "north"}
    assert Choice.objects.get(instrument=survey, name="gulu_rrh").label == "Gulu Regional Referral Hospital"
    ok = {"region": ["north"], "district": ["gulu"], "facility": ["gulu_rrh"]}
    assert check_submission(survey, ok)[1] == {}
    errors = check_submission(survey, {**ok, "facility": ["mbarara_rrh"]})[1]
    assert "mbarara_rrh" in errors["facility"]  # a facility of another district is refused
    page = client_for(admin_user).get(f"/surveys/{survey.slug}/form/").content.decode()
    assert "Gulu Regional Referral Hospital" in page and "Mbarara" in page
    assert page.count("data-choice-filter=") == 2
    assert not any("facilities.csv" in w for w in survey.warnings)


def test_a_from_file_question_without_its_file_is_announced(admin_user, client_for):
    survey = instrument_save(by=None, raw=_form(), name="places.xlsx")
    assert any("takes its choices from facilities.csv" in w for w in survey.warnings)
    page = client_for(admin_user).get(f"/surveys/{survey.slug}/form/").content.decode()
    assert "Facility" in page  # announced where it stands, not dropped
    assert "Gulu Regional Referral Hospital" not in page


def test_a_choices_file_without_a_name_column_is_refused_naming_it():
    from healthlinks.evaluation.xlsform import FormRejected

    with pytest.raises(FormRejected) as refused:
        instrument_save(by=None, raw=_form(), name="places.xlsx", media={"facilities.csv": b"label\nGulu\n"})
    assert "facilities.csv" in str(refused.value) and "'name' column" in str(refused.value)
