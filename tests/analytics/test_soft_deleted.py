"""A soft-deleted person or partnership (healthlinks.ops.softdelete) is not analysed: their stays are not counted,
including by a snapshot that kept its other tables from before the deletion."""

import pytest

from healthlinks.analytics import engine
from healthlinks.analytics.impact import collective
from healthlinks.network.models import Person
from healthlinks.ops.softdelete import partnership_delete, person_delete, person_restore
from healthlinks.registry.models import Partnership
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _volunteer_days(partnership: Partnership) -> int:
    return collective(engine.snapshot(), [partnership.pk], None, None)["totals"]["volunteer_days"]


def test_a_deleted_persons_stays_are_not_counted_until_restored(world, admin_user):  # noqa: F811
    engine.clear()
    p = world["p"]
    assert _volunteer_days(p) == 25  # tests/analytics/test_baselines.py's hand count
    carol = Person.objects.get(external_id="C1")  # 5 days
    person_delete(by=admin_user, pseudo_id=carol.pseudo_id)
    assert _volunteer_days(p) == 20
    assert carol.pk not in engine.snapshot().tables["people"]["id"].to_pylist()
    person_restore(by=admin_user, pseudo_id=carol.pseudo_id)
    assert _volunteer_days(p) == 25


def test_a_deleted_partnerships_stays_are_not_counted(world, admin_user):  # noqa: F811
    engine.clear()
    assert engine.snapshot().tables["stays"].num_rows == 5
    partnership_delete(by=admin_user, slug=world["p"].slug)
    assert engine.snapshot().tables["stays"].num_rows == 0
