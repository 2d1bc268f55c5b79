from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """{{ dict|get_item:key }} (question paths contain '/', which template lookups cannot)."""
    if not isinstance(mapping, dict):
        return ""
    return mapping.get(key, "")
