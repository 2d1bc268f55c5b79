"""Writes to the knowledge network. Derived stay fields are recomputed here, per person, on every change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from healthlinks import changes
from healthlinks.accounts.models import User
from healthlinks.network.models import (
    DIRECTED_TIES,
    Mode,
    Person,
    PersonalData,
    PersonRole,
    PersonRoleKind,
    Purpose,
    Stay,
    StaySession,
    Tie,
)
from healthlinks.records import RowInvalid, record_delete, record_save
from healthlinks.reference.models import IncomeGroup, UkCodeStatus
from healthlinks.registry.models import Institution

DERIVED_FIELDS = ["duration_days", "repeat_index", "days_since_previous", "circular", "safeguard_flag"]


def safeguard_applies(*, mode: str, sending: Institution | None, host: Institution) -> bool:
    """A physical stay from a WHO SSL 2023 or UK-red-list country to a high-income host."""
    if mode != Mode.PHYSICAL or sending is None:
        return False
    origin = sending.country
    listed = origin.ssl2023 or origin.uk_code_status == UkCodeStatus.RED
    return bool(listed and host.country.income_group == IncomeGroup.HIC)


def derive_stay_fields(stays: Sequence[Stay]) -> None:
    """Fill the derived fields of all stays of one or more people (in memory).

    Repeat index, days since previous and the circular pattern are counted per person, host and mode:
    the n-th physical stay of a person at a host has repeat index n; two or more physical stays at the
    same host make every one of them circular."""
    groups: dict[tuple[int, int, str], list[Stay]] = defaultdict(list)
    for stay in stays:
        stay.duration_days = (stay.end_date - stay.start_date).days + 1
        stay.safeguard_flag = safeguard_applies(
            mode=stay.mode, sending=stay.sending_institution, host=stay.host_institution
        )
        groups[(stay.person_id, stay.host_institution_id, stay.mode)].append(stay)
    for (_person, _host, mode), group in groups.items():
        group.sort(key=lambda s: (s.start_date, s.end_date, s.pk or 0))
        circular = mode == Mode.PHYSICAL and len(group) >= 2
        previous: Stay | None = None
        for index, stay in enumerate(group, start=1):
            stay.repeat_index = index
            stay.days_since_previous = (stay.start_date - previous.end_date).days if previous else None
            stay.circular = circular
            previous = stay


def overlapping_pairs(stays: Iterable[Stay]) -> list[tuple[Stay, Stay]]:
    """Physical stays of one person that overlap in time."""
    by_person: dict[Any, list[Stay]] = defaultdict(list)
    for stay in stays:
        if stay.mode == Mode.PHYSICAL:
            by_person[stay.person_id].append(stay)
    pairs = []
    for group in by_person.values():
        group.sort(key=lambda s: (s.start_date, s.end_date))
        latest: Stay | None = None
        for stay in group:
            if latest is not None and stay.start_date <= latest.end_date:
                pairs.append((latest, stay))
            if latest is None or stay.end_date > latest.end_date:
                latest = stay
    return pairs


def people_refresh_stays(*, person_ids: Iterable[int]) -> int:
    """Recompute the derived fields of every stay of these people; returns stays updated."""
    ids = list(set(person_ids))
    total = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stays = list(
            Stay.objects.filter(person_id__in=chunk).select_related(
                "sending_institution__country", "host_institution__country"
            )
        )
        derive_stay_fields(stays)
        Stay.objects.bulk_update(stays, DERIVED_FIELDS, batch_size=1000)
        total += len(stays)
    return total


def _stay_field_errors(stay: Stay) -> None:
    errors: dict[str, list[str]] = {}
    if stay.end_date and stay.start_date and stay.end_date < stay.start_date:
        errors.setdefault("end_date", []).append(_("the end date is before the start date"))
    unknown = [p for p in stay.purposes if p not in Purpose.values]
    if unknown:
        errors.setdefault("purposes", []).append(
            _("unknown purpose %(p)s; use %(all)s") % {"p": ", ".join(unknown), "all": ", ".join(Purpose.values)}
        )
    if stay.virtual_hours is not None and stay.virtual_hours < 0:
        errors.setdefault("virtual_hours", []).append(_("hours cannot be negative"))
    if errors:
        raise ValidationError(errors)


def _check_stay(stay: Stay) -> None:
    _stay_field_errors(stay)
    if stay.mode == Mode.PHYSICAL:
        others = Stay.objects.filter(
            person_id=stay.person_id, mode=Mode.PHYSICAL, start_date__lte=stay.end_date, end_date__gte=stay.start_date
        )
        if stay.pk:
            others = others.exclude(pk=stay.pk)
        clash = others.first()
        if clash:
            raise ValidationError(
                {
                    "start_date": _("overlaps the physical stay %(other)s (%(start)s to %(end)s) of the same person")
                    % {"other": clash.external_id or clash.pk, "start": clash.start_date, "end": clash.end_date}
                }
            )


STAY_FIELDS = {
    "external_id",
    "person",
    "partnership",
    "sending_institution",
    "host_institution",
    "mode",
    "start_date",
    "end_date",
    "purposes",
    "virtual_hours",
    "funding",
    "notes",
}


def stay_warnings(stay: Stay) -> list[str]:
    """Rules that warn but do not block."""
    warnings = []
    if stay.outside_partnership_dates:
        warnings.append(_("the stay falls outside the partnership's dates"))
    if stay.safeguard_flag:
        warnings.append(_("WHO Global Code: physical stay from a Safeguards-List country to a high-income host"))
    return warnings


@transaction.atomic
def stay_create(*, by: User | None, **fields: Any) -> Stay:
    unknown = set(fields) - STAY_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    stay = Stay(**fields)
    stay.full_clean(exclude=DERIVED_FIELDS)
    _check_stay(stay)
    record_save(stay, by=by, validate=False)
    PersonRole.objects.get_or_create(person=stay.person, partnership=stay.partnership, role="volunteer")
    people_refresh_stays(person_ids=[stay.person_id])
    stay.refresh_from_db()
    return stay


@transaction.atomic
def stay_update(*, by: User | None, stay: Stay, **fields: Any) -> Stay:
    unknown = set(fields) - STAY_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    old_person = stay.person_id
    for name, value in fields.items():
        setattr(stay, name, value)
    stay.full_clean(exclude=DERIVED_FIELDS)
    _check_stay(stay)
    record_save(stay, by=by, validate=False)
    people_refresh_stays(person_ids=[old_person, stay.person_id])
    stay.refresh_from_db()
    return stay


STAY_REFERENCES = ["person", "partnership", "sending_institution", "host_institution"]


@transaction.atomic
def stays_save_many(*, by: User | None, stays: Sequence[Stay]) -> tuple[list[Stay], list[Stay]]:
    """Create or update many stays as `stay_create` and `stay_update` do one: the same validation (references are
    resolved by the caller, in one query each), no overlapping physical stays of one person (within the batch or
    against stays recorded), history rows, a volunteer role in the stay's partnership, derived fields recomputed.
    Written in batches without model signals: the service says what changed (healthlinks.changes). A refused stay
    raises `RowInvalid` with its index; nothing is written. Returns (created, updated)."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    index_of = {id(stay): index for index, stay in enumerate(stays)}
    for index, stay in enumerate(stays):
        try:
            stay.full_clean(exclude=[*DERIVED_FIELDS, *STAY_REFERENCES], validate_unique=False)
            _stay_field_errors(stay)
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
    ids = [stay.pk for stay in stays if stay.pk]
    recorded = Stay.objects.filter(person_id__in={s.person_id for s in stays}, mode=Mode.PHYSICAL).exclude(pk__in=ids)
    for first, second in overlapping_pairs([*recorded, *stays]):
        later, other = (second, first) if id(second) in index_of else (first, second)
        message = _("overlaps the physical stay %(other)s (%(start)s to %(end)s) of the same person") % {
            "other": other.external_id or other.pk,
            "start": other.start_date,
            "end": other.end_date,
        }
        raise RowInvalid(index_of[id(later)], ValidationError({"start_date": message}))
    created = [s for s in stays if not s.pk]
    updated = [s for s in stays if s.pk]
    if created:
        bulk_create_with_history(created, Stay, batch_size=1000, default_user=by)
    if updated:
        columns = sorted(STAY_FIELDS - {"external_id", "notes"})
        bulk_update_with_history(updated, Stay, columns, batch_size=1000, default_user=by)
    PersonRole.objects.bulk_create(
        [
            PersonRole(person_id=s.person_id, partnership_id=s.partnership_id, role=PersonRoleKind.VOLUNTEER)
            for s in stays
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    people_refresh_stays(person_ids=[s.person_id for s in stays])
    changes.changed([Stay, PersonRole])
    return created, updated


PERSON_FIELDS = {
    "external_id",
    "cadre",
    "cadre_id",
    "sex",
    "home_institution",
    "home_institution_id",
    "grade",
    "research_consent",
    "consent_date",
}
PERSONAL_FIELDS = {"given_name", "family_name", "email", "phone"}


@dataclass(frozen=True)
class RoleSpec:
    partnership_id: int
    role: str


@transaction.atomic
def person_save(
    *, by: User | None, person: Person | None = None, roles: Sequence[RoleSpec] = (), **fields: Any
) -> Person:
    """Create or update a person and their personal data (kept in its own table)."""
    unknown = set(fields) - PERSON_FIELDS - PERSONAL_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    personal = {k: fields.pop(k) for k in list(fields) if k in PERSONAL_FIELDS}
    person = person or Person()
    for name, value in fields.items():
        setattr(person, name, value)
    _consent_dated(person)
    person.full_clean()
    record_save(person, by=by, validate=False)
    if personal:
        data, _created = PersonalData.objects.get_or_create(person=person)
        for name, value in personal.items():
            setattr(data, name, value or "")
        data.full_clean()
        record_save(data, by=by, validate=False)
    for spec in roles:
        PersonRole.objects.get_or_create(person=person, partnership_id=spec.partnership_id, role=spec.role)
    return person


class PersonInvalid(RowInvalid):
    """`people_save_many` refused the person at `index` of its input (the message dict names the fields)."""


@dataclass(frozen=True)
class PersonIn:
    """One person for `people_save_many`: the record's fields and their personal data."""

    external_id: str
    fields: dict[str, Any]
    personal: dict[str, str]


def _consent_dated(person: Person) -> None:
    if person.research_consent and not person.consent_date:
        person.consent_date = date.today()
    if not person.research_consent:
        person.consent_date = None


@transaction.atomic
def people_save_many(
    *, by: User | None, people: Sequence[PersonIn], roles: Sequence[RoleSpec] = ()
) -> tuple[list[Person], list[Person]]:
    """Create or update many people by external id, as `person_save` does one: the same fields, the same
    validation (`full_clean`), history rows for the person and their personal data, a role in each of `roles`.
    Rows are written in batches, which send no model signals: the service says what changed itself
    (healthlinks.changes). Returns (created, updated)."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    for item in people:
        unknown = (set(item.fields) - PERSON_FIELDS) | (set(item.personal) - PERSONAL_FIELDS)
        if unknown:
            raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    existing = {
        p.external_id: p
        for p in Person.objects.filter(external_id__in=[i.external_id for i in people]).select_related("personal")
    }
    created: list[Person] = []
    updated: list[Person] = []
    pairs: list[tuple[Person, PersonIn]] = []
    person_fields: set[str] = {"research_consent", "consent_date"}
    for index, item in enumerate(people):
        person = existing.get(item.external_id) or Person(external_id=item.external_id)
        pairs.append((person, item))
        for name, value in item.fields.items():
            setattr(person, name, value)
            person_fields.add(name)
        _consent_dated(person)
        # References (cadre, home institution) are resolved by the caller in one query each, not one per row;
        # external ids are one per row (the caller's reader refuses repeats).
        try:
            person.full_clean(exclude=["cadre", "home_institution"], validate_unique=False)
        except ValidationError as exc:
            raise PersonInvalid(index, exc) from None
        (updated if person.pk else created).append(person)
    if created:
        bulk_create_with_history(created, Person, batch_size=1000, default_user=by)
    if updated:
        columns = sorted(f for f in person_fields if f != "external_id")
        bulk_update_with_history(updated, Person, columns, batch_size=1000, default_user=by)
    personal_existing = {d.person_id: d for d in PersonalData.objects.filter(person__in=[*created, *updated])}
    new_personal: list[PersonalData] = []
    changed_personal: list[PersonalData] = []
    personal_fields: set[str] = set()
    for index, (person, item) in enumerate(pairs):
        if not item.personal:
            continue
        data = personal_existing.get(person.pk) or PersonalData(person=person)
        if data.pk is not None and all(getattr(data, k) == (v or "") for k, v in item.personal.items()):
            continue  # unchanged: no history row
        for name, value in item.personal.items():
            setattr(data, name, value or "")
            personal_fields.add(name)
        try:
            data.full_clean(exclude=["person"], validate_unique=False)
        except ValidationError as exc:
            raise PersonInvalid(index, exc) from None
        (changed_personal if person.pk in personal_existing else new_personal).append(data)
    if new_personal:
        bulk_create_with_history(new_personal, PersonalData, batch_size=1000, default_user=by)
    if changed_personal:
        bulk_update_with_history(
            changed_personal, PersonalData, sorted(personal_fields), batch_size=1000, default_user=by
        )
    if roles:
        PersonRole.objects.bulk_create(
            [
                PersonRole(person=p, partnership_id=spec.partnership_id, role=spec.role)
                for p, _item in pairs
                for spec in roles
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
    changes.changed([Person, PersonalData, PersonRole])
    return created, updated


def tie_key(person_a: Person, person_b: Person, kind: str) -> tuple[Person, Person]:
    """Undirected ties are stored lower id first, so a pair is one row whichever way it was given."""
    if kind not in DIRECTED_TIES and person_b.pk < person_a.pk:
        return person_b, person_a
    return person_a, person_b


@transaction.atomic
def tie_save(
    *,
    by: User | None,
    person_a: Person,
    person_b: Person,
    kind: str,
    start_date: date | None = None,
    end_date: date | None = None,
    source: str = "",
) -> Tie:
    if person_a.pk == person_b.pk:
        raise ValidationError({"person_b": _("a tie joins two different people")})
    if start_date and end_date and end_date < start_date:
        raise ValidationError({"end_date": _("the end date is before the start date")})
    a, b = tie_key(person_a, person_b, kind)
    tie = Tie.objects.filter(person_a=a, person_b=b, kind=kind).first() or Tie(person_a=a, person_b=b, kind=kind)
    tie.start_date, tie.end_date, tie.source = start_date, end_date, source or tie.source
    return record_save(tie, by=by, validate_unique=False)


@transaction.atomic
def tie_delete(*, by: User | None, tie: Tie) -> None:
    record_delete(tie, by=by)


BULK_STAY_FIELDS = {"funding"}


@transaction.atomic
def stays_set(*, by: User | None, stays: Sequence[Stay], **fields: Any) -> int:
    """Set the same fields on many stays at once (a bulk action): each stay validated as `stay_update` does, one
    history row per stay, all in one transaction. Returns the number of stays changed."""
    from simple_history.utils import bulk_update_with_history

    unknown = set(fields) - BULK_STAY_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set on many stays at once") for name in sorted(unknown)})
    for index, stay in enumerate(stays):
        for name, value in fields.items():
            setattr(stay, name, value)
        try:
            stay.full_clean(exclude=[*DERIVED_FIELDS, *STAY_REFERENCES], validate_unique=False)
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
    bulk_update_with_history(list(stays), Stay, sorted(fields), batch_size=1000, default_user=by)
    changes.changed([Stay])
    return len(stays)


@transaction.atomic
def stays_delete(*, by: User | None, stays: Sequence[Stay]) -> list[int]:
    """Delete many stays (a bulk action), each with a history row saying who deleted it. Returns the ids of those
    history rows, which `stays_restore` takes to undo the deletion."""
    people = {s.person_id for s in stays}
    ids = [s.pk for s in stays]
    for stay in stays:
        record_delete(stay, by=by)
    people_refresh_stays(person_ids=people)
    deleted = Stay.history.filter(id__in=ids, history_type="-").order_by("id", "-history_id")
    latest: dict[int, int] = {}
    for stay_id, history_id in deleted.values_list("id", "history_id"):
        latest.setdefault(stay_id, history_id)
    return sorted(latest.values())


@transaction.atomic
def stays_restore(*, by: User | None, history_ids: Sequence[int]) -> int:
    """Undo `stays_delete`: put back each stay as it was when deleted (its links to activities are not restored).
    A stay that exists again, or that would now overlap a physical stay of the same person, is refused."""
    rows = list(Stay.history.filter(history_id__in=history_ids, history_type="-").order_by("history_id"))
    restored = []
    for row in rows:
        stay = row.instance
        if Stay.objects.filter(pk=stay.pk).exists():
            raise ValidationError(_("stay %(id)s is already back") % {"id": stay.external_id or stay.pk})
        _check_stay(stay)
        record_save(stay, by=by, validate=False, force_insert=True)
        restored.append(stay)
    people_refresh_stays(person_ids={s.person_id for s in restored})
    return len(restored)


BULK_PERSON_FIELDS = {"cadre", "home_institution", "sex"}


@transaction.atomic
def people_set(*, by: User | None, people: Sequence[Person], **fields: Any) -> int:
    """Set the same fields on many people at once (a bulk action): each person validated, one history row per
    person, all in one transaction. Returns the number of people changed."""
    from simple_history.utils import bulk_update_with_history

    unknown = set(fields) - BULK_PERSON_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set on many people at once") for name in sorted(unknown)})
    now = timezone.now()
    for index, person in enumerate(people):
        for name, value in fields.items():
            setattr(person, name, value)
        person.updated_at = now
        try:
            person.full_clean(exclude=["pseudo_id", "external_id"], validate_unique=False)
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
    bulk_update_with_history(list(people), Person, [*sorted(fields), "updated_at"], batch_size=1000, default_user=by)
    changes.changed([Person])
    return len(people)


@transaction.atomic
def people_soft_delete(*, by: User | None, people: Sequence[Person], deleted: bool = True) -> list[str]:
    """Delete (or, `deleted=False`, restore) many people the soft way: every row they have stays, every page and
    analysis stops counting them, and `people_soft_delete(..., deleted=False)` brings them back as they were.
    One history row per person ("deleted"/"restored"). Returns their pseudonymous ids (what undo takes)."""
    from simple_history.utils import bulk_update_with_history

    now = timezone.now()
    for person in people:
        if (person.deleted_at is not None) == deleted:
            state = _("already deleted") if deleted else _("not deleted")
            raise ValidationError(_("%(person)s is %(state)s") % {"person": person.pseudo_id, "state": state})
        person.deleted_at = now if deleted else None
        person.updated_at = now
    bulk_update_with_history(
        list(people),
        Person,
        ["deleted_at", "updated_at"],
        batch_size=1000,
        default_user=by,
        default_change_reason="deleted" if deleted else "restored",
    )
    changes.changed([Person, Stay])
    return [p.pseudo_id for p in people]


@transaction.atomic
def ties_save_many(*, by: User | None, ties: Sequence[Tie]) -> tuple[list[Tie], list[Tie]]:
    """Create or update many ties as `tie_save` does one (the same pair and kind updates the tie's dates), in
    batches with history rows and no model signals. A refused tie raises `RowInvalid`. Returns (created, updated)."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    keyed: list[Tie] = []
    for index, tie in enumerate(ties):
        if tie.person_a_id == tie.person_b_id:
            raise RowInvalid(index, ValidationError({"person_b": _("a tie joins two different people")}))
        if tie.start_date and tie.end_date and tie.end_date < tie.start_date:
            raise RowInvalid(index, ValidationError({"end_date": _("the end date is before the start date")}))
        if tie.kind not in DIRECTED_TIES and tie.person_b_id < tie.person_a_id:
            tie.person_a_id, tie.person_b_id = tie.person_b_id, tie.person_a_id
        try:
            tie.full_clean(exclude=["person_a", "person_b"], validate_unique=False)
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
        keyed.append(tie)
    existing = {
        (t.person_a_id, t.person_b_id, t.kind): t
        for t in Tie.objects.filter(
            person_a_id__in={t.person_a_id for t in keyed}, person_b_id__in={t.person_b_id for t in keyed}
        )
    }
    created, updated = [], []
    for tie in keyed:
        old = existing.get((tie.person_a_id, tie.person_b_id, tie.kind))
        if old is None:
            created.append(tie)
        else:
            old.start_date, old.end_date = tie.start_date, tie.end_date
            updated.append(old)
    if created:
        bulk_create_with_history(created, Tie, batch_size=1000, default_user=by)
    if updated:
        bulk_update_with_history(updated, Tie, ["start_date", "end_date"], batch_size=1000, default_user=by)
    changes.changed([Tie])
    return created, updated


@transaction.atomic
def stay_sessions_set(*, by: User | None, stay: Stay, sessions: Sequence[tuple[date, Any]]) -> Stay:
    """Record a virtual engagement as its sessions: the stay's dates and hours then follow from them."""
    from decimal import Decimal, InvalidOperation

    if stay.mode != Mode.VIRTUAL:
        raise ValidationError({"sessions": _("only virtual engagements are recorded as sessions")})
    if not sessions:
        raise ValidationError({"sessions": _("give at least one session")})
    rows = []
    for index, (day, hours) in enumerate(sessions, start=1):
        try:
            amount = Decimal(str(hours))
        except InvalidOperation:
            raise ValidationError({"sessions": _("session %(n)s: hours must be a number") % {"n": index}}) from None
        if not amount.is_finite() or amount <= 0 or amount > 24:
            raise ValidationError(
                {"sessions": _("session %(n)s: hours must be more than 0 and at most 24") % {"n": index}}
            )
        rows.append(StaySession(stay=stay, date=day, hours=amount))
    stay.sessions.all().delete()
    StaySession.objects.bulk_create(rows)
    stay.start_date = min(r.date for r in rows)
    stay.end_date = max(r.date for r in rows)
    stay.virtual_hours = sum((r.hours for r in rows), Decimal(0))
    record_save(stay, by=by, validate=False)
    people_refresh_stays(person_ids=[stay.person_id])
    stay.refresh_from_db()
    return stay
