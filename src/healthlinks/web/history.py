"""Change history (who, when, what) from django-simple-history records."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


def history_entries(obj: Any, limit: int = 30) -> list[dict[str, Any]]:
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries: list[dict[str, Any]] = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        if len(entries) >= limit:
            break
        changes = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older)
            changes = [
                {
                    "field": str(newer.instance._meta.get_field(c.field).verbose_name),
                    "old": _readable(c.old),
                    "new": _readable(c.new),
                }
                for c in delta.changes
            ]
        entries.append(
            {
                "when": newer.history_date,
                "who": newer.history_user.username if newer.history_user else _("system"),
                "action": ACTIONS.get(newer.history_type, newer.history_type),
                "changes": changes,
            }
        )
    return entries


def _readable(value: Any) -> Any:
    """Many-to-many changes come as rows of ids; show the related keys (e.g. specialty slugs)."""
    if isinstance(value, list):
        keys = [str(v) for row in value if isinstance(row, dict) for k, v in row.items() if k != "partnership"]
        return ", ".join(keys) or "—"
    return value
