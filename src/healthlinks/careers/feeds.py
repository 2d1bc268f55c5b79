"""A follow-up survey's career answers become a career record, so that they are never typed twice.

Any instrument with the question `career_status` (its choices the CareerStatus codes: in_post, changed_post,
promoted, moved_within_country, moved_abroad, left_health_work), and optionally `career_grade` and `career_post`,
such as the shipped trainee follow-up and volunteer impact surveys, about a known person records where that person
works on the day they answered (source: follow-up survey). One record per person and day from surveys: a
re-imported or corrected response updates it."""

from __future__ import annotations

from typing import Any

from healthlinks.careers.models import CareerRecord, CareerSource, CareerStatus
from healthlinks.careers.services import career_record_save

STATUSES = set(CareerStatus.values)


def _length(name: str) -> int:
    return int(getattr(CareerRecord._meta.get_field(name), "max_length", 0) or 0)


def career_record_from_response(sender: Any, *, response: Any, by: Any = None, **_kwargs: Any) -> CareerRecord | None:
    """Create or update the career record a response reports; None when it reports none (no known person, no
    career status, or a status that is not one of the codes)."""
    if response.person_id is None:
        return None
    values = {
        a.question.name: a.value
        for a in response.answers.filter(question__name__startswith="career_").select_related("question")
    }
    status = values.get("career_status", "")
    if status not in STATUSES:
        return None
    answered_on = response.submitted_at.date()
    record = CareerRecord.objects.filter(
        person_id=response.person_id, recorded_on=answered_on, source=CareerSource.FOLLOW_UP_SURVEY
    ).first()
    return career_record_save(
        by=by,
        record=record,
        person_id=response.person_id,
        recorded_on=answered_on,
        status=status,
        grade=values.get("career_grade", "").strip()[: _length("grade")],
        post=values.get("career_post", "").strip()[: _length("post")],
        source=CareerSource.FOLLOW_UP_SURVEY,
    )
