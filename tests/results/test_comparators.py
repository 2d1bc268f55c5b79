"""Comparator programmes: the form page (hub admins only; bad input refused with its field, nothing written) and the
CSV import through the tabular catalogue (every error with its row and column, nothing half-written)."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.accounts.models import Role
from healthlinks.interchange.tabular.catalogue import COLUMNS, EXAMPLES, IMPORTERS, export_rows
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.results.models import ComparatorProgramme

pytestmark = pytest.mark.django_db

FORM = {
    "name": "National ETAT course", "kind": "national_inservice", "country": "UGA", "year": "2024",
    "currency": "ugx", "cash_cost": "1000000", "economic_cost": "", "trainees": "40", "followed_up": "20",
    "practice_changed": "8", "source": "MoH report", "notes": "",
}  # fmt: skip


def test_only_hub_admins_record_comparators(client_for, make_user, admin_user):
    url = reverse("comparator-create")
    assert client_for(None).get(url).status_code == 302
    for role in (Role.COORDINATOR, Role.MEMBER, Role.RESEARCHER):
        assert client_for(make_user(f"u-{role}", role)).post(url, FORM).status_code == 403
    assert not ComparatorProgramme.objects.exists()
    admin = client_for(admin_user)
    refused = admin.post(url, FORM | {"followed_up": "50"})  # more followed up than trained
    assert refused.status_code == 200 and "more trainees followed up than trained" in refused.content.decode()
    assert not ComparatorProgramme.objects.exists()
    assert admin.post(url, FORM).status_code == 302
    saved = ComparatorProgramme.objects.get()
    assert saved.currency == "UGX" and saved.history.first().history_user == admin_user
    edit = reverse("comparator-edit", args=[saved.pk])
    assert admin.post(edit, FORM | {"practice_changed": "9"}).status_code == 302
    assert ComparatorProgramme.objects.get().practice_changed == 9
    assert admin.post(edit, {"delete": "1"}).status_code == 302 and not ComparatorProgramme.objects.exists()


def _csv(rows):
    out = io.StringIO()
    for row in [COLUMNS["comparators"], *rows]:
        out.write(",".join(row) + "\n")
    return io.BytesIO(out.getvalue().encode())


def test_import_creates_then_updates_and_exports(admin_user):
    result = IMPORTERS["comparators"](_csv(EXAMPLES["comparators"]), user=admin_user, name="c.csv")
    assert (result.created, result.updated) == (1, 0)
    row = [*EXAMPLES["comparators"][0]]
    row[COLUMNS["comparators"].index("practice_changed")] = "60"
    result = IMPORTERS["comparators"](_csv([row]), user=admin_user, name="c.csv")
    assert (result.created, result.updated) == (0, 1) and ComparatorProgramme.objects.get().practice_changed == 60
    columns, rows = export_rows("comparators", admin_user)
    assert "kind_label" in columns and rows[0][columns.index("kind_label")] == "National in-service course"
    assert rows[0][columns.index("cash_cost")] == "180000000.00"


def test_import_refuses_bad_rows_and_writes_nothing(admin_user, make_user):
    good = [*EXAMPLES["comparators"][0]]
    bad = [*good]
    bad[0] = "Another course"
    bad[COLUMNS["comparators"].index("practice_changed")] = "500"  # more than followed up: the service refuses
    with pytest.raises(ImportRejected) as exc:
        IMPORTERS["comparators"](_csv([good, bad]), user=admin_user, name="c.csv")
    assert any(e.row == 3 and e.column == "practice_changed" for e in exc.value.errors)
    worse = [*good]
    worse[COLUMNS["comparators"].index("trainees")] = "many"
    with pytest.raises(ImportRejected) as exc:
        IMPORTERS["comparators"](_csv([worse]), user=admin_user, name="c.csv")
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, "trainees")]
    with pytest.raises(ImportRejected) as exc:
        IMPORTERS["comparators"](_csv([good]), user=make_user("coord", Role.COORDINATOR), name="c.csv")
    assert "only hub admins" in str(exc.value)
    assert not ComparatorProgramme.objects.exists()
    assert Decimal(good[COLUMNS["comparators"].index("cash_cost")]) > 0
