"""Writes to the knowledge network. Derived stay fields are recomputed here, per person, on every change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from healthlinks import bulk, changes
from healthlinks.accounts.models import User
from healthlinks.network.models import (
    DIRECTED_TIES,
    STAY_CONDITIONS,
    Mode,
    Person,
    PersonalData,
    PersonRole,
    PersonRoleKind,
    Purpose,
    Stay,
    StaySession,
    Tie,
    TieKind,
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
        # a stay not yet written sorts after those that are, in the order given: as it will once it has its id
        group.sort(key=lambda s: (s.start_date, s.end_date, s.pk is None, s.pk or 0))
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
    *STAY_CONDITIONS,
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


def _chunks(ids: Iterable[Any], size: int = 500) -> Iterable[list[Any]]:
    """Ids a query's IN list at a time (SQLite limits the parameters of one query)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@transaction.atomic
def stays_save_many(
    *, by: User | None, stays: Sequence[Stay], role: str | None = PersonRoleKind.VOLUNTEER
) -> tuple[list[Stay], list[Stay]]:
    """Create or update many stays as `stay_create` and `stay_update` do one: the same validation, no overlapping
    physical stays of one person (within the batch or against stays recorded), history rows, derived fields
    computed over each person's stays. Each stay gives its person `role` (a volunteer, as `stay_create` does) in
    the stay's partnership; with `role=None` the person must hold a role there already (a demo world's people get
    theirs when created). Written in batches without model signals: the service says what changed
    (healthlinks.changes). A refused stay raises `RowInvalid` with its index; nothing is written. Returns
    (created, updated)."""
    if role is not None and role not in PersonRoleKind.values:
        raise ValidationError({"role": _("unknown role %(role)s") % {"role": role}})
    index_of = {id(stay): index for index, stay in enumerate(stays)}
    bulk.validate(stays, exclude=DERIVED_FIELDS)
    for index, stay in enumerate(stays):
        try:
            _stay_field_errors(stay)
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
    ids = {stay.pk for stay in stays if stay.pk}
    people = {s.person_id for s in stays}
    for some in _chunks(ids):  # a stay moved to another person changes the derived fields of the stays left behind
        people |= set(Stay.objects.filter(pk__in=some).values_list("person_id", flat=True))
    recorded = [
        stay
        for some in _chunks(people)
        for stay in Stay.objects.filter(person_id__in=some).select_related(
            "sending_institution__country", "host_institution__country"
        )
        if stay.pk not in ids
    ]
    for first, second in overlapping_pairs([*recorded, *stays]):
        if id(first) not in index_of and id(second) not in index_of:
            continue  # two recorded stays: not this batch's to refuse
        later, other = (second, first) if id(second) in index_of else (first, second)
        message = _("overlaps the physical stay %(other)s (%(start)s to %(end)s) of the same person") % {
            "other": other.external_id or other.pk,
            "start": other.start_date,
            "end": other.end_date,
        }
        raise RowInvalid(index_of[id(later)], ValidationError({"start_date": message}))
    if role is None:
        held = {
            pair
            for some in _chunks(people)
            for pair in PersonRole.objects.filter(person_id__in=some).values_list("person_id", "partnership_id")
        }
        for index, stay in enumerate(stays):
            if (stay.person_id, stay.partnership_id) not in held:
                message = _("this person has no role in the stay's partnership")
                raise RowInvalid(index, ValidationError({"person": message}))
    # derived fields over all stays of each person, in memory: the stays written carry them in their history rows,
    # and only the recorded stays whose derived fields change are updated
    prefetch_related_objects(list(stays), "sending_institution__country", "host_institution__country")
    before = {s.pk: tuple(getattr(s, f) for f in DERIVED_FIELDS) for s in recorded}
    derive_stay_fields([*recorded, *stays])
    shifted = [s for s in recorded if tuple(getattr(s, f) for f in DERIVED_FIELDS) != before[s.pk]]
    created = [s for s in stays if not s.pk]
    updated = [s for s in stays if s.pk]
    bulk.create(created, by=by)
    bulk.update(updated, sorted((STAY_FIELDS - {"external_id", "notes"}) | set(DERIVED_FIELDS)), by=by)
    if shifted:
        Stay.objects.bulk_update(shifted, DERIVED_FIELDS, batch_size=1000)
    if role is not None:
        roles_add(roles=[(s.person_id, s.partnership_id, role) for s in stays])
    changes.changed([Stay, PersonRole])
    return created, updated


