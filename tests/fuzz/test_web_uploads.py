"""The upload pages answer hostile files with a page listing the error, never a server error, and write nothing.
(A workbook with one cell at XFD1048576 used to abort the whole server process inside python-calamine.)"""

from __future__ import annotations

import io
from functools import cache

import pytest
from django.test import Client

from healthlinks.accounts.models import Role, User
from tests.fuzz import bombs
from tests.fuzz.common import table_counts

pytestmark = pytest.mark.django_db


@cache
def payloads() -> dict[str, tuple[bytes, str]]:
    return {
        "random": (b"\x00\xff garbage \xfe" * 50, "x.bin"),
        "far-cell": (bombs.xlsx_far_cell("XFD1048576"), "x.xlsx"),
        "zip-version": (bombs.needs_zip_version(bombs.xlsx()), "x.xlsx"),
        "huge-number": (b"activity,facility_level,count\nA-2025-01,district,1e999999999\n", "x.csv"),
        "deep-xml": (bombs.deep_xml("Project", "Code", 100_000), "x.qdc"),
    }


@pytest.fixture
def admin_client(survey_world):
    admin = User.objects.create(username="fuzzadmin", role=Role.HUB_ADMIN, is_staff=True)  # no password hashing
    client = Client()
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    return client


FORMS = {
    "tabular": ("/import/", {"kind": "trainees"}),
    "iati": ("/import/iati/", {}),
    "xlsform": ("/surveys/upload/", {"slug": "fuzz-upload"}),
    "responses": ("/surveys/import/", {"instrument": "fuzz-survey"}),
    "qdpx": ("/interviews/import/", {"kind": "qdpx", "partnership": "leeds-gulu-anaesthesia-partnership"}),
    "qdc": ("/interviews/import/", {"kind": "qdc"}),
    "ris": ("/evidence/import/", {"format": "ris"}),
    "bibtex": ("/evidence/import/", {"format": "bibtex"}),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_hostile_uploads_get_an_error_page_and_write_nothing(admin_client, form):
    url, fields = FORMS[form]
    for payload, (data, name) in payloads().items():
        upload = io.BytesIO(data)
        upload.name = name
        before = table_counts()
        response = admin_client.post(url, {**fields, "file": upload})
        assert response.status_code == 200, (payload, response.status_code)
        assert table_counts() == before, payload
