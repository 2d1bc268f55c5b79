"""Institutions from real ROR records (schema v2 files from ror-community/ror-records, and the v1 shape): created,
then updated by ROR id, never duplicated; a bad record is named and nothing is written."""

from __future__ import annotations

import json

import pytest

from healthlinks.cli import main
from healthlinks.interchange.ror import RorRejected, import_ror
from healthlinks.registry.models import Institution
from tests.fixtures import EXTERNAL

pytestmark = pytest.mark.django_db

FILES = sorted((EXTERNAL / "ror" / "v2").glob("*.json"))


def test_real_ror_records_become_institutions_once(capsys):
    assert len(FILES) == 7
    assert main(["import", "ror", *map(str, FILES)]) == 0
    assert Institution.objects.count() == 7
    rwanda = Institution.objects.get(ror_id="00286hs46")
    assert (rwanda.name, rwanda.country_id, rwanda.city, rwanda.kind) == (
        "University of Rwanda", "RWA", "Butare", "university",
    )  # fmt: skip
    assert rwanda.latitude == pytest.approx(-2.59667)
    dump = json.dumps([json.loads(p.read_text()) for p in FILES]).encode()
    result = import_ror(dump, "dump.json")
    assert (result.created, result.updated) == (0, 7) and Institution.objects.count() == 7


def test_a_v1_record_and_an_api_answer_read_too():
    v1 = {"id": "https://ror.org/00286hs46", "name": "University of Rwanda", "types": ["Education"],
          "country": {"country_code": "RW", "country_name": "Rwanda"},
          "addresses": [{"city": "Butare", "lat": -2.6, "lng": 29.7}]}  # fmt: skip
    result = import_ror(json.dumps({"number_of_results": 1, "items": [v1]}).encode(), "api.json")
    assert result.created == 1
    assert Institution.objects.get(ror_id="00286hs46").kind == "university"


def test_a_bad_record_is_named_and_nothing_is_written():
    good = json.loads(FILES[0].read_text())
    bad = {**json.loads(FILES[1].read_text()), "locations": [], "names": []}
    with pytest.raises(RorRejected) as err:
        import_ror(json.dumps([good, bad]).encode(), "mixed.json")
    assert any("record 2" in e and "locations" in e for e in err.value.errors)
    assert any("record 2" in e and "names" in e for e in err.value.errors)
    assert not Institution.objects.exists()
    with pytest.raises(RorRejected):
        import_ror(b"<xml/>", "not.json")
