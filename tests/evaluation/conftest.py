"""Fixtures: XLSForm workbooks written on the fly, and the shipped instruments."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tests.fixtures import EXTERNAL

FIXTURES = EXTERNAL / "xlsform"


def workbook(
    survey: list[list[str]], choices: list[list[str]] | None = None, settings: list[list[str]] | None = None
) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        c = book.create_sheet("choices")
        for row in choices:
            c.append(row)
    if settings is not None:
        s = book.create_sheet("settings")
        for row in settings:
            s.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SURVEY = [
    ["type", "name", "label", "required", "relevant", "constraint", "constraint_message"],
    ["text", "partnership", "Partnership", "", "", "", ""],
    ["begin group", "org", "Organisation", "", "", "", ""],
    ["select_one kind", "org_type", "Kind", "yes", "", "", ""],
    ["select_one role", "respondent_role", "Role", "", "", "", ""],
    ["end group", "", "", "", "", "", ""],
    ["select_multiple topic", "topics", "Topics", "", "", "", ""],
    ["integer", "n", "How many", "", "${org_type} = 'trust'", ". >= 1 and . <= 10", "1 to 10"],
    ["select_one agree5", "value", "Worth it", "", "", "", ""],
    ["begin repeat", "kids", "Children", "", "", "", ""],
    ["text", "kid_name", "Name", "", "", "", ""],
    ["integer", "kid_age", "Age", "", "${kid_name} != ''", ". <= 18", "A child"],
    ["end repeat", "", "", "", "", "", ""],
    ["text", "comment", "Comment", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label"],
    ["kind", "trust", "NHS trust"],
    ["kind", "uni", "University"],
    ["role", "lead", "Lead"],
    ["role", "nurse", "Nurse"],
    ["topic", "skills", "Skill sharing"],
    ["topic", "exchange", "Exchange"],
    ["topic", "mentor", "Mentorship"],
    *[
        ["agree5", c, c.replace("_", " ")]
        for c in ("strongly_disagree", "disagree", "neutral", "agree", "strongly_agree")
    ],
]
SETTINGS = [["form_title", "form_id", "version"], ["Test survey", "test_survey", "3"]]


@pytest.fixture
def form_bytes() -> bytes:
    return workbook(SURVEY, CHOICES, SETTINGS)


@pytest.fixture
def instrument(db: Any, form_bytes: bytes):
    from healthlinks.evaluation.services import instrument_save

    return instrument_save(by=None, raw=form_bytes, name="test_survey.xlsx", slug="test-survey")


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
