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
