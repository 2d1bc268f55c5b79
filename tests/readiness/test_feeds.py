"""The debrief survey (the volunteer impact survey, its questions the benefits to the sending side) answered by a
returning volunteer is the debrief check of their latest ended stay; nothing else is marked."""

from datetime import UTC, date, datetime, timedelta

import pytest

from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Instrument
from healthlinks.evaluation.services import AnswerIn, normalise, response_upsert
from healthlinks.network.services import stay_create
from healthlinks.readiness import selectors, services
from healthlinks.readiness.models import ItemKind, ReadinessCheck, ReadinessItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def debrief(network_world):
    w = network_world
    load_instruments()
    services.items_create_defaults(by=None)
    instrument = Instrument.objects.get(form_id="volunteer_impact")
    questions = {q.name: q for q in instrument.questions.all()}

    def stay(start: date, days: int = 20):
        return stay_create(
            by=None, person=w["alice"], partnership=w["p"], host_institution=w["ug"], sending_institution=w["uk"],
            mode="physical", start_date=start, end_date=start + timedelta(days=days),
        )  # fmt: skip

    def answer(uuid: str, when: datetime, person=w["alice"]):
        values = {"partnership": w["p"].slug, "respondent_role": "nurse", "stay_weeks": "3", "leadership": "agree"}
        answers = [AnswerIn(questions[k], 0, normalise(questions[k], v)) for k, v in values.items()]
        return response_upsert(
            by=None, instrument=instrument, uuid=uuid, submitted_at=when, source="web", answers=answers,
            links={"partnership": w["p"], "person": person},
        )  # fmt: skip

    return w, instrument, stay, answer


def test_the_debrief_survey_marks_the_debrief_of_the_latest_ended_stay(debrief):
    w, instrument, stay, answer = debrief
    assert selectors.debrief_survey() == instrument  # no instrument called "debrief": the volunteer impact survey
    earlier, latest = stay(date(2024, 1, 1)), stay(date(2024, 6, 1))
    coming = stay(date(2025, 9, 1))
    answer("d1", datetime(2024, 7, 15, tzinfo=UTC))
    item = ReadinessItem.objects.get(kind=ItemKind.DEBRIEF)
    check = ReadinessCheck.objects.get(item=item)
    assert check.stay == latest and check.done_on == date(2024, 7, 15) and "Debrief survey answered" in check.note
    assert check.history.count() == 1  # through the readiness service, with history
    # only the debrief item; not the earlier stay, not the stay to come
    assert ReadinessCheck.objects.count() == 1
    assert not ReadinessCheck.objects.filter(stay__in=[earlier, coming]).exists()
    # a second answer leaves the done date as it was
    answer("d2", datetime(2024, 8, 1, tzinfo=UTC))
    assert ReadinessCheck.objects.get(item=item).done_on == date(2024, 7, 15)


def test_an_answer_before_any_stay_ended_or_without_a_person_marks_nothing(debrief):
    w, instrument, stay, answer = debrief
    stay(date(2024, 6, 1))
    answer("d3", datetime(2024, 6, 10, tzinfo=UTC))  # the stay has not ended
    answer("d4", datetime(2024, 8, 10, tzinfo=UTC), person=None)
    assert not ReadinessCheck.objects.exists()
