"""Survey answers that feed the outcome records, so that they are never typed twice.

A trainee follow-up (any instrument with the questions `followup_point` (m3, m6, m12) and `practice_changed`
(yes, no), such as the shipped trainee-followup) about a known trainee becomes a Kirkpatrick L3 outcome of
that trainee's training: the activity of the response's partnership that the person attended and that ended
on `training_date` when the answer gives it, else the latest one that ended on or before the response. One
outcome per trainee, activity and follow-up interval: a re-imported or corrected response updates it.

Apps above evaluation take what concerns them from `response_saved`, sent once a response and its answers are
saved by whatever path (web form, invitation, OpenRosa, Kobo/CSV import, API): careers turns a `career_status`
answer into a career record, readiness a returning volunteer's debrief into the debrief check of their stay."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

from healthlinks.activities.models import Level, Method, Outcome, Trainee
from healthlinks.records import record_save

response_saved = Signal()  # sent with `response` (its answers saved) and `by`, inside the saving transaction
FOLLOW_UP = {"m3": 3, "m6": 6, "m12": 12}
CHANGED = {"yes": True, "no": False}


def l3_outcome(response: Any, by: Any = None) -> Outcome | None:
    """Create or update the L3 outcome a follow-up response reports; None when it reports none."""
    if response.person_id is None or response.partnership_id is None:
        return None
    values = {a.question.name: a for a in response.answers.select_related("question")}
    point, changed = values.get("followup_point"), values.get("practice_changed")
    if point is None or changed is None or point.value not in FOLLOW_UP or changed.value not in CHANGED:
        return None
    answered_on = response.submitted_at.date()
    trainings = Trainee.objects.filter(
        person_id=response.person_id,
        activity__partnership_id=response.partnership_id,
        activity__end_date__lte=answered_on,
    ).select_related("activity")
    trained_on = values["training_date"].date if "training_date" in values else None
    exact = [t for t in trainings if trained_on and t.activity.end_date == trained_on]
    trainee = exact[0] if exact else trainings.order_by("-activity__end_date", "-pk").first()
    if trainee is None:
        return None
    outcome = Outcome.objects.filter(
        activity=trainee.activity,
        person_id=response.person_id,
        level=Level.BEHAVIOUR,
        follow_up_months=FOLLOW_UP[point.value],
    ).first() or Outcome(
        activity=trainee.activity,
        person_id=response.person_id,
        level=Level.BEHAVIOUR,
        dimension="practice",
        follow_up_months=FOLLOW_UP[point.value],
    )
    outcome.practice_changed = CHANGED[changed.value]
    outcome.method = Method.SELF_REPORTED
    outcome.recorded_on = answered_on
    outcome.full_clean()
    record_save(outcome, by=by, validate=False)
    return outcome
