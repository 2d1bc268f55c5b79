"""Writes of activities and what is kept under them (trainees named and counted, test scores, outcomes, knowledge
items, cascade reports): validated, atomic, with history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks.accounts.models import User
from healthlinks.activities.models import (
    Activity,
    AggregateTrainees,
    Assessment,
    CascadeReport,
    KnowledgeItem,
    Outcome,
    Trainee,
)
from healthlinks.network.models import Person, PersonRole, Stay
from healthlinks.records import RowInvalid, record_delete, record_save


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
    activity.save()  # validated above, before the stays are checked
    if facilitators is not None:
        activity.facilitators.set(list(facilitators))
    if stays is not None:
        activity.stays.set(stays)
    return activity


@transaction.atomic
def activity_link_stays(*, by: User | None, activity: Activity, stays: Iterable[Stay]) -> int:
    """Add stays (of the activity's partnership) to those during which the activity was delivered."""
    stays = list(stays)
    if any(s.partnership_id != activity.partnership_id for s in stays):
        raise ValidationError({"stays": _("a stay of another partnership cannot be linked to this activity")})
    activity._history_user = by  # type: ignore[attr-defined]
    activity.stays.add(*stays)
    return len(stays)


@transaction.atomic
def trainee_add(*, by: User | None, activity: Activity, person: Person, **fields: Any) -> Trainee:
    """Record a named trainee of an activity (updated if already recorded); they become one of the partnership's
    people, so that its coordinators see and edit their record."""
    trainee = Trainee.objects.filter(activity=activity, person=person).first() or Trainee(
        activity=activity, person=person
    )
    for name, value in fields.items():
        setattr(trainee, name, value)
    record_save(trainee, by=by, validate_unique=False)
    PersonRole.objects.get_or_create(person=person, partnership_id=activity.partnership_id, role="trainee")
    return trainee


@transaction.atomic
def aggregate_set(
    *, by: User | None, activity: Activity, cadre_id: str | None, sex: str, facility_level: str, count: int
) -> AggregateTrainees:
    """Trainees counted, not named: the count of one cadre x sex x facility level cell (replaced if present)."""
    row = AggregateTrainees.objects.filter(
        activity=activity, cadre_id=cadre_id, sex=sex, facility_level=facility_level
    ).first() or AggregateTrainees(activity=activity, cadre_id=cadre_id, sex=sex, facility_level=facility_level)
    row.count = count
    return record_save(row, by=by, validate_unique=False)


@transaction.atomic
def assessment_save(*, by: User | None, activity: Activity, person: Person, **scores: Any) -> Assessment:
    """A trainee's pre- and post-test scores for an activity (replaced if present)."""
    assessment = Assessment.objects.filter(activity=activity, person=person).first() or Assessment(
        activity=activity, person=person
    )
    for name, value in scores.items():
        setattr(assessment, name, value)
    return record_save(assessment, by=by, validate_unique=False)


@transaction.atomic
def assessments_save_many(
    *, by: User | None, activity: Activity, rows: Sequence[tuple[Person, dict[str, Any]]]
) -> list[Assessment]:
    """A class's scores in one step (the grid): every row as `assessment_save`, all or none; a row that fails
    raises `RowInvalid` with its index. A row whose scores are all empty removes that person's assessment."""
    existing = {a.person_id: a for a in Assessment.objects.filter(activity=activity, person__in=[p for p, _s in rows])}
    saved = []
    for index, (person, scores) in enumerate(rows):
        current = existing.get(person.pk)
        if all(v is None for v in scores.values()):
            if current is not None:
                record_delete(current, by=by)
            continue
        assessment = current or Assessment(activity=activity, person=person)
        for name, value in scores.items():
            setattr(assessment, name, value)
        try:
            saved.append(record_save(assessment, by=by, validate_unique=False))
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
    return saved


@transaction.atomic
def outcome_create(*, by: User | None, **fields: Any) -> Outcome:
    return record_save(Outcome(**fields), by=by)


@transaction.atomic
def outcome_update(*, by: User | None, outcome: Outcome, **fields: Any) -> Outcome:
    for name, value in fields.items():
        setattr(outcome, name, value)
    return record_save(outcome, by=by)


@transaction.atomic
def knowledge_item_save(*, by: User | None, item: KnowledgeItem | None = None, **fields: Any) -> KnowledgeItem:
    """Create or change a knowledge item: its stage dates follow one another, and from `translated` on it says
    how it was adapted."""
    item = item or KnowledgeItem()
    for name, value in fields.items():
        setattr(item, name, value)
    return record_save(item, by=by)


@transaction.atomic
def cascade_save(*, by: User | None, activity: Activity, person: Person, **fields: Any) -> CascadeReport:
    """A trainee of `activity` who went on to train others (one report per trainee and activity, replaced)."""
    report = CascadeReport.objects.filter(source_activity=activity, person=person).first() or CascadeReport(
        source_activity=activity, person=person
    )
    for name, value in fields.items():
        setattr(report, name, value)
    return record_save(report, by=by)


ActivityRecord = Trainee | AggregateTrainees | Assessment | Outcome | KnowledgeItem | CascadeReport


# What goes with an activity when it is deleted, in the order undo puts it back (the activity first).
UNDER_ACTIVITY = (
    (Trainee, "activity_id"),
    (AggregateTrainees, "activity_id"),
    (Assessment, "activity_id"),
    (Outcome, "activity_id"),
    (KnowledgeItem, "activity_id"),
    (CascadeReport, "source_activity_id"),
)


@transaction.atomic
def activities_delete(*, by: User | None, activities: Sequence[Activity]) -> dict[str, Any]:
    """Delete activities with everything recorded under them (trainees named and counted, scores, outcomes,
    knowledge items, cascade reports), each with a history row saying who deleted it; their costs stay, no longer
    charged to them. Returns what `activities_restore` needs to put everything back (an undo token)."""
    from healthlinks.results.models import CashCost

    ids = [a.pk for a in activities]
    token: dict[str, Any] = {
        "activities": ids,
        "records": {
            model.__name__: list(model.objects.filter(**{f"{key}__in": ids}).values_list("pk", flat=True))
            for model, key in UNDER_ACTIVITY
        },
        # one query each, whatever the number of activities: activity id -> linked ids
        "stays": _by_activity(Activity.stays.through.objects.filter(activity_id__in=ids), "stay_id"),
        "facilitators": _by_activity(Activity.facilitators.through.objects.filter(activity_id__in=ids), "person_id"),
        "costs": _by_activity(CashCost.objects.filter(activity_id__in=ids), "pk"),
    }
    for activity in activities:
        record_delete(activity, by=by)
    return token


@transaction.atomic
def activities_restore(*, by: User | None, token: dict[str, Any]) -> int:
    """Undo `activities_delete`: every activity and every record under it as it was, its stays and facilitators
    linked again and its costs charged to it again. An activity that exists again is refused."""
    from healthlinks.results.services import costs_link

    ids = [int(i) for i in token.get("activities", [])]
    if Activity.objects.filter(pk__in=ids).exists():
        raise ValidationError(_("These activities are already back."))
    for activity in _latest_deleted(Activity, ids):
        record_save(activity, by=by, validate=False, force_insert=True)
        key = str(activity.pk)
        activity.stays.set(token.get("stays", {}).get(key, []))
        activity.facilitators.set(token.get("facilitators", {}).get(key, []))
        costs_link(by=by, activity_id=activity.pk, cost_ids=token.get("costs", {}).get(key, []))
    for model, _key in UNDER_ACTIVITY:
        for record in _latest_deleted(model, token.get("records", {}).get(model.__name__, [])):
            record_save(record, by=by, validate=False, force_insert=True)
    return len(ids)


@transaction.atomic
def outcomes_delete(*, by: User | None, outcomes: Sequence[Outcome]) -> list[int]:
    """Delete many outcomes (a bulk action), one history row each. Returns their ids, which `outcomes_restore`
    takes to undo it."""
    ids = [o.pk for o in outcomes]  # before: a deleted record's pk is None
    for outcome in outcomes:
        record_delete(outcome, by=by)
    return ids


@transaction.atomic
def outcomes_restore(*, by: User | None, ids: Sequence[int]) -> int:
    """Undo `outcomes_delete`: each outcome as it was, unless its activity is gone or it is back already."""
    if Outcome.objects.filter(pk__in=list(ids)).exists():
        raise ValidationError(_("These outcomes are already back."))
    restored = _latest_deleted(Outcome, ids)
    live = set(Activity.objects.filter(pk__in={o.activity_id for o in restored}).values_list("pk", flat=True))
    for outcome in restored:
        if outcome.activity_id not in live:
            raise ValidationError(_("The activity of these outcomes was deleted: undo that first."))
        record_save(outcome, by=by, validate=False, force_insert=True)
    return len(restored)


def _by_activity(rows: Any, column: str) -> dict[str, list[int]]:
    linked: dict[str, list[int]] = {}
    for activity_id, other in rows.values_list("activity_id", column):
        linked.setdefault(str(activity_id), []).append(other)
    return linked


def _latest_deleted(model: Any, ids: Sequence[int]) -> list[Any]:
    """The records as they were when last deleted, from their history."""
    latest: dict[int, Any] = {}
    for row in model.history.filter(id__in=list(ids), history_type="-").order_by("id", "-history_id"):
        latest.setdefault(row.id, row)
    return [row.instance for row in latest.values()]


@transaction.atomic
def record_remove(*, by: User | None, record: ActivityRecord) -> None:
    """Delete one record kept under an activity, with its author in the history."""
    record_delete(record, by=by)
