"""The shared indicator library (indicators.md §a): definitions, and for most of them the computation of
the actual value from recorded activities, outcomes and stays, so that an actual is never typed twice and
partnerships can be added up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from healthlinks.activities.models import Activity, Assessment, CascadeReport, Outcome
from healthlinks.activities.selectors import activities_in_period, health_workers_trained
from healthlinks.network.models import Mode, Stay
from healthlinks.registry.models import Partnership

MASTERY = Decimal("0.8")  # TRN-03: post-test score of at least 80% of the maximum

Compute = Callable[[Partnership, date, date], Decimal | None]


def _activities(p: Partnership, start: date, end: date) -> QuerySet[Activity]:
    return activities_in_period(Activity.objects.filter(partnership=p), start, end)


def trained(p: Partnership, start: date, end: date) -> Decimal:
    return Decimal(health_workers_trained(_activities(p, start, end))["total"])


def volunteers(p: Partnership, start: date, end: date) -> Decimal:
    stays = Stay.objects.filter(partnership=p, start_date__gte=start, start_date__lte=end)
    return Decimal(stays.values("person_id").distinct().count())


def volunteer_days(p: Partnership, start: date, end: date) -> Decimal:
    stays = Stay.objects.filter(partnership=p, mode=Mode.PHYSICAL, start_date__gte=start, start_date__lte=end)
    return Decimal(sum(stays.values_list("duration_days", flat=True), 0))


def mastery_share(p: Partnership, start: date, end: date) -> Decimal | None:
    scores = list(
        Assessment.objects.filter(activity__in=_activities(p, start, end)).values_list("post_score", "max_score")
    )
    if not scores:
        return None
    reached = sum(1 for post, top in scores if post >= top * MASTERY)
    return Decimal(100 * reached) / len(scores)


def practice_at_six_months(p: Partnership, start: date, end: date) -> Decimal | None:
    rows = list(
        Outcome.objects.filter(
            activity__in=_activities(p, start, end),
            level=3,
            follow_up_months=6,
        ).values_list("practice_changed", flat=True)
    )
    if not rows:
        return None
    return Decimal(100 * sum(1 for changed in rows if changed)) / len(rows)


def cascade_trainers(p: Partnership, start: date, end: date) -> Decimal:
    reports = CascadeReport.objects.filter(source_activity__partnership=p, reported_on__gte=start, reported_on__lte=end)
    return Decimal(reports.values("person_id").distinct().count())


@dataclass(frozen=True)
class LibraryIndicator:
    code: str
    name: str
    definition: str
    unit: str
    measure: str  # unit | percentage | qualitative
    compute: Compute | None


LIBRARY: dict[str, LibraryIndicator] = {
    i.code: i
    for i in [
        LibraryIndicator(
            "TRN-01",
            "Health workers trained (in-service)",
            "People who completed training in the period, each counted once (named trainees once; "
            "counted trainees less the named ones of the same activity and cell).",
            "persons",
            "unit",
            trained,
        ),
        LibraryIndicator(
            "TRN-03",
            "Knowledge mastery",
            "% of tested trainees whose post-test score reached 80% of the maximum.",
            "%",
            "percentage",
            mastery_share,
        ),
        LibraryIndicator(
            "TRN-05",
            "Performing to standard at 6 months",
            "% of trainees followed up at 6 months whose practice had changed (Kirkpatrick L3).",
            "%",
            "percentage",
            practice_at_six_months,
        ),
        LibraryIndicator(
            "TRN-06",
            "Cascade trainers",
            "Trainees reported in the period as having trained others.",
            "persons",
            "unit",
            cascade_trainers,
        ),
        LibraryIndicator(
            "VOL-01",
            "Volunteers deployed",
            "Unique people with at least one stay (physical or virtual) starting in the period.",
            "persons",
            "unit",
            volunteers,
        ),
        LibraryIndicator(
            "VOL-02", "Volunteer days", "Days of physical stays starting in the period.", "days", "unit", volunteer_days
        ),
        LibraryIndicator(
            "SYS-01",
            "Policies, protocols, curricula, regulations",
            "Documents developed or revised with ministries, professional bodies or institutions.",
            "documents",
            "unit",
            None,
        ),
        LibraryIndicator(
            "PAT-01",
            "Patients benefiting",
            "Patients using services the project improved (state the method).",
            "persons",
            "unit",
            None,
        ),
    ]
}
