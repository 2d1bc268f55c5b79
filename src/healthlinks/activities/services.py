"""Writes of activities and what is kept under them (trainees named and counted, test scores, outcomes, knowledge
items, cascade reports): validated, atomic, with history."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks import bulk, changes
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
from healthlinks.network.models import Person, PersonRole, PersonRoleKind, Stay
from healthlinks.network.services import roles_add
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


# Many records at once (a demo world, an import): each function writes a batch as its single-record service above
# writes one record (the same rules, checked in bulk; history rows with the author), in batches that send no model
# signals, so each says what changed (healthlinks.changes). A refused record raises `RowInvalid` with its index and
# nothing is written.

ACTIVITY_COLUMNS = [f.name for f in Activity._meta.concrete_fields if not f.primary_key and f.name != "created_at"]


def _chunks(values: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    ordered = sorted(set(values), key=repr)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _links_set(
    field: str, owners: Sequence[Activity], linked: Sequence[list[Any]], *, replace: bool
) -> Callable[[], None]:
    """What links the activities of a batch to their stays or facilitators (`activity.<field>.set(...)` for each),
    for `bulk.create` / `bulk.update` to call between the rows and their history."""
    through = getattr(Activity, field).through
    other = getattr(Activity, field).field.m2m_reverse_field_name()

    def link() -> None:
        wanted = {(a.pk, o.pk) for a, group in zip(owners, linked, strict=True) for o in group}
        held: set[tuple[int, int]] = set()
        if replace:
            for ids in _chunks(a.pk for a in owners):
                rows = through.objects.filter(activity_id__in=ids)
                held.update(rows.values_list("activity_id", f"{other}_id"))
            gone = held - wanted
            for activity_id, other_id in gone:
                through.objects.filter(activity_id=activity_id, **{f"{other}_id": other_id}).delete()
        through.objects.bulk_create(
            [
                through(activity_id=a.pk, **{f"{other}_id": o.pk})
                for a, group in zip(owners, linked, strict=True)
                for o in group
                if (a.pk, o.pk) not in held
            ],
            batch_size=1000,
        )

    return link


@transaction.atomic
def activities_save_many(
    *,
    by: User | None,
    activities: Sequence[Activity],
    stays: Sequence[Iterable[Stay]] | None = None,
    facilitators: Sequence[Iterable[Person]] | None = None,
) -> tuple[list[Activity], list[Activity]]:
    """Create (no id) or update (an id) many activities as `activity_save` does one. `stays[i]` and
    `facilitators[i]`, when given, replace the links of `activities[i]`; a stay of another partnership is refused.
    Each activity gets one history row, showing its links. Returns (created, updated)."""
    for name, given in (("stays", stays), ("facilitators", facilitators)):
        if given is not None and len(given) != len(activities):
            raise ValueError(f"give one list of {name} for each activity")
    bulk.validate(activities)
    linked_stays: list[list[Any]] | None = [list(group) for group in stays] if stays is not None else None
    linked_people: list[list[Any]] | None = (
        [list(group) for group in facilitators] if facilitators is not None else None
    )
    for index, (activity, group) in enumerate(zip(activities, linked_stays or [], strict=False)):
        if any(s.partnership_id != activity.partnership_id for s in group):
            message = _("a stay of another partnership cannot be linked to this activity")
            raise RowInvalid(index, ValidationError({"stays": message}))
    created = [a for a in activities if not a.pk]
    updated = [a for a in activities if a.pk]

    def links_of(owners: list[Activity], *, replace: bool) -> Callable[[], None]:
        steps: list[Callable[[], None]] = []
        fields: list[tuple[str, list[list[Any]] | None]] = [("stays", linked_stays), ("facilitators", linked_people)]
        for field, given in fields:
            if given is not None:
                group_of = {id(a): group for a, group in zip(activities, given, strict=True)}
                steps.append(_links_set(field, owners, [group_of[id(a)] for a in owners], replace=replace))

        def link() -> None:
            for step in steps:
                step()

        return link

    bulk.create(created, by=by, links=links_of(created, replace=False))
    bulk.update(updated, ACTIVITY_COLUMNS, by=by, links=links_of(updated, replace=True))
    changes.changed([Activity, Activity.stays.through, Activity.facilitators.through])
    return created, updated


def _keyed(
    model: type[Any], records: Sequence[Any], key: tuple[str, ...], twice: ValidationError
) -> tuple[list[Any], list[Any]]:
    """Split records into new ones and stored ones by the fields the single-record service looks a record up by
    (a stored one takes its id, so it is replaced); the same key twice in the batch is refused with `twice`."""
    seen: dict[tuple[Any, ...], int] = {}
    for index, record in enumerate(records):
        value = tuple(getattr(record, name) for name in key)
        if value in seen:
            raise RowInvalid(index, twice)
        seen[value] = index
    stored: dict[tuple[Any, ...], Any] = {}
    for ids in _chunks(v[0] for v in seen):
        for row in model.objects.filter(**{f"{key[0]}__in": ids}).values_list(*key, "pk"):
            stored[tuple(row[:-1])] = row[-1]
    created: list[Any] = []
    updated: list[Any] = []
    for record in records:
        pk = stored.get(tuple(getattr(record, name) for name in key))
        if pk is not None:
            record.pk = pk
            record._state.adding = False
        (updated if record.pk else created).append(record)
    return created, updated


def _partnership_of(activity_ids: Iterable[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for ids in _chunks(activity_ids):
        found.update(Activity.objects.filter(pk__in=ids).values_list("pk", "partnership_id"))
    return found


@transaction.atomic
def trainees_save_many(*, by: User | None, trainees: Sequence[Trainee]) -> tuple[list[Trainee], list[Trainee]]:
    """Record many named trainees as `trainee_add` does one: a trainee already recorded for the activity is
    updated, and each becomes one of the partnership's people (a trainee role). Returns (created, updated)."""
    bulk.validate(trainees)
    twice = ValidationError({"person": _("this person is given twice as a trainee of this activity")})
    created, updated = _keyed(Trainee, trainees, ("activity_id", "person_id"), twice)
    bulk.create(created, by=by)
    bulk.update(updated, ["facility_level", "completed"], by=by)
    partnership = _partnership_of(t.activity_id for t in trainees)
    roles_add(roles=[(t.person_id, partnership[t.activity_id], PersonRoleKind.TRAINEE) for t in trainees])
    changes.changed([Trainee, PersonRole])
    return created, updated