def roles_add(*, roles: Iterable[tuple[int, int, str]]) -> None:
    """Give each (person id, partnership id, role) where the person does not hold that role there yet, in the order
    given (a role is a link, with no history of its own)."""
    wanted = list(dict.fromkeys(roles))
    if not wanted:
        return
    held: set[tuple[int, int, str]] = set()
    for some in _chunks(person for person, _partnership, _role in wanted):
        held.update(PersonRole.objects.filter(person_id__in=some).values_list("person_id", "partnership_id", "role"))
    PersonRole.objects.bulk_create(
        [PersonRole(person_id=p, partnership_id=q, role=r) for p, q, r in wanted if (p, q, r) not in held],
        ignore_conflicts=True,
        batch_size=1000,
    )


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
    """One person for `people_save_many`: the record's fields and their personal data, keyed by external id (a
    person without one is always new). `roles` are this person's own, besides those given to the whole batch.
    `pseudo_id` and `synthetic` are for generated worlds (deterministic pseudonymous ids for a seed, records
    marked synthetic); no form or file sets them."""

    external_id: str | None
    fields: dict[str, Any]
    personal: dict[str, str]
    roles: tuple[RoleSpec, ...] = ()
    pseudo_id: str = ""
    synthetic: bool = False


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
    validation (`full_clean`'s rules, checked in bulk), history rows for the person and their personal data, a
    role in each of `roles` and of the person's own. Rows are written in batches, which send no model signals:
    the service says what changed itself (healthlinks.changes). Returns (created, updated)."""
    for item in people:
        unknown = (set(item.fields) - PERSON_FIELDS) | (set(item.personal) - PERSONAL_FIELDS)
        if unknown:
            raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    external_ids = [i.external_id for i in people if i.external_id]
    existing: dict[str | None, Person] = {}
    for start in range(0, len(external_ids), 500):
        existing.update(
            (p.external_id, p)
            for p in Person.objects.filter(external_id__in=external_ids[start : start + 500]).select_related("personal")
        )
    created: list[Person] = []
    updated: list[Person] = []
    pairs: list[tuple[Person, PersonIn]] = []
    person_fields: set[str] = {"research_consent", "consent_date"}
    for index, item in enumerate(people):
        person = existing.get(item.external_id) if item.external_id else None
        if person is None:
            chosen = {"pseudo_id": item.pseudo_id} if item.pseudo_id else {}  # (else drawn at random)
            person = Person(external_id=item.external_id or None, is_synthetic=item.synthetic, **chosen)
        elif item.pseudo_id and item.pseudo_id != person.pseudo_id:
            message = _("a person's pseudonymous id never changes")
            raise PersonInvalid(index, ValidationError({"pseudo_id": message}))
        pairs.append((person, item))
        for name, value in item.fields.items():
            setattr(person, name, value)
            person_fields.add(name)
        _consent_dated(person)
        (updated if person.pk else created).append(person)
    # references and external ids are checked once for the batch (the caller's reader refuses repeated external
    # ids); pseudonymous ids given for new people, in one query
    try:
        bulk.validate([person for person, _item in pairs])
    except RowInvalid as exc:
        raise PersonInvalid(exc.index, exc) from None
    given: dict[str, int] = {}
    for index, (person, item) in enumerate(pairs):
        if item.pseudo_id and not person.pk:
            if item.pseudo_id in given:
                raise PersonInvalid(index, ValidationError({"pseudo_id": _("this pseudonymous id is given twice")}))
            given[item.pseudo_id] = index
    taken = sorted(given)
    for start in range(0, len(taken), 500):
        clash = Person.objects.filter(pseudo_id__in=taken[start : start + 500]).values_list("pseudo_id", flat=True)
        for pseudo_id in clash[:1]:
            message = _("this pseudonymous id is another person's")
            raise PersonInvalid(given[pseudo_id], ValidationError({"pseudo_id": message}))
    personal_existing: dict[int, PersonalData] = {}
    stored = [p.pk for p in updated]
    for start in range(0, len(stored), 500):
        personal_existing.update(
            (d.person_id, d) for d in PersonalData.objects.filter(person_id__in=stored[start : start + 500])
        )
    new_personal: list[PersonalData] = []
    changed_personal: list[PersonalData] = []
    rows_of_new: list[int] = []
    rows_of_changed: list[int] = []
    personal_fields: set[str] = set()
    for index, (person, item) in enumerate(pairs):
        if not item.personal:
            continue
        data = personal_existing.get(person.pk) if person.pk else None
        if data is not None and all(getattr(data, k) == (v or "") for k, v in item.personal.items()):
            continue  # unchanged: no history row
        if data is None:
            data = PersonalData(person=person)
            new_personal.append(data)
            rows_of_new.append(index)
        else:
            changed_personal.append(data)
            rows_of_changed.append(index)
        for name, value in item.personal.items():
            setattr(data, name, value or "")
            personal_fields.add(name)
    try:
        bulk.validate(new_personal, exclude=["person"], rows=rows_of_new)
        bulk.validate(changed_personal, exclude=["person"], rows=rows_of_changed)
    except RowInvalid as exc:
        raise PersonInvalid(exc.index, exc) from None
    bulk.create(created, by=by)
    bulk.update(updated, sorted(f for f in person_fields if f != "external_id"), by=by)
    bulk.create(new_personal, by=by)  # their people have their ids now
    bulk.update(changed_personal, sorted(personal_fields), by=by)
    roles_add(roles=[(p.pk, spec.partnership_id, spec.role) for p, item in pairs for spec in (*roles, *item.roles)])
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
def coauthor_ties_save(*, by: User | None, people: Sequence[Person], year: int | None, source: str) -> list[Tie]:
    """Co-author ties between every pair of these people (the authors of one publication found in the registry):
    one tie per pair, however many publications they share, so saving the same publication again adds nothing.
    A new tie starts on 1 January of the publication year; an existing one keeps its source and starts earlier
    if this publication is older. Returns the ties created or changed (each with its history row)."""
    unique = list({p.pk: p for p in people}.values())
    started = date(year, 1, 1) if year else None
    saved = []
    for i, first in enumerate(unique):
        for second in unique[i + 1 :]:
            a, b = tie_key(first, second, TieKind.CO_AUTHORS)
            tie = Tie.objects.filter(person_a=a, person_b=b, kind=TieKind.CO_AUTHORS).first()
            if tie is None:
                tie = Tie(person_a=a, person_b=b, kind=TieKind.CO_AUTHORS, start_date=started, source=source[:200])
            elif started and (tie.start_date is None or started < tie.start_date):
                tie.start_date = started
            else:
                continue
            saved.append(record_save(tie, by=by, validate_unique=False))
    return saved


@transaction.atomic
def tie_delete(*, by: User | None, tie: Tie) -> None:
    record_delete(tie, by=by)


BULK_STAY_FIELDS = {"funding"}


@transaction.atomic
def stays_set(*, by: User | None, stays: Sequence[Stay], **fields: Any) -> int:
    """Set the same fields on many stays at once (a bulk action): each stay validated as `stay_update` does
    (`bulk.validate`: a refused stay raises `RowInvalid` with its index and field, nothing written), written with
    one '~' history row per stay by `by` (`bulk.update`), all in one transaction. Returns the number of stays
    changed."""
    unknown = set(fields) - BULK_STAY_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set on many stays at once") for name in sorted(unknown)})
    for stay in stays:
        for name, value in fields.items():
            setattr(stay, name, value)
    bulk.validate(stays, exclude=[*DERIVED_FIELDS, *STAY_REFERENCES])
    bulk.update(list(stays), sorted(fields), by=by)
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
def stays_conditions_save_many(*, by: User | None, stays: Sequence[Stay]) -> int:
    """Write the enabling conditions (STAY_CONDITIONS: yes, no or None for unknown) of many recorded stays, each
    with its history row; nothing else of the stays changes. Returns the number written."""
    for stay in stays:
        for name in STAY_CONDITIONS:
            if getattr(stay, name) not in (True, False, None):
                raise ValidationError({name: _("a condition is yes, no or unknown")})
    bulk.update(list(stays), list(STAY_CONDITIONS), by=by)
    changes.changed([Stay])
    return len(stays)


@transaction.atomic
def people_set(*, by: User | None, people: Sequence[Person], **fields: Any) -> int:
    """Set the same fields on many people at once (a bulk action): each person validated, one history row per
    person, all in one transaction. Returns the number of people changed."""
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
    bulk.update(list(people), sorted(fields), by=by)  # updated_at is stamped as save stamps it
    changes.changed([Person])
    return len(people)


@transaction.atomic
def people_soft_delete(*, by: User | None, people: Sequence[Person], deleted: bool = True) -> list[str]:
    """Delete (or, `deleted=False`, restore) many people the soft way: every row they have stays, every page and
    analysis stops counting them, and `people_soft_delete(..., deleted=False)` brings them back as they were.
    One history row per person ("deleted"/"restored"). Returns their pseudonymous ids (what undo takes)."""
    now = timezone.now()
    for person in people:
        if (person.deleted_at is not None) == deleted:
            state = _("already deleted") if deleted else _("not deleted")
            raise ValidationError(_("%(person)s is %(state)s") % {"person": person.pseudo_id, "state": state})
        person.deleted_at = now if deleted else None
        person.updated_at = now
    bulk.update(list(people), ["deleted_at"], by=by, reason="deleted" if deleted else "restored")
    changes.changed([Person, Stay])
    return [p.pseudo_id for p in people]


@transaction.atomic
def ties_save_many(*, by: User | None, ties: Sequence[Tie]) -> tuple[list[Tie], list[Tie]]:
    """Create or update many ties as `tie_save` does one (the same pair and kind updates the tie's dates), in
    batches with history rows and no model signals. A refused tie (or one given twice) raises `RowInvalid`.
    Returns (created, updated)."""
    bulk.references_resolved(ties)
    seen: set[tuple[int, int, str]] = set()
    for index, tie in enumerate(ties):
        if tie.person_a_id == tie.person_b_id:
            raise RowInvalid(index, ValidationError({"person_b": _("a tie joins two different people")}))
        if tie.start_date and tie.end_date and tie.end_date < tie.start_date:
            raise RowInvalid(index, ValidationError({"end_date": _("the end date is before the start date")}))
        if tie.kind not in DIRECTED_TIES and tie.person_b_id < tie.person_a_id:
            tie.person_a_id, tie.person_b_id = tie.person_b_id, tie.person_a_id  # (bulk.validate drops the
            # related people cached the other way round)
        key = (tie.person_a_id, tie.person_b_id, tie.kind)
        if key in seen:
            raise RowInvalid(index, ValidationError({"person_b": _("this tie is given twice")}))
        seen.add(key)
    bulk.validate(ties)
    existing: dict[tuple[int, int, str], Tie] = {}
    firsts = sorted({t.person_a_id for t in ties})
    for start in range(0, len(firsts), 500):
        existing.update(
            ((t.person_a_id, t.person_b_id, t.kind), t)
            for t in Tie.objects.filter(person_a_id__in=firsts[start : start + 500])
        )
    created, updated = [], []
    for tie in ties:
        old = existing.get((tie.person_a_id, tie.person_b_id, tie.kind))
        if old is None:
            created.append(tie)
        else:
            old.start_date, old.end_date = tie.start_date, tie.end_date
            updated.append(old)
    bulk.create(created, by=by)
    bulk.update(updated, ["start_date", "end_date"], by=by)
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
