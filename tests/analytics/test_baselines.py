"""The bench's baselines (bench/baselines.py) compute every figure of the collective-impact dashboard the way an
analyst (pandas) and a Django platform (ORM) would, and must give the engine's numbers: on the hand-counted
partnership of tests/results, whose costs need converting (one currency has no rate), whose volunteer time is
valued by grade and by cadre, which has a gift in kind, and which has two member institutions in one country."""

import pytest
from bench import baselines
from django.db import connection

from healthlinks.analytics import engine
from healthlinks.analytics.impact import collective
from healthlinks.registry.models import Partnership, PartnershipMember
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _engine() -> baselines.Core:
    snap = engine.load(engine.extract(), None)
    return baselines.engine_core(collective(snap, list(Partnership.objects.values_list("pk", flat=True)), None, None))


def test_pandas_orm_and_floor_give_the_engines_figures(world, make_institution):  # noqa: F811
    PartnershipMember.objects.create(partnership=world["p"], institution=make_institution("GBR"), role="partner")
    ours = _engine()
    row = ours["partnerships"][world["p"].pk]
    # the hand count of tests/analytics/test_impact.py, over all years: 1,499 GBP converted, the KES cost not
    assert row["volunteer_days"] == 25 and row["cash"] == pytest.approx(1499) and row["unconverted"] == 1
    assert row["trained"] == 5 and row["female"] == 3 and row["main_activity"] == "training_course"
    assert row["in_kind"] > 5400  # the 2022 figure plus the 2019 stay's time
    # two British members: the partnership's trainees count once in GBR
    assert ours["by"]["country"] == {"GBR": 5, "UGA": 5}
    assert ours["trend"][2022] == {"volunteer_days": 18, "cash": pytest.approx(500), "trained": 5}
    connection.ensure_connection()
    others = {
        "pandas": baselines.pandas_core(connection.connection),
        "orm": baselines.orm_core(),
        "floor": baselines.floor_core(engine.load(engine.extract(), None)),
    }
    for name, theirs in others.items():
        assert baselines.differences(ours, theirs) == [], name


def test_differences_name_the_figure_that_disagrees(world):  # noqa: F811
    ours = _engine()
    theirs = baselines.orm_core()
    pk = world["p"].pk
    theirs["partnerships"][pk]["in_kind"] += 1
    theirs["by"]["year"]["2022"] += 1
    problems = baselines.differences(ours, theirs)
    assert len(problems) == 2
    assert problems[0].startswith(f"partnership {pk}: in_kind") and problems[1].startswith("by year")
    # amounts summed in another order agree to a relative 1e-9, not more loosely
    theirs = baselines.orm_core()
    theirs["partnerships"][pk]["cash"] *= 1 + 1e-12
    assert baselines.differences(ours, theirs) == []
    theirs["partnerships"][pk]["cash"] *= 1 + 1e-6
    assert baselines.differences(ours, theirs) != []
