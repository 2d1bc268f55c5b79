"""Soft delete with restore for partnerships and people.

A deleted partnership or person keeps every row (stays, activities, history); registry.selectors and
network.selectors hide it from every role, hub administrators included, and with it the stays of a deleted
partnership or person. Only the hub administrators' page /ops/deleted/ lists deleted records and restores them.
Deleting and restoring are recorded in the record's history (who, when)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from healthlinks.accounts.models import User
from healthlinks.network.models import Person
from healthlinks.registry.models import Partnership


def _set(obj: models.Model, *, by: User | None, deleted: bool) -> None:
    if (obj.deleted_at is not None) == deleted:  # type: ignore[attr-defined]
        state = "already deleted" if deleted else "not deleted"
        raise ValidationError(f"{obj} is {state}")
    obj.deleted_at = timezone.now() if deleted else None  # type: ignore[attr-defined]
    obj._history_user = by  # type: ignore[attr-defined]
    obj._change_reason = "deleted" if deleted else "restored"  # type: ignore[attr-defined]
    obj.save(update_fields=["deleted_at", "updated_at"])


def _partnership(slug: str) -> Partnership:
    try:
        return Partnership.objects.select_for_update().get(slug=slug)
    except Partnership.DoesNotExist:
        raise ValidationError(f"no partnership with slug {slug!r}") from None


def _person(pseudo_id: str) -> Person:
    try:
        return Person.objects.select_for_update().get(pseudo_id=pseudo_id)
    except Person.DoesNotExist:
        raise ValidationError(f"no person with pseudonymous id {pseudo_id!r}") from None


@transaction.atomic
def partnership_delete(*, by: User | None, slug: str) -> Partnership:
    partnership = _partnership(slug)
    _set(partnership, by=by, deleted=True)
    return partnership


@transaction.atomic
def partnership_restore(*, by: User | None, slug: str) -> Partnership:
    partnership = _partnership(slug)
    _set(partnership, by=by, deleted=False)
    return partnership


@transaction.atomic
def person_delete(*, by: User | None, pseudo_id: str) -> Person:
    person = _person(pseudo_id)
    _set(person, by=by, deleted=True)
    return person


@transaction.atomic
def person_restore(*, by: User | None, pseudo_id: str) -> Person:
    person = _person(pseudo_id)
    _set(person, by=by, deleted=False)
    return person
