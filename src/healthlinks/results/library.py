"""The shared indicator library (indicators.md §a): definitions, and for most of them the computation of
the actual value from recorded activities, outcomes and stays, so that an actual is never typed twice and
partnerships can be added up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from healthlinks.activities.models import Activity, Assessment, CascadeReport, Outcome
from healthlinks.activities.selectors import activities_in_period, health_workers_trained
from healthlinks.network.models import Mode, Stay
from healthlinks.registry.models import Partnership

MASTERY = Decimal("0.8")  # TRN-03: post-test score of at least 80% of the maximum


@dataclass
class Measured:
    """A computed actual: the value, for percentages its numerator and denominator, and the split by sex and
    by cadre (`by["sex"]["female"]`, `by["cadre"]["2221"]`; for percentages the split holds the numerators)."""

    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    by: dict[str, dict[str, Decimal]] = field(default_factory=dict)


Compute = Callable[[Partnership, date, date], Measured]


def _split(rows: list[tuple[str | None, str]]) -> dict[str, dict[str, Decimal]]:
    """rows of (cadre, sex), one per person or event counted -> {"sex": {...}, "cadre": {...}}."""
    sex: Counter[str] = Counter()
    cadre: Counter[str] = Counter()
    for cadre_id, sex_code in rows:
        sex[sex_code or "not_recorded"] += 1
        cadre[cadre_id or "not_recorded"] += 1
    return {
        "sex": {k: Decimal(v) for k, v in sorted(sex.items())},
        "cadre": {k: Decimal(v) for k, v in sorted(cadre.items())},
    }


def _share(rows: list[tuple[bool, str | None, str]]) -> Measured:
    """rows of (success, cadre, sex) -> percentage with numerator, denominator and the split of successes."""
    if not rows:
        return Measured(None, Decimal(0), Decimal(0))
    hits = [(cadre, sex) for ok, cadre, sex in rows if ok]
    return Measured(Decimal(100 * len(hits)) / len(rows), Decimal(len(hits)), Decimal(len(rows)), _split(hits))


def _activities(p: Partnership, start: date, end: date) -> QuerySet[Activity]:
    return activities_in_period(Activity.objects.filter(partnership=p), start, end)


def trained(p: Partnership, start: date, end: date) -> Measured:
    counts = health_workers_trained(_activities(p, start, end))
    by = {
        "sex": {k: Decimal(v) for k, v in counts["by_sex"].items()},
        "cadre": {k: Decimal(v) for k, v in counts["by_cadre"].items()},
    }
    return Measured(Decimal(counts["total"]), by=by)


def volunteers(p: Partnership, start: date, end: date) -> Measured:
    stays = Stay.objects.filter(partnership=p, start_date__gte=start, start_date__lte=end)
    people = list(stays.values_list("person__cadre_id", "person__sex", "person_id").order_by().distinct())
    return Measured(Decimal(len(people)), by=_split([(cadre, sex) for cadre, sex, _pk in people]))


def volunteer_days(p: Partnership, start: date, end: date) -> Measured:
    stays = Stay.objects.filter(partnership=p, mode=Mode.PHYSICAL, start_date__gte=start, start_date__lte=end)
    sex: Counter[str] = Counter()
    cadre: Counter[str] = Counter()
    for days, cadre_id, sex_code in stays.values_list("duration_days", "person__cadre_id", "person__sex"):
        sex[sex_code or "not_recorded"] += days
        cadre[cadre_id or "not_recorded"] += days
    by = {
        "sex": {k: Decimal(v) for k, v in sorted(sex.items())},
        "cadre": {k: Decimal(v) for k, v in sorted(cadre.items())},
    }
    return Measured(Decimal(sum(sex.values(), 0)), by=by)


def mastery_share(p: Partnership, start: date, end: date) -> Measured:
    rows = Assessment.objects.filter(activity__in=_activities(p, start, end)).values_list(
        "post_score", "max_score", "person__cadre_id", "person__sex"
    )
    return _share([(post >= top * MASTERY, cadre, sex) for post, top, cadre, sex in rows])


def practice_at_six_months(p: Partnership, start: date, end: date) -> Measured:
    rows = Outcome.objects.filter(activity__in=_activities(p, start, end), level=3, follow_up_months=6).values_list(
        "practice_changed", "person__cadre_id", "person__sex"
    )
    return _share([(bool(changed), cadre, sex) for changed, cadre, sex in rows])


def cascade_trainers(p: Partnership, start: date, end: date) -> Measured:
    reports = CascadeReport.objects.filter(source_activity__partnership=p, reported_on__gte=start, reported_on__lte=end)
    people = list(reports.values_list("person__cadre_id", "person__sex", "person_id").order_by().distinct())
    return Measured(Decimal(len(people)), by=_split([(cadre, sex) for cadre, sex, _pk in people]))


@dataclass(frozen=True)
class LibraryIndicator:
    code: str
    name: Any  # lazy: in the reader's language
    definition: Any
    unit: Any
    measure: str  # unit | percentage | qualitative
    compute: Compute | None


LIBRARY: dict[str, LibraryIndicator] = {
    i.code: i
    for i in [
        LibraryIndicator(
            "TRN-01",
            _("Health workers trained (in-service)"),
            _(
                "People who completed training in the period, each counted once (named trainees once; "
                "counted trainees less the named ones of the same activity and cell)."
            ),
            _("persons"),
            "unit",
            trained,
        ),
        LibraryIndicator(
            "TRN-03",
            _("Knowledge mastery"),
            # xgettext:no-python-format
            _("% of tested trainees whose post-test score reached 80% of the maximum."),
            "%",
            "percentage",
            mastery_share,
        ),
        LibraryIndicator(
            "TRN-05",
            _("Performing to standard at 6 months"),
            # xgettext:no-python-format
            _("% of trainees followed up at 6 months whose practice had changed (Kirkpatrick L3)."),
            "%",
            "percentage",
            practice_at_six_months,
        ),
        LibraryIndicator(
            "TRN-06",
            _("Cascade trainers"),
            _("Trainees reported in the period as having trained others."),
            _("persons"),
            "unit",
            cascade_trainers,
        ),
        LibraryIndicator(
            "VOL-01",
            _("Volunteers deployed"),
            _("Unique people with at least one stay (physical or virtual) starting in the period."),
            _("persons"),
            "unit",
            volunteers,
        ),
        LibraryIndicator(
            "VOL-02",
            _("Volunteer days"),
            _("Days of physical stays starting in the period."),
            _("days"),
            "unit",
            volunteer_days,
        ),
        LibraryIndicator(
            "SYS-01",
            _("Policies, protocols, curricula, regulations"),
            _("Documents developed or revised with ministries, professional bodies or institutions."),
            _("documents"),
            "unit",
            None,
        ),
        LibraryIndicator(
            "PAT-01",
            _("Patients benefiting"),
            _("Patients using services the project improved (state the method)."),
            _("persons"),
            "unit",
            None,
        ),
    ]
}
