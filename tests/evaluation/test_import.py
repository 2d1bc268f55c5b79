"""Response import from Kobo/Ona/ODK Central export layouts: real and crafted; atomic; idempotent by uuid."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from healthlinks.evaluation.models import Answer, Response
from healthlinks.evaluation.services import instrument_save
from healthlinks.interchange.surveys.importer import import_responses
from healthlinks.interchange.tabular.reader import ImportRejected
from tests.evaluation.conftest import FIXTURES

pytestmark = pytest.mark.django_db


def answers(response):
    out: dict[str, list[str]] = {}
    for a in response.answers.select_related("question").order_by("question__order", "repeat_index", "value"):
        key = a.question.path + (f"[{a.repeat_index}]" if a.repeat_index else "")
        out.setdefault(key, []).append(a.value)
    return out


def test_real_ona_export_with_flattened_repeats():
    instrument = instrument_save(
        by=None, raw=(FIXTURES / "forms" / "tutorial_w_repeats.xlsx").read_bytes(), name="tutorial_w_repeats.xlsx"
    )
    result = import_responses(FIXTURES / "submissions" / "tutorial_w_repeats_export.csv", instrument=instrument)
    assert (result.created, result.updated) == (1, 0)
    response = Response.objects.get()
    assert response.uuid == "b31c6ac2-b8ca-4180-914f-c844fa10ed3b" and response.source == "kobo"
    assert response.submitted_at.isoformat() == "2013-02-18T15:54:01+00:00"
    got = answers(response)
    assert got["name"] == ["Bob"] and got["age"] == ["25"] and got["has_children"] == ["1"]
    assert got["children/childs_name[1]"] == ["Tom"] and got["children/childs_name[2]"] == ["Dick"]
    assert got["children/childs_age[2]"] == ["5"]
    assert "web_browsers" not in got  # n/a in every per-choice column: not answered
    assert Answer.objects.get(question__name="age").number == Decimal(25)


KOBO = (
    "partnership,org/org_type,org/respondent_role,topics,topics/skills,topics/exchange,topics/mentor,n,value,"
    "kids[1]/kid_name,kids[1]/kid_age,kids[2]/kid_name,kids[2]/kid_age,comment,_uuid,_submission_time,"
    "_xform_id_string,_tags\n"
    "{slug},trust,lead,skills mentor,1,0,1,3,agree,Ann,4,Ben,6,Very good,u-1,2026-03-01T10:00:00,test_survey,\n"
    "{slug},uni,nurse,exchange,0,1,0,,strongly_agree,,,,,,u-2,2026-04-02T11:00:00+00:00,test_survey,\n"
)


def test_kobo_csv_group_paths_select_multiple_and_form_id(instrument, make_partnership, write_csv):
    p = make_partnership(name="Leeds Gulu")
    result = import_responses(write_csv("kobo.csv", KOBO.format(slug=p.slug)))  # instrument from _xform_id_string
    assert result.instrument == "test-survey" and result.created == 2
    first = Response.objects.get(uuid="u-1")
    assert first.partnership == p
    got = answers(first)
    assert got["org/org_type"] == ["trust"] and got["topics"] == ["mentor", "skills"]
    assert got["kids/kid_name[1]"] == ["Ann"] and got["kids/kid_age[2]"] == ["6"]
    assert answers(Response.objects.get(uuid="u-2"))["topics"] == ["exchange"]


def test_odk_central_csv_dash_paths_and_split_select_multiple(instrument, write_csv):
    text = (
        "SubmissionDate,partnership,org-org_type,org-respondent_role,topics.skills,topics.exchange,topics.mentor,n,"
        "meta-instanceID,KEY,SubmitterID,ReviewState\n"
        "2026-05-01T08:00:00.000Z,,trust,nurse,1,1,0,2,uuid:abc,uuid:abc,5,\n"
    )
    result = import_responses(write_csv("central.csv", text), instrument=instrument)
    assert result.created == 1 and result.warnings == []
    response = Response.objects.get()
    assert response.uuid == "abc" and response.source == "odk"
    got = answers(response)
    assert got["topics"] == ["exchange", "skills"] and got["org/respondent_role"] == ["nurse"] and got["n"] == ["2"]


def _xlsx(sheets):
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        s = book.create_sheet(title)
        for row in rows:
            s.append(row)
    buf = io.BytesIO()
    book.save(buf)
    buf.name = "export.xlsx"
    buf.seek(0)
    return buf


def test_kobo_xlsx_with_repeat_sheet(instrument):
    upload = _xlsx(
        {
            "Test survey": [
                ["org/org_type", "topics", "_uuid", "_submission_time", "_index"],
                ["trust", "skills", "k-1", "2026-03-01 10:00:00", 1],
                ["uni", "", "k-2", "2026-03-02 10:00:00", 2],
            ],
            "kids": [
                ["kids/kid_name", "kids/kid_age", "_index", "_parent_index", "_parent_table_name"],
                ["Ann", 4, 1, 1, "Test survey"],
                ["Ben", 6, 2, 1, "Test survey"],
                ["Cy", 2, 3, 2, "Test survey"],
            ],
        }
    )
    import_responses(upload, instrument=instrument, name="export.xlsx")
    assert answers(Response.objects.get(uuid="k-1"))["kids/kid_name[2]"] == ["Ben"]
    assert answers(Response.objects.get(uuid="k-2"))["kids/kid_age[1]"] == ["2"]


def test_odk_xlsx_with_parent_key(instrument):
    upload = _xlsx(
        {
            "main": [["SubmissionDate", "org-org_type", "KEY"], ["2026-05-01T08:00:00Z", "trust", "uuid:o1"]],
            "kids": [["kid_name", "PARENT_KEY", "KEY"], ["Dee", "uuid:o1", "uuid:o1/kids[1]"], ["Eve", "uuid:o9", "x"]],
        }
    )
    with pytest.raises(ImportRejected) as exc:
        import_responses(upload, instrument=instrument, name="odk.xlsx")
    assert [str(e) for e in exc.value.errors] == [
        "odk.xlsx [kids], row 3, column PARENT_KEY: no submission 'uuid:o9' in the main sheet"
    ]
    assert not Response.objects.exists()


def test_errors_name_row_and_column_and_nothing_is_written(instrument, write_csv):
    text = (
        "org/org_type,topics,n,value,_uuid,_submission_time,partnership\n"
        "trust,skills,3,agree,e-1,2026-03-01T10:00:00,\n"
        "hospital,skills,3,agree,e-2,2026-03-01T10:00:00,\n"
        "trust,skills dancing,three,agree,e-3,yesterday,nope\n"
        "trust,skills,3,agree,,2026-03-01T10:00:00,\n"
    )
    with pytest.raises(ImportRejected) as exc:
        import_responses(write_csv("bad.csv", text), instrument=instrument)
    errors = [str(e) for e in exc.value.errors]
    assert "bad.csv, row 3, column org/org_type: 'hospital' is not a code of list 'kind' (trust, uni)" in errors
    assert any(e.startswith("bad.csv, row 4, column topics: 'dancing' is not a code") for e in errors)
    assert "bad.csv, row 4, column n: 'three' is not a whole number" in errors
    assert "bad.csv, row 4, column _submission_time: 'yesterday' is not a date and time" in errors
    assert "bad.csv, row 5, column _uuid: no submission id" in errors
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_unknown_partnership_is_an_error_and_coordinators_only_import_their_own(
    instrument, write_csv, make_partnership, make_user
):
    mine = make_user("c1", "coordinator")
    p_mine = make_partnership(name="Mine", coordinator=mine)
    p_other = make_partnership(name="Other")
    head = "partnership,_uuid,_submission_time\n"
    with pytest.raises(ImportRejected) as exc:
        import_responses(
            write_csv("x.csv", head + f"nope,a,2026-01-01\n{p_other.slug},b,2026-01-01\n"),
            instrument=instrument,
            user=mine,
        )
    assert [str(e) for e in exc.value.errors] == [
        "x.csv, row 2, column partnership: no partnership with slug 'nope'",
        f"x.csv, row 3, column partnership: you do not coordinate partnership '{p_other.slug}'",
    ]
    import_responses(write_csv("y.csv", head + f"{p_mine.slug},c,2026-01-01\n"), instrument=instrument, user=mine)
    assert Response.objects.get().partnership == p_mine


def test_reimport_is_idempotent_and_updates(instrument, write_csv):
    text = "org/org_type,topics,_uuid,_submission_time\ntrust,skills exchange,i-1,2026-03-01T10:00:00\n"
    path = write_csv("a.csv", text)
    assert import_responses(path, instrument=instrument).created == 1
    again = import_responses(path, instrument=instrument)
    assert (again.created, again.updated) == (0, 1)
    assert Response.objects.count() == 1 and Answer.objects.count() == 3
    import_responses(write_csv("b.csv", text.replace("skills exchange", "mentor")), instrument=instrument)
    assert answers(Response.objects.get())["topics"] == ["mentor"]


def test_without_a_form_id_the_export_is_matched_by_its_columns(instrument, write_csv):
    result = import_responses(write_csv("c.csv", "org/org_type,_uuid,_submission_time\ntrust,a,2026-01-01\n"))
    assert result.instrument == instrument.slug and result.created == 1
    with pytest.raises(ImportRejected) as exc:  # columns of no instrument: asks which one
        import_responses(write_csv("d.csv", "colour,_uuid,_submission_time\nred,b,2026-01-01\n"))
    assert "--instrument SLUG" in str(exc.value)


def test_an_export_of_another_form_is_refused_naming_its_columns(instrument, write_csv):
    """A shared `_version` used to send an export into the wrong survey, every column ignored, exit 0."""
    with pytest.raises(ImportRejected) as exc:
        import_responses(
            write_csv("other.csv", "colour,size,_uuid,_submission_time\nred,big,b,2026-01-01\n"), instrument=instrument
        )
    assert "none of the columns is a question of this instrument: colour, size" in str(exc.value)


def test_cli_import_xlsform_and_responses(tmp_path, form_bytes, capsys, db):
    from healthlinks.cli import main

    form = tmp_path / "test_survey.xlsx"
    form.write_bytes(form_bytes)
    assert main(["import", "xlsform", str(form), "--instrument", "cli-survey"]) == 0
    data = tmp_path / "r.csv"
    data.write_text("org-org_type,_uuid,_submission_time\nuni,z1,2026-01-01\n")
    assert main(["import", "responses", str(data), "--instrument", "cli-survey"]) == 0
    assert "1 responses imported into cli-survey (1 new, 0 updated)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("org-org_type,_uuid,_submission_time\nzzz,z2,2026-01-01\n")
    assert main(["import", "responses", str(bad), "--instrument", "cli-survey"]) == 1
    assert "bad.csv, row 2, column org-org_type" in capsys.readouterr().err


def test_odk_central_zip_with_repeat_csv(instrument, tmp_path):
    import zipfile

    path = tmp_path / "test_survey.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "test_survey.csv",
            "SubmissionDate,org-org_type,topics,meta-instanceID,KEY\n2026-05-01T08:00:00.000Z,uni,mentor,uuid:z1,uuid:z1\n",
        )
        z.writestr(
            "test_survey-kids.csv",
            "kid_name,kid_age,PARENT_KEY,KEY\nAnn,3,uuid:z1,uuid:z1/kids[1]\nBo,5,uuid:z1,uuid:z1/kids[2]\n",
        )
    result = import_responses(path, instrument=instrument)
    assert result.created == 1
    got = answers(Response.objects.get(uuid="z1"))
    assert got["kids/kid_name[1]"] == ["Ann"] and got["kids/kid_age[2]"] == ["5"] and got["topics"] == ["mentor"]
