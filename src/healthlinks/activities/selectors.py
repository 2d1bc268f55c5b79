"""Reads of activities and outcomes.

"Health workers trained" (indicator TRN-01): people who completed a training activity that ended in the
period. Each named trainee counts once however many activities they attended. Counted (aggregate)
trainees are added cell by cell (activity x cadre x sex x facility level), less the named trainees of the
same activity recorded in that cell, so nobody recorded both ways is counted twice. Counted trainees of
different activities cannot be told apart and are summed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

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
        {"step": _("Trained (named)"), "n": named},
        {"step": _("L1 reaction recorded"), "n": outcomes.filter(level=1).values("person_id").distinct().count()},
        {
            "step": _("L2 learning gained"),
            "n": Assessment.objects.filter(activity__in=activities, post_score__gt=F("pre_score"))
            .values("person_id")
            .distinct()
            .count(),
        },
        {
            "step": _("L3 practice changed"),
            "n": outcomes.filter(level=3, practice_changed=True).values("person_id").distinct().count(),
        },
        {"step": _("L4 results measured"), "n": outcomes.filter(level=4).count()},
    ]
    items = KnowledgeItem.objects.filter(activity__in=activities)
    knowledge = [
        {"step": _("Transferred"), "n": items.count()},
        {"step": _("Translated"), "n": items.filter(stage__gte=2).count()},
        {"step": _("Effective"), "n": items.filter(stage__gte=3).count()},
        {"step": _("Sustained at follow-up"), "n": items.filter(stage__gte=3, sustained_at_follow_up=True).count()},
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


FOLLOW_UPS = (3, 6, 12)  # months after an activity ends when practice change is followed up
FOLLOW_UP_WINDOW_DAYS = 30  # a follow-up is due from its date until this many days after


@dataclass(frozen=True)
class Attention:
    """What needs doing in one partnership, as counts (each zero when nothing does)."""

    stays_starting_soon: int
    stays_flagged: int
    activities_without_trainees: int
    activities_without_outcomes: int
    follow_ups_due: int


def attention(partnership_ids: list[int], *, today: date | None = None) -> dict[int, Attention]:
    """Per partnership: stays starting in the next 30 days, stays flagged under the WHO Global Code, activities
    that ended with no trainee named or counted, or with no outcome, and 3/6/12-month follow-ups due (the month
    reached in the last FOLLOW_UP_WINDOW_DAYS days, no outcome recorded at that follow-up). A fixed number of
    queries, however many partnerships."""
    from datetime import timedelta

    from django.db.models import Count, Exists, OuterRef, Q

    from healthlinks.activities.models import Outcome
    from healthlinks.network.models import Stay

    today = today or date.today()
    stays = (
        Stay.objects.filter(partnership_id__in=partnership_ids, person__deleted_at__isnull=True)
        .values("partnership_id")
        .annotate(
            soon=Count("pk", filter=Q(start_date__gte=today, start_date__lte=today + timedelta(days=30))),
            flagged=Count("pk", filter=Q(safeguard_flag=True)),
        )
    )
    ended = Activity.objects.filter(partnership_id__in=partnership_ids, end_date__lt=today).annotate(
        named=Exists(Trainee.objects.filter(activity=OuterRef("pk"))),
        counted=Exists(AggregateTrainees.objects.filter(activity=OuterRef("pk"))),
        any_outcome=Exists(Outcome.objects.filter(activity=OuterRef("pk"))),
    )
    activities = ended.values("partnership_id").annotate(
        no_trainees=Count("pk", filter=Q(named=False, counted=False)),
        no_outcomes=Count("pk", filter=Q(any_outcome=False)),
    )
    due: Counter[int] = Counter()
    for months in FOLLOW_UPS:
        # ended `months` months ago, give or take the window: roughly 30.44 days a month
        latest = today - timedelta(days=round(months * 30.44))
        window = ended.filter(end_date__lte=latest, end_date__gt=latest - timedelta(days=FOLLOW_UP_WINDOW_DAYS))
        missing = window.exclude(outcomes__follow_up_months=months)
        due.update(missing.values_list("partnership_id", flat=True))
    by_stays = {row["partnership_id"]: (row["soon"], row["flagged"]) for row in stays}
    by_activities = {row["partnership_id"]: (row["no_trainees"], row["no_outcomes"]) for row in activities}
    return {
        pid: Attention(
            stays_starting_soon=by_stays.get(pid, (0, 0))[0],
            stays_flagged=by_stays.get(pid, (0, 0))[1],
            activities_without_trainees=by_activities.get(pid, (0, 0))[0],
            activities_without_outcomes=by_activities.get(pid, (0, 0))[1],
            follow_ups_due=due.get(pid, 0),
        )
        for pid in partnership_ids
    }
