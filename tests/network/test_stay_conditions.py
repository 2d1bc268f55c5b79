"""The enabling conditions of a stay (issue 26): yes, no or unknown (the default), recorded on the stay forms, the
API and the stays import, and written by the export."""

import csv
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from healthlinks.interchange.tabular.network import STAY_COLUMNS, export_rows, import_stays
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.network.models import STAY_CONDITIONS, PersonRole, Stay
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(network_world):
    PersonRole.objects.create(person=network_world["alice"], partnership=network_world["p"], role="volunteer")
    return network_world


def test_conditions_are_unknown_by_default_and_set_on_the_form(w, client_for):
    client = client_for(w["coordinator"])
    data = {
        "person": w["alice"].pk,
        "mode": "physical",
        "host_institution": w["ug"].pk,
        "start_date": "2019-05-01",
        "end_date": "2019-05-28",
        "named_counterpart": "true",
        "leave_backfill": "false",
        "prior_contact": "unknown",
    }
    assert client.post(reverse("stay-create", args=[w["p"].slug]), data).status_code == 302
    stay = Stay.objects.get()
    assert (stay.named_counterpart, stay.leave_backfill, stay.prior_contact, stay.protected_time) == (
        True,
        False,
        None,
        None,
    )
    page = client.get(reverse("stay-edit", args=[stay.pk])).content.decode()
    assert "Named counterpart at the host" in page and "Shared working language" in page
    edit = {
        "mode": "physical",
        "host_institution": w["ug"].pk,
        "start_date": "2019-05-01",
        "end_date": "2019-05-28",
        "named_counterpart": "false",
        "shared_language": "true",
    }
    assert client.post(reverse("stay-edit", args=[stay.pk]), edit).status_code == 302
    stay.refresh_from_db()
    assert (stay.named_counterpart, stay.shared_language, stay.leave_backfill) == (False, True, None)
    assert stay.history.first().named_counterpart is False  # in the history


def test_the_api_reads_and_writes_the_conditions(w, client_for):
    client = client_for(w["coordinator"])
    body = {
        "person": w["alice"].pseudo_id,
        "partnership": w["p"].slug,
        "host_institution": w["ug"].pk,
        "mode": "physical",
        "start_date": "2020-01-01",
        "end_date": "2020-01-31",
        "protected_time": True,
    }
    resp = client.post("/api/v1/stays/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["protected_time"] is True and resp.json()["named_counterpart"] is None
    pk = resp.json()["id"]
    resp = client.patch(f"/api/v1/stays/{pk}/", {"protected_time": None}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["protected_time"] is None
    resp = client.patch(f"/api/v1/stays/{pk}/", {"shared_language": "perhaps"}, content_type="application/json")
    assert resp.status_code == 400 and "shared_language" in resp.json()


def _file(tmp_path, header, rows):
    path = tmp_path / "stays.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _row(w, ext, start, end, **conditions):
    base = [ext, "A1", w["p"].slug, w["uk"].name, w["ug"].name, "physical", start, end, "", "", ""]
    return base + [conditions.get(name, "") for name in STAY_CONDITIONS]


def test_the_import_reads_conditions_and_names_row_and_column_of_a_bad_value(w, tmp_path):
    good = _row(w, "S1", "2021-01-01", "2021-01-20", named_counterpart="yes", leave_backfill="no")
    bad = _row(w, "S2", "2021-03-01", "2021-03-20", shared_language="sometimes")
    with pytest.raises(ImportRejected) as refused:
        import_stays(_file(tmp_path, STAY_COLUMNS, [good, bad]))
    errors = [(e.row, e.column) for e in refused.value.errors]
    assert errors == [(3, "shared_language")]
    assert "'sometimes' is not yes, no or unknown" in str(refused.value.errors[0])
    assert not Stay.objects.exists()  # nothing half-written
    import_stays(_file(tmp_path, STAY_COLUMNS, [good, _row(w, "S2", "2021-03-01", "2021-03-20")]))
    s1, s2 = Stay.objects.order_by("external_id")
    assert (s1.named_counterpart, s1.leave_backfill, s1.prior_contact) == (True, False, None)
    assert all(getattr(s2, name) is None for name in STAY_CONDITIONS)
    # a file without the condition columns keeps what is recorded
    without = [c for c in STAY_COLUMNS if c not in STAY_CONDITIONS]
    import_stays(_file(tmp_path, without, [_row(w, "S1", "2021-01-01", "2021-01-22")[: len(without)]]))
    s1.refresh_from_db()
    assert s1.end_date.day == 22 and s1.named_counterpart is True and s1.leave_backfill is False
    # the export writes them as yes / no / blank, and reads back
    columns, rows = export_rows("stays", None)
    first = dict(zip(columns, rows[0], strict=True))
    assert (first["named_counterpart"], first["leave_backfill"], first["prior_contact"]) == ("yes", "no", "")


def test_the_service_refuses_a_condition_that_is_not_yes_no_or_unknown(w):
    with pytest.raises(ValidationError) as refused:
        stay_create(
            by=None,
            person=w["alice"],
            partnership=w["p"],
            host_institution=w["ug"],
            mode="physical",
            start_date=date(2020, 1, 1),
            end_date=date(2020, 1, 5),
            named_counterpart="maybe",
        )
    assert "named_counterpart" in refused.value.message_dict
