"""Cascading selects (XLSForm choice_filter): choosing a region narrows the districts, in the browser and on the
server, which refuses a district of another region; the choices sheet's extra columns are kept for it."""

from __future__ import annotations

import pytest

from healthlinks.evaluation.models import Choice
from healthlinks.evaluation.services import instrument_save
from healthlinks.evaluation.webform import check_submission
from tests.evaluation.conftest import workbook

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label", "choice_filter"],
    ["select_one region", "region", "Region", ""],
    ["select_one district", "district", "District", "region=${region}"],
    ["select_multiple facility", "facilities", "Facilities", "district=${district} and level != 'closed'"],
]
CHOICES = [
    ["list_name", "name", "label", "region", "district", "level"],
    ["region", "north", "Northern", "", "", ""],
    ["region", "west", "Western", "", "", ""],
    ["district", "gulu", "Gulu", "north", "", ""],
    ["district", "mbarara", "Mbarara", "west", "", ""],
    ["facility", "gulu_rrh", "Gulu RRH", "", "gulu", "referral"],
    ["facility", "lacor", "Lacor", "", "gulu", "closed"],
    ["facility", "mbarara_rrh", "Mbarara RRH", "", "mbarara", "referral"],
]


@pytest.fixture
def cascade():
    raw = workbook(SURVEY, CHOICES, [["form_title", "form_id"], ["Facilities", "facilities"]])
    return instrument_save(by=None, raw=raw, name="cascade.xlsx")


def test_the_choices_sheet_columns_are_kept(cascade):
    assert Choice.objects.get(instrument=cascade, name="gulu").columns == {"region": "north"}
    assert cascade.questions.get(name="district").choice_filter == "region=${region}"


def test_the_server_accepts_a_district_of_the_region_and_refuses_another(cascade):
    ok = {"region": ["north"], "district": ["gulu"], "facilities": ["gulu_rrh"]}
    _answers, errors, _values = check_submission(cascade, ok)
    assert errors == {}
    _answers, errors, _values = check_submission(cascade, {**ok, "district": ["mbarara"]})
    assert "mbarara" in errors["district"]
    _answers, errors, _values = check_submission(cascade, {**ok, "facilities": ["gulu_rrh lacor"]})
    assert "lacor" in errors["facilities"]  # a closed facility is filtered out too


def test_the_web_form_carries_the_filter_for_the_browser(cascade, admin_user, client_for):
    page = client_for(admin_user).get(f"/surveys/{cascade.slug}/form/").content.decode()
    assert page.count("data-choice-filter=") == 2 and "data-columns=" in page
