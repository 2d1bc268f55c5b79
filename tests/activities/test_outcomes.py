from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from healthlinks.activities.models import Assessment, KnowledgeItem
from healthlinks.activities.services import activity_save, assessment_save, outcome_create
from healthlinks.network.services import stay_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def activity(network_world):
    return activity_save(
        by=None,
        partnership=network_world["p"],
        title="Obstetric emergencies",
        kind="workshop",
        mode="in_person",
        start_date=date(2022, 3, 1),
        end_date=date(2022, 3, 3),
    )


@pytest.mark.parametrize(
    ("pre", "post", "top", "gain", "normalised"),
    [
        (40, 70, 100, 30, 0.5),
        (0, 100, 100, 100, 1.0),
        (80, 60, 100, -20, -1.0),
        (100, 100, 100, 0, None),
        (10, 20, 20, 10, 1.0),
    ],
)
def test_gain_and_normalised_gain(pre, post, top, gain, normalised):
    a = Assessment(pre_score=Decimal(pre), post_score=Decimal(post), max_score=Decimal(top))
    assert a.gain == gain
    assert a.normalised_gain == normalised


def test_scores_outside_the_scale_are_refused(activity, network_world):
    with pytest.raises(ValidationError) as err:
        assessment_save(
            by=None,
            activity=activity,
            person=network_world["alice"],
            pre_score=Decimal(50),
            post_score=Decimal(120),
            max_score=Decimal(100),
        )
    assert "post_score" in err.value.message_dict
    assert not Assessment.objects.exists()


def test_each_level_needs_its_own_measure(activity, network_world):
    alice = network_world["alice"]
    base = {"by": None, "activity": activity, "person": alice, "recorded_on": date(2022, 9, 1)}
    with pytest.raises(ValidationError) as err:
        outcome_create(level=3, dimension="practice", practice_changed=True, **base)
    assert "follow_up_months" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        outcome_create(level=1, dimension="practice", rating=4, **base)
    assert "dimension" in err.value.message_dict
    outcome = outcome_create(
        level=3, dimension="practice", practice_changed=True, follow_up_months=6, method="observed", **base
    )
    assert outcome.pk


def test_activities_link_only_stays_of_their_partnership(activity, network_world, make_partnership):
    w = network_world
    stay = stay_create(
        by=None,
        person=w["alice"],
        partnership=w["p"],
        host_institution=w["ug"],
        mode="physical",
        start_date=date(2022, 2, 25),
        end_date=date(2022, 3, 10),
    )
    activity_save(by=None, activity=activity, stays=[stay])
    assert list(stay.activities.all()) == [activity]
    other = make_partnership(name="Other")
    foreign = stay_create(
        by=None,
        person=w["bob"],
        partnership=other,
        host_institution=w["ug"],
        mode="physical",
        start_date=date(2022, 2, 25),
        end_date=date(2022, 3, 10),
    )
    with pytest.raises(ValidationError) as err:
        activity_save(by=None, activity=activity, stays=[stay, foreign])
    assert "stays" in err.value.message_dict
    assert list(activity.stays.all()) == [stay]


def test_knowledge_translated_needs_the_adaptation(activity):
    item = KnowledgeItem(activity=activity, title="PPH protocol", kind="protocol", direction="north_south", stage=2)
    with pytest.raises(ValidationError) as err:
        item.full_clean()
    assert "adaptation" in err.value.message_dict
    item.adaptation = "Oxytocin replaced by misoprostol where no cold chain"
    item.full_clean()
