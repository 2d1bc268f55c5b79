"""Reads of career records: a person's career, and retention at 1, 2 and 5 years (docs/careers.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet

from healthlinks.activities.models import Trainee
from healthlinks.careers.models import RETAINED, CareerRecord, CareerStatus
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Mode, Person, continuum_class_of
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import AnyUser

HORIZONS = (1, 2, 5)
TRAINEE = "trainee"  # the kind of a training's trainees (beside the continuum classes of stays)


def records_of(user: AnyUser, person: Person) -> QuerySet[CareerRecord]:
    """A person's career records, oldest first (none unless the user sees the person)."""
    visible = network_selectors.people_visible_to(user).filter(pk=person.pk).exists()
    qs = CareerRecord.objects.filter(person=person).select_related("institution", "country")
    return qs.order_by("recorded_on", "pk") if visible else qs.none()


def records_visible_to(user: AnyUser) -> QuerySet[CareerRecord]:
    """The career records of every person the user may see (`network.selectors.people_visible_to`)."""
    people = network_selectors.people_visible_to(user).values("pk")
    return CareerRecord.objects.filter(person__in=people).select_related("person", "institution", "country")


def anniversary(start: date, years: int) -> date:
    """`start` plus whole years (29 February becomes 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


@dataclass
class Cell:
    """One row of the table at one horizon: people whose anniversary has passed (`due`), those with a record on
    or after it (`followed_up`), of them still in the country's health work (`retained`) and abroad
    (`moved_abroad`)."""

    years: int
    due: int = 0
    followed_up: int = 0
    retained: int = 0
    moved_abroad: int = 0

    @property
    def percent(self) -> int | None:
        return round(100 * self.retained / self.followed_up) if self.followed_up else None


@dataclass
class Row:
    key: Any  # a Partnership, or a kind code ("trainee" or a continuum class)
    people: int = 0
    cells: list[Cell] = field(default_factory=lambda: [Cell(years) for years in HORIZONS])


def _status_at(records: list[tuple[date, str]], when: date) -> str | None:
    """The status of the first record on or after `when` (records sorted by date), or None: not followed up."""
    for recorded_on, status in records:
        if recorded_on >= when:
            return status
    return None


def _rows(
    starts: dict[Any, dict[int, date]], records: dict[int, list[tuple[date, str]]], today: date
) -> dict[Any, Row]:
    out: dict[Any, Row] = {}
    for key, people in starts.items():
        row = out[key] = Row(key, people=len(people))
        for person_id, start in people.items():
            for cell in row.cells:
                when = anniversary(start, cell.years)
                if when > today:
                    continue
                cell.due += 1
                status = _status_at(records.get(person_id, []), when)
                if status is None:
                    continue
                cell.followed_up += 1
                if status in RETAINED:
                    cell.retained += 1
                elif status == CareerStatus.MOVED_ABROAD:
                    cell.moved_abroad += 1
    return out


def retention(user: AnyUser, *, partnership: Partnership | None = None, today: date | None = None) -> dict[str, Any]:
    """Retention of trained health workers and returning volunteers at 1, 2 and 5 years, as `user` may see it.

    The rule:
    - A *start* is a named trainee's training ending (the activity's end date; kind "trainee") or a volunteer's
      return from a physical stay (the stay's end date; kind: the stay's continuum class), in a partnership.
    - In each row of a table (a partnership, or a kind) a person counts once, from their earliest start in it.
    - At a horizon of N years, the anniversary is the start plus N years. A person is *due* when the anniversary
      has passed (`today`), *followed up* when they have a career record on or after it, and *retained* when the
      first such record's status is in post, changed post, promoted or moved within the country. *Moved abroad*
      is counted separately (followed up, not retained); left health work is followed up and neither.
    - Only people the user may see (`network.selectors.people_visible_to`) and starts in partnerships the user
      may see count; `partnership` narrows both tables to one partnership.

    Returns {"horizons", "by_partnership": [Row], "by_kind": [Row]}, each Row with one Cell per horizon."""
    today = today or date.today()
    partnerships = registry_selectors.partnerships_visible_to(user)
    if partnership is not None:
        partnerships = partnerships.filter(pk=partnership.pk)
    people = network_selectors.people_visible_to(user).values("pk")
    events: list[tuple[int, int, str, date]] = []
    for person_id, partnership_id, end in Trainee.objects.filter(
        person__in=people, activity__partnership__in=partnerships
    ).values_list("person_id", "activity__partnership_id", "activity__end_date"):
        events.append((person_id, partnership_id, TRAINEE, end))
    for person_id, partnership_id, end, days in (
        network_selectors.live_stays()
        .filter(person__in=people, partnership__in=partnerships, mode=Mode.PHYSICAL)
        .values_list("person_id", "partnership_id", "end_date", "duration_days")
    ):
        events.append((person_id, partnership_id, continuum_class_of(days), end))
    by_partnership = _earliest(events, lambda e: e[1])
    by_kind = _earliest(events, lambda e: e[2])
    records: dict[int, list[tuple[date, str]]] = defaultdict(list)
    for person_id, recorded_on, status in (
        CareerRecord.objects.filter(person_id__in={e[0] for e in events})
        .order_by("person_id", "recorded_on", "pk")
        .values_list("person_id", "recorded_on", "status")
    ):
        records[person_id].append((recorded_on, status))
    names = {p.pk: p for p in Partnership.objects.filter(pk__in=by_partnership)}
    partnership_rows = _rows(by_partnership, records, today)
    for row in partnership_rows.values():
        row.key = names[row.key]
    return {
        "horizons": HORIZONS,
        "by_partnership": sorted(partnership_rows.values(), key=lambda r: r.key.name),
        "by_kind": sorted(_rows(by_kind, records, today).values(), key=lambda r: _KIND_ORDER.index(r.key)),
    }


_KIND_ORDER = [TRAINEE, "visit", "short_stay", "medium_stay", "long_term", "settlement"]


def _earliest(events: Iterable[tuple[int, int, str, date]], key: Callable[[Any], Any]) -> dict[Any, dict[int, date]]:
    """Row key -> person -> their earliest start in that row."""
    out: dict[Any, dict[int, date]] = defaultdict(dict)
    for event in events:
        people = out[key(event)]
        person_id, end = event[0], event[3]
        if person_id not in people or end < people[person_id]:
            people[person_id] = end
    return out
