"""One module says what changed: a single write through a model signal, a bulk service by itself; a table the
analyses read moves the analyses' version (and with it the API's ETags), any other table the API's own."""

from __future__ import annotations

import pytest

from healthlinks import changes
from healthlinks.analytics.models import DataVersion, TableVersion
from healthlinks.api.models import ApiVersion
from healthlinks.network.models import Person, Stay
from healthlinks.network.services import PersonIn, people_save_many

pytestmark = pytest.mark.django_db


def _tokens():
    return (
        DataVersion.objects.values_list("token", flat=True).first(),
        ApiVersion.objects.values_list("token", flat=True).first(),
    )


def test_a_read_table_moves_the_analyses_version_and_another_the_apis():
    start = _tokens()
    changes.changed([Stay])
    after_stay = _tokens()
    assert after_stay[0] != start[0] and after_stay[1] == start[1]
    assert TableVersion.objects.filter(table="network_stay").exists()
    changes.changed(["evidence_reference"])
    after_reference = _tokens()
    assert after_reference[0] == after_stay[0] and after_reference[1] != after_stay[1]
    changes.changed()
    assert all(a != b for a, b in zip(_tokens(), after_reference, strict=True))


def test_a_bulk_service_says_what_it_changed_without_signals():
    start = _tokens()
    people_save_many(by=None, people=[PersonIn(external_id="X1", fields={"sex": "female"}, personal={})])
    assert Person.objects.filter(external_id="X1").exists()
    assert _tokens()[0] != start[0]
    assert TableVersion.objects.filter(table="network_person").exists()
