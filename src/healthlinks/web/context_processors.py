from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from healthlinks.registry.models import Partnership


def site(request: HttpRequest) -> dict[str, Any]:
    # One cheap query: pages carry a "synthetic data" banner while demo records exist.
    return {"has_synthetic_data": Partnership.objects.filter(is_synthetic=True).exists()}
