"""A trainee follow-up survey feeds the Kirkpatrick L3 outcomes of the trainee's training."""

from datetime import UTC, date, datetime

import pytest

from healthlinks.activities.models import Outcome
from healthlinks.activities.services import activity_save, trainee_add
from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Instrument
from healthlinks.evaluation.services import AnswerIn, normalise, response_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def followup(network_world):
    w = network_world
    load_instruments()
    instrument = Instrument.objects.get(slug="trainee-followup")
    for title, ended in (("ETAT", date(2024, 3, 1)), ("Sepsis", date(2024, 9, 1))):
        activity = activity_save(
            by=None,
            partnership=w["p"],
            title=title,
            kind="training_course",
            mode="in_person",
            start_date=ended,
            end_date=ended,
        )
        trainee_add(by=None, activity=activity, person=w["alice"])
    questions = {q.name: q for q in instrument.questions.all()}

    def answer(uuid: str, when: datetime, person=w["alice"], **values: str):
        base = {"partnership": w["p"].slug, "followup_point": "m6", "respondent_role": "nurse", "uses_skills": "often"}
        answers = [AnswerIn(questions[k], 0, normalise(questions[k], v)) for k, v in {**base, **values}.items()]
        return response_upsert(
            by=None,
            instrument=instrument,
            uuid=uuid,
            submitted_at=when,
            source="web",
            answers=answers,
            links={"partnership": w["p"], "person": person},
        )

    return w, answer


def test_a_follow_up_becomes_the_l3_outcome_of_the_latest_training(followup):
    w, answer = followup
    answer("u1", datetime(2025, 3, 2, tzinfo=UTC), practice_changed="yes")
    outcome = Outcome.objects.get()
    assert (outcome.activity.title, outcome.level, outcome.follow_up_months) == ("Sepsis", 3, 6)
    assert outcome.practice_changed is True and outcome.method == "self_reported"
    # the same response corrected: the outcome is updated, not duplicated
    answer("u1", datetime(2025, 3, 2, tzinfo=UTC), practice_changed="no")
    assert Outcome.objects.get().practice_changed is False


def test_the_training_date_picks_the_training_and_unknown_trainees_feed_nothing(followup):
    w, answer = followup
    answer("u2", datetime(2025, 3, 2, tzinfo=UTC), practice_changed="yes", training_date="2024-03-01")
    assert Outcome.objects.get().activity.title == "ETAT"
    answer("u3", datetime(2025, 3, 2, tzinfo=UTC), person=None, practice_changed="yes")
    answer("u4", datetime(2024, 1, 1, tzinfo=UTC), practice_changed="yes")  # before any training ended
    assert Outcome.objects.count() == 1
