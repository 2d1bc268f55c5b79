from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from healthlinks.accounts.models import Role
from healthlinks.programmes.models import Dhis2Mapping, Programme, ProgrammeTarget
from healthlinks.programmes.selectors import can_edit_programme, programmes_visible_to
from healthlinks.programmes.services import partnership_add, programme_save


def test_who_sees_a_programme(programme_world: dict[str, Any], make_user: Any, admin_user: Any) -> None:
    w = programme_world
    hidden = programme_save(
        by=None, name="Only drafts", slug="drafts", period_start="2023-01-01", period_end="2023-12-31"
    )
    partnership_add(by=None, programme=hidden, partnership=w["c"])  # a draft partnership
    empty = programme_save(by=None, name="Empty", slug="empty", period_start="2023-01-01", period_end="2023-12-31")
    anyone = make_user("anyone", Role.MEMBER)
    assert set(programmes_visible_to(anyone)) == {w["programme"]}  # holds published partnerships
    assert set(programmes_visible_to(w["other"])) == {w["programme"], hidden}  # coordinates the draft
    assert set(programmes_visible_to(admin_user)) == {w["programme"], hidden, empty}
    assert can_edit_programme(w["coordinator"], w["programme"])
    assert not can_edit_programme(w["other"], w["programme"])
    assert not can_edit_programme(anyone, w["programme"])
    assert can_edit_programme(admin_user, empty)


def test_list_and_detail_in_words(programme_world: dict[str, Any], client_for: Any) -> None:
    client = client_for(None)
    page = client.get("/programmes/").content.decode()
    assert "Health Partnership Scheme round 3" in page
    detail = client.get("/programmes/hps-3/").content.decode()
    assert "Health workers trained" in detail
    assert "Uganda" in detail and ">UGA<" not in detail
    assert "60%" in detail  # 6 of a target of 10
    assert "Draft Kisumu" not in detail
    assert client.get("/programmes/hps-3/?period=quarter").status_code == 200
    assert client.get("/programmes/nope/").status_code == 404


def test_downloads(programme_world: dict[str, Any], client_for: Any) -> None:
    client = client_for(None)
    for fmt, kind in [
        ("csv", "text/csv"),
        ("xlsx", "spreadsheetml"),
        ("adx", "application/adx+xml"),
        ("dhis2", "application/json"),
    ]:
        response = client.get(f"/programmes/hps-3/rollup.{fmt}?period=quarter")
        assert response.status_code == 200, fmt
        assert kind in response["Content-Type"]
        assert "attachment" in response["Content-Disposition"]
    assert client.get("/programmes/hps-3/rollup.exe").status_code == 404


def test_pdf(programme_world: dict[str, Any], client_for: Any) -> None:
    response = client_for(None).get("/programmes/hps-3/rollup.pdf")
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_coordinator_creates_and_edits(programme_world: dict[str, Any], client_for: Any) -> None:
    w = programme_world
    client = client_for(w["coordinator"])
    fields = {
        "name": "Round 4",
        "slug": "round-4",
        "period_start": "2024-01-01",
        "period_end": "2025-12-31",
        "currency": "gbp",
    }
    refused = client.post("/programmes/new/", fields)
    assert refused.status_code == 200 and "Choose at least one" in refused.content.decode()
    assert not Programme.objects.filter(slug="round-4").exists()
    not_theirs = client.post("/programmes/new/", {**fields, "partnerships": [w["a"].pk, w["b"].pk]})
    assert not_theirs.status_code == 200  # b is not theirs to add
    assert not Programme.objects.filter(slug="round-4").exists()
    response = client.post("/programmes/new/", {**fields, "partnerships": [w["a"].pk]})
    assert response.status_code == 302
    programme = Programme.objects.get(slug="round-4")
    assert programme.currency == "GBP"
    assert list(programme.partnerships.all()) == [w["a"]]
    bad = client.post("/programmes/round-4/edit/", {**fields, "period_end": "2023-01-01", "partnerships": [w["a"].pk]})
    assert "the period ends before it starts" in bad.content.decode()
    response = client.post(
        "/programmes/round-4/targets/", {"library_code": "VOL-01", "period": "2024-Q2", "target": "7"}
    )
    assert response.status_code == 302
    target = ProgrammeTarget.objects.get(programme=programme)
    assert (target.period, target.target) == ("2024-Q2", Decimal(7))
    both = client.post(
        "/programmes/round-4/targets/",
        {"library_code": "VOL-01", "period": "2024", "target": "1", "sex": "male", "country": "UGA"},
    )
    assert "not several" in both.content.decode()
    wrong = client.post("/programmes/round-4/targets/", {"library_code": "VOL-01", "period": "24", "target": "1"})
    assert "a year (2025) or a quarter" in wrong.content.decode()
    client.post("/programmes/round-4/targets/", {"delete": target.pk})
    assert not ProgrammeTarget.objects.filter(programme=programme).exists()
    assert programme.history.count() >= 1


