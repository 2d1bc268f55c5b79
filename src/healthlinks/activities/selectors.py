"""Reads of activities and outcomes.

"Health workers trained" (indicator TRN-01): people who completed a training activity that ended in the
period. Each named trainee counts once however many activities they attended. Counted (aggregate)
trainees are added cell by cell (activity x cadre x sex x facility level), less the named trainees of the
same activity recorded in that cell, so nobody recorded both ways is counted twice. Counted trainees of
different activities cannot be told apart and are summed."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.db.models import F, QuerySet

from healthlinks.activities.models import Activity, AggregateTrainees, Trainee
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.selectors import AnyUser


def activities_visible_to(user: AnyUser) -> QuerySet[Activity]:
    return Activity.objects.filter(partnership__in=registry_selectors.partnerships_visible_to(user))


def activities_in_period(activities: QuerySet[Activity], start: date | None, end: date | None) -> QuerySet[Activity]:
    if start:
        activities = activities.filter(end_date__gte=start)
    if end:
        activities = activities.filter(end_date__lte=end)
    return activities


def health_workers_trained(activities: QuerySet[Activity]) -> dict[str, Any]:
    """Unique health workers trained by these activities, with the split by cadre and by sex."""
    named = list(
        Trainee.objects.filter(activity__in=activities, completed=True).values(
            "activity_id", "person_id", "person__cadre_id", "person__sex", "facility_level"
        )
    )
    people: dict[int, tuple[str | None, str]] = {}
    named_cells: Counter[tuple[int, str | None, str, str]] = Counter()
    for row in named:
        people[row["person_id"]] = (row["person__cadre_id"], row["person__sex"])
        named_cells[(row["activity_id"], row["person__cadre_id"], row["person__sex"], row["facility_level"])] += 1
    by_cadre: Counter[str] = Counter()
    by_sex: Counter[str] = Counter()
    for cadre, sex in people.values():
        by_cadre[cadre or "not_recorded"] += 1
        by_sex[sex] += 1
    counted = 0
    for cell in AggregateTrainees.objects.filter(activity__in=activities).values(
        "activity_id", "cadre_id", "sex", "facility_level", "count"
    ):
        key = (cell["activity_id"], cell["cadre_id"], cell["sex"], cell["facility_level"])
        extra = max(cell["count"] - named_cells.get(key, 0), 0)
        counted += extra
        by_cadre[cell["cadre_id"] or "not_recorded"] += extra
        by_sex[cell["sex"]] += extra
    return {
        "total": len(people) + counted,
        "named": len(people),
        "counted": counted,
        "by_cadre": dict(sorted(by_cadre.items())),
        "by_sex": dict(sorted(by_sex.items())),
    }


def trained_by_activity(activity_ids: list[int]) -> dict[int, int]:
    """Health workers trained by each activity on its own (same rule), in two queries for a whole page."""
    totals: Counter[int] = Counter()
    named_cells: Counter[tuple[int, str | None, str, str]] = Counter()
    for row in Trainee.objects.filter(activity_id__in=activity_ids, completed=True).values(
        "activity_id", "person__cadre_id", "person__sex", "facility_level"
    ):
        totals[row["activity_id"]] += 1
        named_cells[(row["activity_id"], row["person__cadre_id"], row["person__sex"], row["facility_level"])] += 1
    for cell in AggregateTrainees.objects.filter(activity_id__in=activity_ids).values(
        "activity_id", "cadre_id", "sex", "facility_level", "count"
    ):
        key = (cell["activity_id"], cell["cadre_id"], cell["sex"], cell["facility_level"])
        totals[cell["activity_id"]] += max(cell["count"] - named_cells.get(key, 0), 0)
    return {activity_id: totals.get(activity_id, 0) for activity_id in activity_ids}


def partnership_outcomes(activities: QuerySet[Activity]) -> dict[str, Any]:
    """What the outcomes page draws: trainees by cadre and sex, pre/post scores, the Kirkpatrick funnel,
    the knowledge funnel and the cascade."""
    from healthlinks.activities.models import Assessment, CascadeReport, KnowledgeItem, Outcome

    trained = health_workers_trained(activities)
    scores = list(
        Assessment.objects.filter(activity__in=activities).values_list("pre_score", "post_score", "max_score")
    )
    outcomes = Outcome.objects.filter(activity__in=activities)
    named = Trainee.objects.filter(activity__in=activities, completed=True).values("person_id").distinct().count()
    funnel = [
        {"step": "Trained (named)", "n": named},
        {"step": "L1 reaction recorded", "n": outcomes.filter(level=1).values("person_id").distinct().count()},
        {
            "step": "L2 learning gained",
            "n": Assessment.objects.filter(activity__in=activities, post_score__gt=F("pre_score"))
            .values("person_id")
            .distinct()
            .count(),
        },
        {
            "step": "L3 practice changed",
            "n": outcomes.filter(level=3, practice_changed=True).values("person_id").distinct().count(),
        },
        {"step": "L4 results measured", "n": outcomes.filter(level=4).count()},
    ]
    items = KnowledgeItem.objects.filter(activity__in=activities)
    knowledge = [
        {"step": "Transferred", "n": items.count()},
        {"step": "Translated", "n": items.filter(stage__gte=2).count()},
        {"step": "Effective", "n": items.filter(stage__gte=3).count()},
        {"step": "Sustained at follow-up", "n": items.filter(stage__gte=3, sustained_at_follow_up=True).count()},
    ]
    cascades = CascadeReport.objects.filter(source_activity__in=activities)
    return {
        "trained": trained,
        "scores": [{"test": "pre", "score": float(pre / top * 100)} for pre, _post, top in scores]
        + [{"test": "post", "score": float(post / top * 100)} for _pre, post, top in scores],
        "assessed": len(scores),
        "funnel": funnel,
        "knowledge": knowledge,
        "cascade_trainers": cascades.values("person_id").distinct().count(),
        "cascade_trained": sum(cascades.values_list("people_trained", flat=True), 0),
    }
