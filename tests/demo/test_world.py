import contextlib
from datetime import date

import pytest

from healthlinks.demo.world import world_build
from healthlinks.network.models import Person, Stay
from healthlinks.registry.models import Institution, Partnership

pytestmark = pytest.mark.django_db


def test_small_world_is_realistic_and_marked_synthetic():
    from unittest import mock

    from healthlinks.activities import services as activity_services
    from healthlinks.demo import activities as demo_activities
    from healthlinks.demo import network as demo_network
    from healthlinks.network import services as network_services
    from healthlinks.results import services as results_services

    # the world is written through the owning apps' services (issue 25), watched here as it is built
    watched = [
        (demo_network, network_services, ["people_save_many", "stays_save_many", "ties_save_many"]),
        (demo_activities, network_services, ["people_save_many"]),
        (demo_activities, results_services, ["costs_save_many", "rate_save"]),
        (
            demo_activities,
            activity_services,
            [
                "activities_save_many",
                "trainees_save_many",
                "aggregates_save_many",
                "scores_save_many",
                "outcomes_save_many",
                "cascades_save_many",
                "knowledge_items_save_many",
            ],
        ),
    ]
    spies = {}
    with contextlib.ExitStack() as stack:
        for demo_module, owner, names in watched:
            for name in names:
                spy = mock.patch.object(demo_module, name, wraps=getattr(owner, name))
                spies[(demo_module.__name__, name)] = stack.enter_context(spy)
        stats = world_build(scale="S", seed=7)
    assert all(spy.called for spy in spies.values()), [key for key, spy in spies.items() if not spy.called]
    assert stats["partnerships"] == 60 == Partnership.objects.count()
    assert not Partnership.objects.filter(is_synthetic=False).exists()
    assert not Institution.objects.filter(is_synthetic=False).exists()
    published = Partnership.objects.filter(publication="published").count()
    assert published >= 40
    classes = set(Partnership.objects.values_list("geography_class", flat=True))
    assert {"north_south", "multi_country"} <= classes
    assert Partnership.objects.filter(members__institution__country_id="GBR").exists()
    # the network stage: people with stays of every kind, none overlapping
    assert stats["people"] > 1000 and stats["stays"] > 2 * stats["people"]
    assert not Person.objects.filter(is_synthetic=False).exists()
    for cls in ("visit", "short_stay", "medium_stay", "long_term"):
        assert any(s.continuum_class == cls for s in Stay.objects.filter(mode="physical")[:3000]), cls
    assert Stay.objects.filter(mode="virtual").exists() and Stay.objects.filter(circular=True).exists()
    from healthlinks.network.services import overlapping_pairs

    assert overlapping_pairs(Stay.objects.all()) == []
    # the activities stage: activities delivered during stays, with trainees, outcomes and costs
    from healthlinks.activities.models import Activity, Assessment, Outcome
    from healthlinks.results.models import CashCost

    assert stats["activities"] > 200 and stats["trainees"] > 1000
    assert not Activity.objects.filter(stays__isnull=True).exists()
    assert Assessment.objects.exists() and Outcome.objects.filter(level=3).exists() and CashCost.objects.exists()
    # ... so that every record has its first history row, as a form's edit gives one
    from healthlinks.activities.models import CascadeReport, KnowledgeItem, Trainee
    from healthlinks.network.models import PersonalData, Tie

    for model in (Person, PersonalData, Stay, Tie, Activity, Trainee, Assessment, Outcome, CascadeReport,
                  KnowledgeItem, CashCost):  # fmt: skip
        assert model.history.filter(history_type="+").count() == model.objects.count() > 0, model.__name__
    assert Activity.history.model.stays.model.objects.count() == Activity.stays.through.objects.count()


def test_planted_practice_change_effects_show_in_the_demo_world():
    """Repeat visits and long placements raise the share of trainees whose practice changed (L3)."""
    from healthlinks.activities.models import Outcome
    from healthlinks.demo.activities import planted_l3_rates

    world_build(scale="S", seed=5)
    changed: dict[str, list[int]] = {"first": [0, 0], "repeat": [0, 0]}
    for outcome in Outcome.objects.filter(level=3).prefetch_related("activity__stays"):
        stay = outcome.activity.stays.all()[0]
        if stay.mode != "physical" or stay.duration_days >= 180:
            continue
        key = "repeat" if stay.repeat_index >= 2 else "first"
        changed[key][0] += int(bool(outcome.practice_changed))
        changed[key][1] += 1
    first, repeat = (changed[k][0] / changed[k][1] for k in ("first", "repeat"))
    planted = planted_l3_rates()
    assert repeat > first
    assert abs(first - planted["visit"]) < 0.08 and abs(repeat - planted["repeat_visit"]) < 0.08


class _Undo(Exception):
    """Carries what a build produced out of the savepoint that is then rolled back."""


def _build_and_read(seed: int) -> dict:
    """Build the world inside a savepoint, read it, and roll it back (much faster than deleting it)."""
    from django.db import transaction

    from healthlinks.activities.models import Activity
    from healthlinks.careers.models import CareerRecord
    from healthlinks.readiness.models import ReadinessCheck

    try:
        with transaction.atomic():
            world_build(scale="S", seed=seed, build_day=date(2026, 12, 1))
            raise _Undo(
                {
                    "partnerships": list(
                        Partnership.objects.order_by("slug").values_list("slug", "start_date", "publication")
                    ),
                    "people": list(Person.objects.order_by("pseudo_id").values_list("pseudo_id", "cadre_id", "sex")),
                    "stays": list(
                        Stay.objects.order_by("person__pseudo_id", "start_date").values_list(
                            "person__pseudo_id", "start_date", "end_date", "mode"
                        )
                    ),
                    "activities": Activity.objects.count(),
                    "readiness": list(
                        ReadinessCheck.objects.order_by("stay__external_id", "item__position").values_list(
                            "stay__external_id", "item__name", "done_on", "note"
                        )
                    ),
                    "careers": list(
                        CareerRecord.objects.order_by("person__pseudo_id", "recorded_on").values_list(
                            "person__pseudo_id", "recorded_on", "status", "grade", "institution__name", "country_id"
                        )
                    ),
                }
            )
    except _Undo as undo:
        return undo.args[0]
    raise AssertionError("unreachable")


def test_same_seed_builds_the_same_world():
    first = _build_and_read(3)
    assert first["stays"] and first["readiness"] and first["careers"]
    assert not Partnership.objects.exists()  # rolled back
    assert _build_and_read(3) == first


def test_demo_refuses_to_mix_with_real_data(make_partnership):
    make_partnership()
    with pytest.raises(ValueError, match="empty registry"):
        world_build(scale="S", seed=1)
