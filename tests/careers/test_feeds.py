"""A follow-up survey's career answers become the person's career record (careers.feeds), whatever path saved the
response; a corrected response updates it; unknown people and answers without a status feed nothing."""

from datetime import UTC, date, datetime

import pytest

from healthlinks.careers.models import CareerRecord
from healthlinks.evaluation.demo import load_instruments
from healthlinks.evaluation.models import Instrument
from healthlinks.evaluation.services import AnswerIn, normalise, response_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(network_world):
    w = network_world
    load_instruments()
    instrument = Instrument.objects.get(form_id="volunteer_impact")
    questions = {q.name: q for q in instrument.questions.all()}

    def answer(uuid: str, when: datetime, person=w["alice"], **values: str):
        base = {"partnership": w["p"].slug, "respondent_role": "nurse", "stay_weeks": "3"}
        answers = [AnswerIn(questions[k], 0, normalise(questions[k], v)) for k, v in {**base, **values}.items()]
        return response_upsert(
            by=None, instrument=instrument, uuid=uuid, submitted_at=when, source="web", answers=answers,
            links={"partnership": w["p"], "person": person},
        )  # fmt: skip

    return w, answer


def test_a_career_answer_becomes_a_career_record_and_a_correction_updates_it(survey):
    w, answer = survey
    answer(
        "c1", datetime(2025, 5, 2, 9, tzinfo=UTC), career_status="promoted", career_grade=" P5 ", career_post="Matron"
    )
    record = CareerRecord.objects.get(person=w["alice"])
    assert (record.recorded_on, record.status, record.grade, record.post, record.source) == (
        date(2025, 5, 2), "promoted", "P5", "Matron", "follow_up_survey"
    )  # fmt: skip
    assert record.history.count() == 1  # through the careers service, with history
    answer("c1", datetime(2025, 5, 2, 9, tzinfo=UTC), career_status="moved_abroad")  # the same response corrected
    record = CareerRecord.objects.get(person=w["alice"])
    assert (record.status, record.grade) == ("moved_abroad", "")


def test_no_person_or_no_status_feeds_nothing(survey):
    w, answer = survey
    answer("c2", datetime(2025, 5, 2, tzinfo=UTC), person=None, career_status="in_post")
    answer("c3", datetime(2025, 5, 3, tzinfo=UTC), confidence="agree")
    assert not CareerRecord.objects.exists()


def test_the_shipped_follow_ups_ask_the_career_questions():
    load_instruments()
    for form_id in ("trainee_followup", "volunteer_impact"):
        instrument = Instrument.objects.get(form_id=form_id)
        names = set(instrument.questions.values_list("name", flat=True))
        assert {"career_status", "career_grade", "career_post"} <= names, form_id
        codes = set(instrument.choices.filter(list_name="career").values_list("name", flat=True))
        assert codes == {c for c, _label in CareerRecord._meta.get_field("status").choices}
