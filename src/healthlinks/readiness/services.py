"""Writes of the readiness checklist: the hub's items and each stay's checks. Keyword-only, atomic, validated,
the author in the history. Who may write is the pages' and the selectors' rule (readiness.selectors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks import bulk, changes
from healthlinks.accounts.models import User
from healthlinks.network.models import Stay
from healthlinks.readiness.models import EVIDENCE_MAX_BYTES, ItemKind, ReadinessCheck, ReadinessItem
from healthlinks.records import RowInvalid, record_delete, record_save

ITEM_FIELDS = {"name", "description", "evidence_needed", "kind", "position", "active"}

# What a hub starts with (the items the literature on deployments names); the hub changes them at /readiness/items/.
DEFAULT_ITEMS: list[dict[str, Any]] = [
    {
        "name": "Professional registration in the host country",
        "description": "Registration or a temporary licence with the host country's professional council.",
        "evidence_needed": True,
    },
    {
        "name": "Indemnity and insurance",
        "description": "Professional indemnity, health and travel insurance covering the work at the host.",
        "evidence_needed": True,
    },
    {
        "name": "Occupational health and vaccinations",
        "description": "Occupational health clearance, vaccinations and post-exposure prophylaxis arranged.",
        "evidence_needed": True,
    },
    {
        "name": "Security briefing",
        "description": "A briefing on security, travel and whom to call in an emergency.",
        "evidence_needed": False,
    },
    {
        "name": "Induction at the host",
        "description": "An induction at the host institution in the first days: people, wards, protocols.",
        "evidence_needed": False,
        "kind": ItemKind.ARRIVAL,
    },
    {
        "name": "Debrief on return",
        "description": "A debrief after return: what worked, what did not, what to hand on.",
        "evidence_needed": False,
        "kind": ItemKind.DEBRIEF,
    },
]


@transaction.atomic
def item_save(*, by: User | None, item: ReadinessItem | None = None, **fields: Any) -> ReadinessItem:
    """Create (no `item`) or change one checklist item."""
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    item = item or ReadinessItem()
    for name, value in fields.items():
        setattr(item, name, value)
    if item.name:
        item.name = item.name.strip()
    return record_save(item, by=by)


@transaction.atomic
def items_create_defaults(*, by: User | None) -> list[ReadinessItem]:
    """The default checklist, for a hub that has none yet; items of the same name are left as they are."""
    taken = set(ReadinessItem.objects.values_list("name", flat=True))
    made = []
    for position, spec in enumerate(DEFAULT_ITEMS, start=1):
        if spec["name"] not in taken:
            made.append(item_save(by=by, position=position * 10, **spec))
    return made


def _check_evidence_file(evidence: UploadedFile) -> None:
    if evidence.size is not None and evidence.size > EVIDENCE_MAX_BYTES:
        limit = EVIDENCE_MAX_BYTES // 1024 // 1024
        raise ValidationError({"evidence": _("the file is larger than {limit} MB").format(limit=limit)})


@transaction.atomic
def check_save(
    *,
    by: User | None,
    stay: Stay,
    item: ReadinessItem,
    done_on: date | None,
    note: str = "",
    evidence: UploadedFile | None = None,
    clear_evidence: bool = False,
) -> ReadinessCheck:
    """Record how far one item is done for one stay. The user who records a done date is who checked it; a file
    given replaces the one kept, `clear_evidence` removes it. The stay itself is never touched: readiness blocks
    nothing."""
    check = ReadinessCheck.objects.filter(stay=stay, item=item).first() or ReadinessCheck(stay=stay, item=item)
    before = (check.done_on, check.note, bool(check.evidence))
    if done_on is not None and done_on != check.done_on:
        check.checked_by = by
    elif done_on is None:
        check.checked_by = None
    check.done_on = done_on
    check.note = (note or "").strip()
    if evidence is not None:
        _check_evidence_file(evidence)
        check.evidence = evidence
    elif clear_evidence:
        check.evidence = ""
    if check.pk is None and done_on is None and not check.note and not check.evidence:
        return check  # nothing to record for an item not started
    if check.pk is not None and before == (check.done_on, check.note, bool(check.evidence)) and evidence is None:
        return check  # unchanged: no history row
    return record_save(check, by=by)


@transaction.atomic
def checks_save(*, by: User | None, stay: Stay, entries: list[dict[str, Any]]) -> list[ReadinessCheck]:
    """Several items of one stay's checklist at once (the checklist form): all saved, or none."""
    return [check_save(by=by, stay=stay, **entry) for entry in entries]


@transaction.atomic
def checks_create_many(*, by: User | None, checks: Sequence[ReadinessCheck]) -> list[ReadinessCheck]:
    """Record many new checks at once (an import, the demo world), all or nothing: each validated as `check_save`
    validates one (`full_clean`), one check per stay and item (within the batch and against those recorded), each
    with its history row and `by` as its author. A refused one raises `RowInvalid` with its index before anything is
    written. Evidence files are not taken here (a note is): a check given one is refused. Returns the checks, saved."""
    bulk.validate(checks)
    seen: dict[tuple[int, int], int] = {}
    for index, check in enumerate(checks):
        if check.evidence:
            raise RowInvalid(index, ValidationError({"evidence": _("a file is recorded one check at a time")}))
        key = (check.stay_id, check.item_id)
        if key in seen:
            raise RowInvalid(index, ValidationError({"item": _("this item is already checked for this stay")}))
        seen[key] = index
    stays = sorted({stay_id for stay_id, _item in seen})
    for start in range(0, len(stays), 500):
        recorded = ReadinessCheck.objects.filter(stay_id__in=stays[start : start + 500])
        for key in recorded.values_list("stay_id", "item_id"):
            if key in seen:
                message = _("this item is already checked for this stay")
                raise RowInvalid(seen[key], ValidationError({"item": message}))
    # written by column: the bulk writer does not adapt a FileField's value, and these checks have no file
    rows = [
        {
            "stay_id": c.stay_id,
            "item_id": c.item_id,
            "done_on": c.done_on,
            "note": c.note,
            "evidence": "",
            "checked_by_id": c.checked_by_id,
        }
        for c in checks
    ]
    for check, pk in zip(checks, bulk.create_rows(ReadinessCheck, rows, by=by), strict=True):
        check.pk = check.id = pk
        check._state.adding = False
    changes.changed([ReadinessCheck])
    return list(checks)


@transaction.atomic
def item_delete(*, by: User | None, item: ReadinessItem) -> None:
    """Remove an item from the checklist. An item already recorded for a stay is kept (what was recorded stays
    with its item): refused; take it out of use (`active` false) instead."""
    if item.checks.exists():
        raise ValidationError(
            {"active": _("already recorded for a stay: it cannot be deleted; take it out of use instead (in use: no)")}
        )
    record_delete(item, by=by)
