"""Reads of the readiness checklist: who may see or change it, each stay's checklist with what is missing, the
stays starting soon with items missing, and the hub's overview across partnerships.

An item is done for a stay when it has a done date and, where the item needs evidence, a file or a note. An item
falls due by its kind: before departure (always), on arrival (from the stay's first day), on return (after its last
day); an item not yet due and not done is *not yet due*, never missing, so a stay to come is ready when everything
due before departure is done. Only physical stays are deployments: virtual engagements have no checklist."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from healthlinks.network.models import Mode, Stay
from healthlinks.network.selectors import personal_partnership_ids
from healthlinks.readiness.models import ItemKind, ReadinessCheck, ReadinessItem
from healthlinks.registry.models import Partnership
from healthlinks.registry.selectors import AnyUser, can_edit_partnership, is_hub_admin

SOON_DAYS = 30


class Status:
    DONE = "done"
    NO_EVIDENCE = "no_evidence"  # a done date, but the evidence the item needs is missing
    MISSING = "missing"
    NOT_DUE = "not_due"  # not done, and not due yet (on arrival or on return, for a stay not begun or not ended)


@dataclass
class Row:
    item: ReadinessItem
    check: ReadinessCheck | None
    status: str

    @property
    def missing(self) -> bool:
        return self.status in (Status.MISSING, Status.NO_EVIDENCE)


def can_configure(user: AnyUser) -> bool:
    """The hub's checklist is configured by hub administrators."""
    return is_hub_admin(user)


def can_read(user: AnyUser, stay: Stay) -> bool:
    """A stay's checklist is read by the members and coordinators of its partnership and by hub administrators."""
    return is_hub_admin(user) or stay.partnership_id in personal_partnership_ids(user)


def can_edit(user: AnyUser, stay: Stay) -> bool:
    """… and changed by the coordinators of its partnership and hub administrators."""
    return can_edit_partnership(user, stay.partnership_id)


def readable_partnership_ids(user: AnyUser) -> set[int] | None:
    """The partnerships whose readiness the user may read; None: all of them (hub administrators)."""
    return None if is_hub_admin(user) else personal_partnership_ids(user)


def active_items() -> QuerySet[ReadinessItem]:
    return ReadinessItem.objects.filter(active=True).order_by("position", "name")


def all_items() -> QuerySet[ReadinessItem]:
    return ReadinessItem.objects.order_by("-active", "position", "name")


def is_due(item: ReadinessItem, stay: Stay, today: date | None) -> bool:
    """Whether the item is due for the stay on `today` (None: every item is due)."""
    if today is None or item.kind == ItemKind.GENERAL:
        return True
    if item.kind == ItemKind.ARRIVAL:
        return stay.start_date <= today
    return stay.end_date is not None and stay.end_date < today


def status_of(item: ReadinessItem, check: ReadinessCheck | None, *, due: bool = True) -> str:
    if check is None or check.done_on is None:
        return Status.MISSING if due else Status.NOT_DUE
    if item.evidence_needed and not check.has_evidence:
        return Status.NO_EVIDENCE
    return Status.DONE


def checklist(stay: Stay, *, today: date | None = None) -> list[Row]:
    """Every active item for this stay, in the checklist's order, with its check and status (on `today`: items
    not yet due are NOT_DUE; None: every item is due)."""
    checks = {c.item_id: c for c in ReadinessCheck.objects.filter(stay=stay).select_related("checked_by")}
    return [
        Row(item, checks.get(item.pk), status_of(item, checks.get(item.pk), due=is_due(item, stay, today)))
        for item in active_items()
    ]


def missing_by_stay(stay_ids: Iterable[int], *, today: date | None = None) -> dict[int, list[ReadinessItem]]:
    """For each stay, the active items due on `today` (None: all) and not done (three queries, whatever the
    number of stays)."""
    ids = list(stay_ids)
    items = list(active_items())
    stays = Stay.objects.in_bulk(ids) if today is not None else {}
    checks: dict[tuple[int, int], ReadinessCheck] = {
        (c.stay_id, c.item_id): c for c in ReadinessCheck.objects.filter(stay_id__in=ids, item__active=True)
    }
    return {
        stay_id: [
            item
            for item in items
            if (today is None or is_due(item, stays[stay_id], today))
            and status_of(item, checks.get((stay_id, item.pk))) != Status.DONE
        ]
        for stay_id in ids
    }