def test_others_may_not_edit(programme_world: dict[str, Any], client_for: Any, make_user: Any) -> None:
    w = programme_world
    assert client_for(None).get("/programmes/hps-3/edit/").status_code == 302
    assert client_for(w["other"]).get("/programmes/hps-3/edit/").status_code == 403
    assert client_for(w["other"]).post("/programmes/hps-3/targets/", {"delete": 1}).status_code == 403
    member = make_user("plainmember", Role.MEMBER)
    assert client_for(member).get("/programmes/new/").status_code == 403
    assert client_for(w["coordinator"]).get("/programmes/dhis2-mapping/").status_code == 403


def test_dhis2_mapping_page(admin_user: Any, client_for: Any) -> None:
    client = client_for(admin_user)
    assert client.get("/programmes/dhis2-mapping/").status_code == 200
    response = client.post(
        "/programmes/dhis2-mapping/", {"kind": "data_element", "key": "TRN-01", "uid": "DeTrained01"}
    )
    assert response.status_code == 302
    assert Dhis2Mapping.objects.get().uid == "DeTrained01"
    page = client.get("/programmes/dhis2-mapping/").content.decode()
    assert "Health workers trained" in page
    upload = SimpleUploadedFile("m.csv", b"kind,key,uid\norg_unit,country:UGA,OuUganda001\norg_unit,country:KEN,x\n")
    refused = client.post("/programmes/dhis2-mapping/", {"file": upload})
    assert "Row 2, uid" in refused.content.decode()
    assert Dhis2Mapping.objects.count() == 1


def test_services_refuse_bad_input(programme_world: dict[str, Any]) -> None:
    import pytest
    from django.core.exceptions import ValidationError

    from healthlinks.programmes.services import target_set

    w = programme_world
    with pytest.raises(ValidationError) as err:
        programme_save(by=None, name="X", slug="new", period_start="2023-01-01", period_end="2023-12-31")
    assert "slug" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        programme_save(by=None, name="X", slug="x", period_start="2023-01-01", period_end="2023-12-31", colour="red")
    assert "colour" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        target_set(by=None, programme=w["programme"], library_code="XYZ-99", period="2023", target=Decimal(1))
    assert "library_code" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        target_set(by=None, programme=w["programme"], library_code="TRN-01", period="2023", target=Decimal(-1))
    assert "target" in err.value.message_dict
    assert ProgrammeTarget.objects.filter(programme=w["programme"]).count() == 2  # nothing half-written
    # setting again replaces; None removes
    target_set(by=None, programme=w["programme"], library_code="TRN-01", period="2023", target=Decimal(12))
    assert ProgrammeTarget.objects.get(programme=w["programme"], sex="").target == Decimal(12)
    target_set(by=None, programme=w["programme"], library_code="TRN-01", period="2023", target=None)
    assert ProgrammeTarget.objects.filter(programme=w["programme"]).count() == 1
