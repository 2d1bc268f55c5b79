import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from healthlinks.cli import main
from healthlinks.interchange.programmes.exports import ADX_NAMESPACE, adx, adx_errors, dhis2, export
from healthlinks.programmes.rollup import programme_rollup
from healthlinks.programmes.services import mapping_set


def mapped() -> None:
    mapping_set(by=None, kind="data_element", key="TRN-01", uid="DeTrained01")
    mapping_set(by=None, kind="org_unit", key="programme:hps-3", uid="OuProgramme")
    mapping_set(by=None, kind="org_unit", key="country:UGA", uid="OuUganda001")
    mapping_set(by=None, kind="category_option_combo", key="sex:female", uid="CocFemale01")


def test_csv_is_in_words(programme_world: dict[str, Any]) -> None:
    out = export(programme_rollup(programme_world["programme"]), "csv")
    rows = list(csv.DictReader(io.StringIO(out.content.decode())))
    total = next(r for r in rows if r["Indicator"].startswith("TRN-01") and r["Period"] == "2023" and not r["Category"])
    assert (total["Value"], total["Target"], total["Achieved (%)"]) == ("6", "10", "60")
    assert "Health workers trained" in total["Indicator"]
    countries = {r["Category"] for r in rows if r["Disaggregation"] == "Country"}
    assert "Uganda" in countries and "UGA" not in countries
    assert "Female" in {r["Category"] for r in rows if r["Disaggregation"] == "Sex"}


def test_xlsx(programme_world: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    out = export(programme_rollup(programme_world["programme"]), "xlsx")
    sheet = load_workbook(io.BytesIO(out.content)).active
    assert sheet.cell(1, 1).value == "Indicator"


def test_adx_validates_against_the_schema(programme_world: dict[str, Any]) -> None:
    mapped()
    out = adx(programme_rollup(programme_world["programme"]))
    assert adx_errors(out.content) == []
    doc = etree.fromstring(out.content)
    ns = {"adx": ADX_NAMESPACE}
    group = doc.xpath("//adx:group[@orgUnit='OuProgramme' and @period='2023-01-01/P1Y']", namespaces=ns)[0]
    total = group.xpath("adx:dataValue[@dataElement='DeTrained01' and not(@SEX) and not(@CADRE)]", namespaces=ns)
    assert total[0].get("value") == "6"
    female = group.xpath("adx:dataValue[@dataElement='DeTrained01' and @SEX='female']", namespaces=ns)
    assert female[0].get("value") == "5"
    uganda = doc.xpath("//adx:group[@orgUnit='OuUganda001' and @period='2023-01-01/P1Y']", namespaces=ns)
    assert uganda
    # unmapped: our own codes written, and listed
    assert ("data_element", "VOL-01") in out.unmapped
    assert doc.xpath("//adx:dataValue[@dataElement='VOL-01']", namespaces=ns)


def test_the_schema_refuses_a_bad_message() -> None:
    bad = f'<adx xmlns="{ADX_NAMESPACE}" exported="2025-01-01T00:00:00"><group orgUnit="x" period="2025"/></adx>'
    assert adx_errors(bad.encode())


def test_dhis2_data_value_set(programme_world: dict[str, Any]) -> None:
    mapped()
    out = dhis2(programme_rollup(programme_world["programme"], granularity="quarter"))
    values = json.loads(out.content)["dataValues"]
    assert {"dataElement": "DeTrained01", "period": "2023Q1", "orgUnit": "OuProgramme", "value": "5"} in values
    female = [v for v in values if v.get("categoryOptionCombo") == "CocFemale01" and v["period"] == "2023Q1"]
    assert female == [
        {
            "dataElement": "DeTrained01",
            "period": "2023Q1",
            "orgUnit": "OuProgramme",
            "categoryOptionCombo": "CocFemale01",
            "value": "4",
        }
    ]
    assert {v["dataElement"] for v in values} == {"DeTrained01"}  # only the mapped indicator is sent
    assert ("data_element", "VOL-02") in out.unmapped
    assert ("category_option_combo", "sex:male") in out.unmapped


def test_mapping_refuses_bad_uids_and_keys(db: Any) -> None:
    from django.core.exceptions import ValidationError

    from healthlinks.programmes.models import Dhis2Mapping
    from healthlinks.programmes.services import mappings_import
    from healthlinks.records import RowInvalid

    with pytest.raises(ValidationError) as err:
        mapping_set(by=None, kind="data_element", key="TRN-01", uid="not a uid")
    assert "uid" in err.value.message_dict
    with pytest.raises(ValidationError):
        mapping_set(by=None, kind="data_element", key="sex:female", uid="DeTrained01")
    text = "kind,key,uid\ndata_element,TRN-01,DeTrained01\norg_unit,country:UGA,bad\n"
    with pytest.raises(RowInvalid) as row:
        mappings_import(by=None, text=text)
    assert row.value.index == 2 and "uid" in row.value.message_dict
    assert not Dhis2Mapping.objects.exists()  # nothing half-written
    assert mappings_import(by=None, text=text.replace(",bad", ",OuUganda001")) == 2


def test_cli_export(programme_world: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    mapped()
    target = tmp_path / "hps.json"
    assert main(["export", "programme", "hps-3", "--format", "dhis2", "-o", str(target)]) == 0
    assert json.loads(target.read_text())["dataValues"]
    err = capsys.readouterr().err
    assert "without a DHIS2 uid" in err and "Volunteers deployed" in err
    adx_file = tmp_path / "hps.xml"
    assert main(["export", "programme", "hps-3", "--format", "adx", "--period", "quarter", "-o", str(adx_file)]) == 0
    assert adx_errors(adx_file.read_bytes()) == []
    assert main(["export", "programme", "nope", "--format", "csv"]) != 0
    assert "no programme" in capsys.readouterr().err
