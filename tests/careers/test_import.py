import io

import pytest

from healthlinks.careers.models import CareerRecord
from healthlinks.interchange.tabular.catalogue import IMPORTERS, export_rows
from healthlinks.interchange.tabular.reader import ImportRejected

HEADER = "pseudo_id,external_id,recorded_on,status,grade,post,institution,country\n"


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO((HEADER + text).encode())


def test_career_records_are_imported_by_pseudonymous_or_external_id(careers_world):
    v1 = careers_world["people"]["V1"]
    before = CareerRecord.objects.count()
    result = IMPORTERS["careers"](
        _csv(f"{v1.pseudo_id},,2025-03-01,promoted,P4,Matron,,UGA\n,T3,2025-04-01,Moved abroad,,,,GBR\n"),
        user=careers_world["coordinator"],
        name="careers.csv",
    )
    assert result.created == 2 and CareerRecord.objects.count() == before + 2
    t3 = CareerRecord.objects.get(person__external_id="T3", recorded_on="2025-04-01")
    assert (t3.status, t3.source, t3.country_id) == ("moved_abroad", "import", "GBR")
    columns, rows = export_rows("careers", careers_world["coordinator"])
    assert "country_label" in columns and any(r[0] == v1.pseudo_id and r[3] == "promoted" for r in rows)


def test_a_bad_file_is_refused_naming_row_and_column_and_nothing_is_written(careers_world):
    before = CareerRecord.objects.count()
    with pytest.raises(ImportRejected) as exc:
        IMPORTERS["careers"](
            _csv(
                ",T1,2025-03-01,in_post,,,,UGA\n"  # good
                ",T2,2025-13-01,in_post,,,,\n"  # bad date
                ",T3,2025-03-01,retired,,,,XXX\n"  # bad status and country
                ",W1,2025-03-01,in_post,,,,\n"  # not a person the coordinator may change
                ",,2025-03-01,in_post,,,,\n"  # nobody named
            ),
            user=careers_world["coordinator"],
            name="careers.csv",
        )
    found = {(e.row, e.column) for e in exc.value.errors}
    assert found == {(3, "recorded_on"), (4, "status"), (4, "country"), (5, "external_id"), (6, "pseudo_id")}
    assert CareerRecord.objects.count() == before


def test_the_export_gives_a_researcher_neither_external_ids_nor_notes(careers_world, make_user):
    from healthlinks.accounts.models import Role
    from healthlinks.careers.services import career_record_save
    from healthlinks.network.models import Person

    v1 = careers_world["people"]["V1"]
    Person.objects.filter(pk=v1.pk).update(research_consent=True)
    careers_world["p"].__class__.objects.filter(pk=careers_world["p"].pk).update(publication="published")
    career_record_save(
        by=None, person=v1, recorded_on="2025-03-01", status="promoted", note="moved after a family illness"
    )
    columns, rows = export_rows("careers", careers_world["coordinator"])
    ext, note = columns.index("external_id"), columns.index("note")
    mine = [r for r in rows if r[0] == v1.pseudo_id]
    assert all(r[ext] == "V1" for r in mine) and any("family illness" in r[note] for r in mine)  # the coordinator
    researcher = make_user("careers-researcher", Role.RESEARCHER)
    columns, rows = export_rows("careers", researcher)
    theirs = [r for r in rows if r[0] == v1.pseudo_id]
    assert theirs, "the consenting volunteer's record is in the research table"
    assert all(r[ext] == "" and r[note] == "" for r in rows)