@transaction.atomic
def aggregates_save_many(
    *, by: User | None, aggregates: Sequence[AggregateTrainees]
) -> tuple[list[AggregateTrainees], list[AggregateTrainees]]:
    """Trainees counted, not named, as `aggregate_set` sets one cell: a cell (activity, cadre, sex, facility
    level) already recorded takes the new count. Returns (created, updated)."""
    bulk.validate(aggregates)
    twice = ValidationError({"count": _("this cadre, sex and facility level are given twice for this activity")})
    created, updated = _keyed(
        AggregateTrainees, aggregates, ("activity_id", "cadre_id", "sex", "facility_level"), twice
    )
    bulk.create(created, by=by)
    bulk.update(updated, ["count"], by=by)
    changes.changed([AggregateTrainees])
    return created, updated


@transaction.atomic
def scores_save_many(
    *, by: User | None, assessments: Sequence[Assessment]
) -> tuple[list[Assessment], list[Assessment]]:
    """Pre- and post-test scores of many trainees of many activities, as `assessment_save` saves one: a trainee's
    scores already recorded for the activity are replaced. Returns (created, updated)."""
    bulk.validate(assessments)
    twice = ValidationError({"person": _("this person's scores are given twice for this activity")})
    created, updated = _keyed(Assessment, assessments, ("activity_id", "person_id"), twice)
    bulk.create(created, by=by)
    bulk.update(updated, ["pre_score", "post_score", "max_score"], by=by)
    changes.changed([Assessment])
    return created, updated


def _by_id_saved(model: type[Any], records: Sequence[Any], *, by: User | None) -> tuple[list[Any], list[Any]]:
    """Create the records without an id and update those with one (every field), validated first."""
    bulk.validate(records)
    created = [r for r in records if not r.pk]
    updated = [r for r in records if r.pk]
    bulk.create(created, by=by)
    columns = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    bulk.update(updated, columns, by=by)
    changes.changed([model])
    return created, updated


@transaction.atomic
def outcomes_save_many(*, by: User | None, outcomes: Sequence[Outcome]) -> tuple[list[Outcome], list[Outcome]]:
    """Create (no id) or update (an id) many outcomes, as `outcome_create` and `outcome_update` do one. Returns
    (created, updated)."""
    return _by_id_saved(Outcome, outcomes, by=by)


@transaction.atomic
def knowledge_items_save_many(
    *, by: User | None, items: Sequence[KnowledgeItem]
) -> tuple[list[KnowledgeItem], list[KnowledgeItem]]:
    """Create (no id) or update (an id) many knowledge items, as `knowledge_item_save` does one. Returns
    (created, updated)."""
    return _by_id_saved(KnowledgeItem, items, by=by)


@transaction.atomic
def cascades_save_many(
    *, by: User | None, reports: Sequence[CascadeReport]
) -> tuple[list[CascadeReport], list[CascadeReport]]:
    """Many trainees who went on to train others, as `cascade_save` records one: a report already recorded for the
    trainee and activity is replaced. Returns (created, updated)."""
    bulk.validate(reports)
    twice = ValidationError({"person": _("this person's cascade is given twice for this activity")})
    created, updated = _keyed(CascadeReport, reports, ("source_activity_id", "person_id"), twice)
    bulk.create(created, by=by)
    bulk.update(updated, ["people_trained", "reported_on"], by=by)
    changes.changed([CascadeReport])
    return created, updated


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
