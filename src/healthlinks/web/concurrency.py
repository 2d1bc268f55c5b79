"""No lost updates in web edit forms: a form carries the version of the record it was opened at (its latest history
row), and a save against a record that changed meanwhile is merged, never written over.

On such a save (`merge_stale`), field by field against the version the form was opened at:
- changed only by the other person: their value is kept (put into the form);
- changed only by this user: theirs is kept;
- changed by both to different values: a conflict. Nothing is saved: the form comes back with this user's values,
  the conflicting fields marked, who changed what listed, and the current version, so that saving again keeps
  this user's values (after they have seen the other's), and a link reloads the record as it now is.
Without conflicts the merged values are saved and the page says whose changes were kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext as _

VERSION_FIELD = "version"


@dataclass(frozen=True)
class Change:
    who: str
    when: datetime
    fields: list[str]


@dataclass
class Stale:
    """What happened since the form was opened."""

    version: str  # the record's version now
    changes: list[Change] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # form field names changed by both
    kept: list[str] = field(default_factory=list)  # labels of fields whose newer value was taken into the form


def record_version(obj: models.Model | None) -> str:
    if obj is None or obj.pk is None:
        return ""
    latest = obj.history.order_by("-history_id").values_list("history_id", flat=True).first()  # type: ignore[attr-defined]
    return str(latest or "")


def _plain(value: Any) -> Any:
    """A foreign key as its id (model_to_dict gives ids, a cleaned form instances); many-to-many fields are not
    merged (_concrete)."""
    return value.pk if isinstance(value, models.Model) else value


def _concrete(form: forms.ModelForm, name: str) -> bool:
    model = form._meta.model
    try:
        f = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 (a form field that is no model field)
        return False
    return f.concrete and not f.many_to_many


def _changes(obj: models.Model, since: int) -> list[Change]:
    records = list(obj.history.filter(history_id__gte=since).order_by("history_id"))  # type: ignore[attr-defined]
    out = []
    for previous, record in zip(records, records[1:], strict=False):
        diff = record.diff_against(previous)
        names = [str(getattr(obj._meta.get_field(c.field), "verbose_name", c.field)) for c in diff.changes]
        if names:
            who = record.history_user.get_username() if record.history_user else _("an import or a script")
            out.append(Change(who=who, when=record.history_date, fields=names))
    return out


def merge_stale(form: forms.ModelForm, obj: models.Model, posted: QueryDict) -> tuple[QueryDict, Stale | None]:
    """The form data to use for a save of `obj` posted from a form opened at `posted["version"]`: unchanged when the
    record is still at that version; else merged (see the module's docstring), with what happened."""
    opened, current = posted.get(VERSION_FIELD, ""), record_version(obj)
    if not opened or opened == current or not opened.isdigit():
        return posted, None
    base_record = obj.history.filter(history_id=int(opened)).first()  # type: ignore[attr-defined]
    stale = Stale(version=current, changes=_changes(obj, int(opened)))
    if base_record is None:  # a version of another record: treat every field as changed by both
        return posted, stale
    base, theirs = forms.models.model_to_dict(base_record.instance), forms.models.model_to_dict(obj)
    mine_form = type(form)(posted, instance=type(obj)._default_manager.get(pk=obj.pk))
    mine_form.is_valid()
    mine = getattr(mine_form, "cleaned_data", {})
    data = posted.copy()
    for name, form_field in form.fields.items():
        if not _concrete(form, name) or name not in base or name not in theirs or name not in mine:
            continue
        b, t, m = _plain(base[name]), _plain(theirs[name]), _plain(mine[name])
        if t == b or m == t:
            continue  # only this user changed it, or both made the same change
        if m == b:  # only the other person changed it: keep their value
            if isinstance(form_field.widget, forms.CheckboxInput):
                if t:
                    data[name] = "on"
                else:
                    data.pop(name, None)
            else:
                data[name] = "" if t is None else str(form_field.prepare_value(t))
            stale.kept.append(str(form_field.label))
        else:
            stale.conflicts.append(name)
    data[VERSION_FIELD] = current
    return data, stale