def deployments() -> QuerySet[Stay]:
    """The stays a checklist applies to: physical stays of live people and partnerships."""
    return Stay.objects.filter(
        mode=Mode.PHYSICAL, person__deleted_at__isnull=True, partnership__deleted_at__isnull=True
    )


def starting_soon_with_missing(
    partnership_ids: Iterable[int], *, today: date, days: int = SOON_DAYS
) -> list[tuple[Stay, list[ReadinessItem]]]:
    """The physical stays of these partnerships that start from today to `days` days ahead (both included) and
    still have items missing, soonest first, each with its missing items."""
    stays = list(
        deployments()
        .filter(
            partnership_id__in=list(partnership_ids), start_date__gte=today, start_date__lte=today + timedelta(days)
        )
        .select_related("person", "partnership", "host_institution")
        .order_by("start_date", "pk")
    )
    missing = missing_by_stay((s.pk for s in stays), today=today)
    return [(stay, missing[stay.pk]) for stay in stays if missing[stay.pk]]


def overview(partnership_ids: set[int] | None, *, today: date) -> dict[str, Any]:
    """Readiness across partnerships: for each, its current and coming physical stays (not yet ended), how many
    are ready (every item due on `today` done), and for each item how many stays miss it; and the totals."""
    items = list(active_items())
    stays = deployments().filter(end_date__gte=today)
    partnerships = Partnership.objects.filter(deleted_at__isnull=True)
    if partnership_ids is not None:
        stays = stays.filter(partnership_id__in=partnership_ids)
        partnerships = partnerships.filter(pk__in=partnership_ids)
    by_partnership: dict[int, list[int]] = defaultdict(list)
    dates: dict[int, Stay] = {}
    for stay in stays.only("pk", "partnership_id", "start_date", "end_date"):
        by_partnership[stay.partnership_id].append(stay.pk)
        dates[stay.pk] = stay
    done = {
        (c.stay_id, c.item_id): c
        for c in ReadinessCheck.objects.filter(stay__in=stays, item__active=True, done_on__isnull=False)
    }
    rows, totals = [], dict.fromkeys((i.pk for i in items), 0)
    names = dict(partnerships.filter(pk__in=list(by_partnership)).values_list("pk", "name"))
    slugs = dict(partnerships.filter(pk__in=list(by_partnership)).values_list("pk", "slug"))
    for partnership_id, stay_ids in sorted(by_partnership.items(), key=lambda kv: names.get(kv[0], "").lower()):
        if partnership_id not in names:
            continue
        missing = dict.fromkeys((i.pk for i in items), 0)
        ready = 0
        for stay_id in stay_ids:
            gaps = [
                i
                for i in items
                if is_due(i, dates[stay_id], today) and status_of(i, done.get((stay_id, i.pk))) != Status.DONE
            ]
            ready += not gaps
            for item in gaps:
                missing[item.pk] += 1
                totals[item.pk] += 1
        rows.append(
            {
                "name": names[partnership_id],
                "slug": slugs[partnership_id],
                "stays": len(stay_ids),
                "ready": ready,
                "missing": [missing[i.pk] for i in items],
            }
        )
    return {
        "items": items,
        "rows": rows,
        "totals": [totals[i.pk] for i in items],
        "stays": sum(r["stays"] for r in rows),
        "ready": sum(r["ready"] for r in rows),
    }


def debrief_survey() -> Any:
    """The volunteer debrief survey among the evaluation instruments: one whose title or slug says "debrief", else
    the volunteer impact survey (its questions are the benefits to the sending side); None when there is neither."""
    from healthlinks.evaluation.models import Instrument
    from healthlinks.evaluation.selectors import VOLUNTEER_IMPACT

    named = (
        Instrument.objects.filter(Q(title__icontains="debrief") | Q(slug__icontains="debrief"))
        .order_by("-updated_at", "pk")
        .first()
    )
    return named or Instrument.objects.filter(form_id=VOLUNTEER_IMPACT).order_by("-updated_at", "pk").first()


def is_debrief(item: ReadinessItem) -> bool:
    return item.kind == ItemKind.DEBRIEF
