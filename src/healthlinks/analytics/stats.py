"""Intervals and the rules for saying nothing when the data are too thin."""

from __future__ import annotations

import math
from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

Z95 = 1.959963984540054
MIN_N = 20  # fewer observations in a cell: no estimate shown
MIN_EVENTS = 5  # fewer successes or failures in a binary cell: no estimate shown


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def too_few(n: int) -> Any:
    """The note of an estimate not given, in the reader's language (lazy: results are cached, then read)."""
    return format_lazy(_("too few to say (n={n})"), n=n)


def proportion_row(label: Any, successes: int, n: int) -> dict[str, Any]:
    row: dict[str, Any] = {"group": label, "n": n, "events": successes}
    if n < MIN_N or min(successes, n - successes) < MIN_EVENTS:
        row.update(estimate=None, low=None, high=None, note=too_few(n))
        return row
    low, high = wilson(successes, n)
    row.update(estimate=successes / n, low=low, high=high, note="")
    return row


def mean_row(label: Any, n: int, mean: float | None, sd: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {"group": label, "n": n}
    if n < MIN_N or mean is None or sd is None or math.isnan(sd):
        row.update(estimate=None, low=None, high=None, note=too_few(n))
        return row
    half = Z95 * sd / math.sqrt(n)
    row.update(estimate=mean, low=mean - half, high=mean + half, note="")
    return row


def clean(value: Any) -> Any:
    """JSON-safe numbers (NaN and numpy scalars become None / Python numbers)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def cost_per_event(cost: float | None, events: int, n: int) -> dict[str, float | None]:
    """Cost per event (e.g. per trainee whose practice changed) with a 95% interval: the Wilson interval of the
    share of events among the n observed, carried through cost / (n × share) with the cost and n held fixed (the
    ratio falls as the share rises, so the bounds swap). No events: no estimate; a lower share bound of 0: no
    upper bound (None)."""
    if cost is None or not events or not n:
        return {"estimate": None, "low": None, "high": None}
    low_share, high_share = wilson(events, n)
    return {
        "estimate": float(cost) / events,
        "low": float(cost) / (n * high_share),
        "high": float(cost) / (n * low_share) if low_share > 0 else None,
    }
