"""A question the web form cannot ask (a photo, a location) is announced where it stands, never silently
dropped (the questions keep their order); what a form records by itself (calculate, start) stays unseen."""

from __future__ import annotations

import pytest

from healthlinks.evaluation.services import instrument_save
from tests.evaluation.conftest import workbook

pytestmark = pytest.mark.django_db

SURVEY = [
    ["type", "name", "label", "calculation"],
    ["start", "started", "", ""],
    ["text", "ward", "Which ward?", ""],
    ["image", "ward_photo", "A photo of the ward", ""],
    ["geopoint", "where", "Where is the facility?", ""],
    ["calculate", "twice", "", "2 * 2"],
    ["integer", "beds", "How many beds?", ""],
]


def test_the_photo_and_the_location_are_announced_in_place(admin_user, client_for):
    instrument_save(
        by=None, raw=workbook(SURVEY, None, [["form_title", "form_id"], ["Ward check", "ward_check"]]), name="w.xlsx"
    )
    page = client_for(admin_user).get("/surveys/ward-check/form/").content.decode()
    order = [
        page.index(text) for text in ("Which ward?", "A photo of the ward", "Where is the facility?", "How many beds?")
    ]
    assert order == sorted(order)
    assert page.count('class="note not-asked"') == 2 and "answered in ODK Collect or Enketo" in page
    assert 'data-name="twice"' not in page and 'data-name="started"' not in page
