"""`{% sent_once %}`: the hidden idempotency key of a form that works offline (see healthlinks.web.offline)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from healthlinks.web.offline import KEY, new_key

register = template.Library()


@register.simple_tag
def sent_once() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}" data-once>', KEY, new_key())
