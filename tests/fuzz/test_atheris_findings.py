"""What the atheris harnesses (tools/fuzz/) found, kept as regressions: an archive whose central directory says
it needs zip version 9.1 made zipfile raise NotImplementedError, which every zip reader let through (a 500); a
member without a name made ZipInfo.is_dir() raise IndexError in the survey export reader."""

from __future__ import annotations

import io

import pytest

from healthlinks.evaluation.xlsform import FormRejected, parse_xlsform
from healthlinks.interchange.refi_qda.safe import QdaRejected, read_zip
from healthlinks.interchange.surveys.importer import _read
from healthlinks.interchange.tabular.reader import ImportRejected, read_table
from tests.fuzz import bombs
from tests.fuzz.common import csv_bytes, zip_bytes


def test_a_workbook_needing_zip_version_9_is_refused_by_the_tabular_reader():
    with pytest.raises(ImportRejected, match=r"x\.xlsx, file: not a readable XLSX workbook: not a zip archive \("):
        read_table(
            io.BytesIO(bombs.needs_zip_version(bombs.xlsx())), columns=["external_id"], required=[], name="x.xlsx"
        )


def test_an_export_needing_zip_version_9_is_refused_by_the_survey_reader():
    archive = bombs.needs_zip_version(zip_bytes({"main.csv": csv_bytes([["KEY"], ["uuid:1"]])}))
    with pytest.raises(ImportRejected, match=r"odk\.zip, file: not a readable ZIP archive \(zip file version 9\.1\)"):
        _read(archive, "odk.zip")
    with pytest.raises(ImportRejected, match="not a readable XLSX workbook"):
        _read(bombs.needs_zip_version(bombs.xlsx()), "odk.xlsx")


def test_a_form_needing_zip_version_9_is_refused():
    with pytest.raises(FormRejected, match=r"workbook: not a readable XLSX workbook: not a zip archive"):
        parse_xlsform(bombs.needs_zip_version(bombs.xlsx(sheet_name="survey")), "form.xlsx")


def test_a_project_needing_zip_version_9_is_refused():
    with pytest.raises(QdaRejected, match=r"p\.qdpx: not a zip archive \(zip file version 9\.1\)"):
        read_zip(bombs.needs_zip_version(zip_bytes({"project.qde": b"<Project/>"})), "p.qdpx")


def test_an_export_with_a_nameless_member_is_refused():
    archive = bombs.nameless_member(zip_bytes({"main.csv": csv_bytes([["KEY"], ["uuid:1"]])}))
    with pytest.raises(ImportRejected, match=r"odk\.zip, file: the archive holds a file without a name"):
        _read(archive, "odk.zip")
    with pytest.raises(QdaRejected, match="unsafe path"):
        read_zip(bombs.nameless_member(zip_bytes({"project.qde": b"<Project/>"})), "p.qdpx")
