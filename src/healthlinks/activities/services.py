"""Writes of activities, trainees and outcomes: validated, atomic, with history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks.accounts.models import User
from healthlinks.activities.models import Activity, AggregateTrainees, Assessment, Outcome, Trainee
from healthlinks.network.models import Person, PersonRole, Stay


@transaction.atomic
def activity_save(
    *,
    by: User | None,
    activity: Activity | None = None,
    facilitators: Iterable[Person] | None = None,
    stays: Iterable[Stay] | None = None,
    **fields: Any,
) -> Activity:
    activity = activity or Activity()
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.full_clean()
    stays = list(stays) if stays is not None else None
    if stays and any(s.partnership_id != activity.partnership_id for s in stays):
        raise ValidationError({"stays": _("a stay of another partnership cannot be linked to this activity")})
    activity._history_user = by  # type: ignore[attr-defined]
    activity.save()
    if facilitators is not None:
        activity.facilitators.set(list(facilitators))
    if stays is not None:
        activity.stays.set(stays)
    return activity


@transaction.atomic
def trainee_add(*, by: User | None, activity: Activity, person: Person, **fields: Any) -> Trainee:
    trainee = Trainee.objects.filter(activity=activity, person=person).first() or Trainee(
        activity=activity, person=person
    )
    for name, value in fields.items():
        setattr(trainee, name, value)
    trainee.full_clean(validate_unique=False)
    trainee._history_user = by  # type: ignore[attr-defined]
    trainee.save()
    # a trainee of a partnership's activity is one of its people (visibility of personal data follows)
    PersonRole.objects.get_or_create(person=person, partnership_id=activity.partnership_id, role="trainee")
    return trainee


@transaction.atomic
def aggregate_set(
    *, by: User | None, activity: Activity, cadre_id: str | None, sex: str, facility_level: str, count: int
) -> AggregateTrainees:
    row = AggregateTrainees.objects.filter(
        activity=activity, cadre_id=cadre_id, sex=sex, facility_level=facility_level
    ).first() or AggregateTrainees(activity=activity, cadre_id=cadre_id, sex=sex, facility_level=facility_level)
    row.count = count
    row.full_clean(validate_unique=False)
    row._history_user = by  # type: ignore[attr-defined]
    row.save()
    return row


@transaction.atomic
def assessment_save(*, by: User | None, activity: Activity, person: Person, **scores: Any) -> Assessment:
    assessment = Assessment.objects.filter(activity=activity, person=person).first() or Assessment(
        activity=activity, person=person
    )
    for name, value in scores.items():
        setattr(assessment, name, value)
    assessment.full_clean(validate_unique=False)
    assessment._history_user = by  # type: ignore[attr-defined]
    assessment.save()
    return assessment


@transaction.atomic
def outcome_create(*, by: User | None, **fields: Any) -> Outcome:
    outcome = Outcome(**fields)
    outcome.full_clean()
    outcome._history_user = by  # type: ignore[attr-defined]
    outcome.save()
    return outcome


@transaction.atomic
def outcome_update(*, by: User | None, outcome: Outcome, **fields: Any) -> Outcome:
    for name, value in fields.items():
        setattr(outcome, name, value)
    outcome.full_clean()
    outcome._history_user = by  # type: ignore[attr-defined]
    outcome.save()
    return outcome
