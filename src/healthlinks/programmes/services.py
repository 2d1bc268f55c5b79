"""Writes to programmes: the programme, its partnerships, its targets and the DHIS2 mapping. Keyword-only,
atomic, validated, each with its author in the history. Permission checks are the callers' (views and API use
programmes.selectors.can_edit_programme / partnerships_addable_by)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from healthlinks.accounts.models import User
from healthlinks.programmes.models import Dhis2Mapping, Programme, ProgrammePartnership, ProgrammeTarget
from healthlinks.records import RowInvalid, record_delete, record_save
from healthlinks.registry.models import Partnership

PROGRAMME_FIELDS = {"name", "slug", "description", "funding_scheme", "funding_scheme_id", "period_start"}
PROGRAMME_FIELDS |= {"period_end", "currency"}


@transaction.atomic
def programme_save(*, by: User | None, programme: Programme | None = None, **fields: Any) -> Programme:
    """Create a programme (no `programme`) or change one: name, slug, description, funding scheme, period,
    currency."""
    unknown = set(fields) - PROGRAMME_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    programme = programme or Programme()
    for name, value in fields.items():
        setattr(programme, name, value)
    if isinstance(programme.currency, str):
        programme.currency = programme.currency.strip().upper()
    return record_save(programme, by=by)


@transaction.atomic
def programme_delete(*, by: User | None, programme: Programme) -> None:
    for target in programme.targets.all():
        record_delete(target, by=by)
    for membership in programme.memberships.all():
        record_delete(membership, by=by)
    record_delete(programme, by=by)


@transaction.atomic
def partnership_add(*, by: User | None, programme: Programme, partnership: Partnership) -> ProgrammePartnership:
    """Put a partnership in a programme (nothing changes if it is in already)."""
    row = ProgrammePartnership.objects.filter(programme=programme, partnership=partnership).first()
    if row is not None:
        return row
    if partnership.deleted_at is not None:
        raise ValidationError({"partnership": _("this partnership has been deleted")})
    return record_save(ProgrammePartnership(programme=programme, partnership=partnership), by=by)


@transaction.atomic
def partnership_remove(*, by: User | None, programme: Programme, partnership: Partnership) -> bool:
    """Take a partnership out of a programme; False if it was not in it."""
    row = ProgrammePartnership.objects.filter(programme=programme, partnership=partnership).first()
    if row is None:
        return False
    record_delete(row, by=by)
    return True


@transaction.atomic
def target_set(
    *,
    by: User | None,
    programme: Programme,
    library_code: str,
    period: str,
    target: Decimal | None,
    sex: str = "",
    cadre_id: str | None = None,
    country_id: str | None = None,
) -> ProgrammeTarget | None:
    """The target of one library indicator in one period (a year or a quarter), in total or for one sex, cadre
    or country; replaced if set already, removed when `target` is None."""
    existing = ProgrammeTarget.objects.filter(
        programme=programme,
        library_code=library_code,
        period=period,
        sex=sex or "",
        cadre_id=cadre_id or None,
        country_id=country_id or None,
    ).first()
    if target is None:
        if existing is not None:
            record_delete(existing, by=by)
        return None
    row = existing or ProgrammeTarget(
        programme=programme,
        library_code=library_code,
        period=period,
        sex=sex or "",
        cadre_id=cadre_id or None,
        country_id=country_id or None,
    )
    row.target = target
    return record_save(row, by=by)


@transaction.atomic
def target_delete(*, by: User | None, target: ProgrammeTarget) -> None:
    record_delete(target, by=by)


@transaction.atomic
def mapping_set(*, by: User | None, kind: str, key: str, uid: str) -> Dhis2Mapping | None:
    """The DHIS2 uid of one indicator, disaggregation or place; an empty uid removes the mapping."""
    key, uid = key.strip(), uid.strip()
    row = Dhis2Mapping.objects.filter(kind=kind, key=key).first()
    if not uid:
        if row is not None:
            record_delete(row, by=by)
        return None
    row = row or Dhis2Mapping(kind=kind, key=key)
    row.uid = uid
    return record_save(row, by=by, validate_unique=False)


@transaction.atomic
def mappings_import(*, by: User | None, text: str) -> int:
    """Set many mappings from CSV text with the columns kind,key,uid (header first). All or nothing: a bad row
    raises RowInvalid naming its row (1 = the first row after the header) and field."""
    reader = csv.DictReader(io.StringIO(text))
    missing = {"kind", "key", "uid"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(_("the file lacks the column(s) {names}").format(names=", ".join(sorted(missing))))
    count = 0
    for index, row in enumerate(reader, start=1):
        try:
            mapping_set(by=by, kind=(row["kind"] or "").strip(), key=row["key"] or "", uid=row["uid"] or "")
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
        count += 1
    return count


def parse_decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError({"target": _("{value} is not a number").format(value=value)}) from None
