from __future__ import annotations

from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.http import HttpRequest
from django.utils.translation import get_language_info

from healthlinks.registry.models import Partnership


def site(request: HttpRequest) -> dict[str, Any]:
    # One cheap query: pages carry a "synthetic data" banner while demo records exist.
    return {
        "has_synthetic_data": Partnership.objects.filter(is_synthetic=True).exists(),
        "language_choices": language_choices(),
    }


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself (Français, العربية), as the switcher shows them."""
    choices = []
    for code, name in settings.LANGUAGES:
        # A language Django does not describe (the test pseudo-locale) keeps its settings name.
        choices.append((code, get_language_info(code)["name_local"] if code in LANG_INFO else str(name)))
    return choices
