"""Partnership health against outcomes: each partnership's Principles of Partnership health-check score (the mean
of every principle's 1-5 score in its latest self-assessment by each side, or by both together) beside its share of
trainees whose practice changed at follow-up (L3), across the partnerships in scope.

Only partnerships whose share passes the small-numbers rule (stats.enough) are compared; the association is
Pearson's correlation with a 95% interval (Fisher's z) and the least-squares slope in percentage points per point
of score, both said in words with n. It is an association across partnerships, not an effect: partnerships that
assess themselves well may differ in many other ways."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Count, Q

from healthlinks.analytics import stats

MIN_PARTNERSHIPS = 10  # fewer partnerships with both figures: no correlation is given


def _scores(ids: list[int]) -> dict[int, float]:
    """partnership id -> mean score of the latest assessment of each side (or of both sides together)."""
    from healthlinks.registry.models import PrinciplesAssessment

    latest: dict[tuple[int, int | None], dict[str, Any]] = {}
    rows = PrinciplesAssessment.objects.filter(partnership_id__in=ids).order_by("assessed_on", "pk")
    for partnership_id, side_id, scores in rows.values_list("partnership_id", "side_id", "scores"):
        latest[(partnership_id, side_id)] = scores or {}
    values: dict[int, list[int]] = {}
    for (partnership_id, _side), scores in latest.items():
        values.setdefault(partnership_id, []).extend(int(v) for v in scores.values())
    return {p: sum(v) / len(v) for p, v in values.items() if v}


def _practice(ids: list[int], year_from: int | None, year_to: int | None) -> dict[int, tuple[int, int]]:
    """partnership id -> (trainees whose practice changed, trainees followed up) from the L3 outcomes."""
    from healthlinks.activities.models import Outcome

    qs = Outcome.objects.filter(activity__partnership_id__in=ids, level=3, practice_changed__isnull=False)
    if year_from is not None:
        qs = qs.filter(activity__end_date__year__gte=year_from)
    if year_to is not None:
        qs = qs.filter(activity__end_date__year__lte=year_to)
    rows = qs.values("activity__partnership_id").annotate(
        n=Count("id"), changed=Count("id", filter=Q(practice_changed=True))
    )
    return {r["activity__partnership_id"]: (int(r["changed"]), int(r["n"])) for r in rows}


def association(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Pearson's r with its 95% interval and the slope (share per point of score), or None below MIN_PARTNERSHIPS
    or without spread."""
    n = len(points)
    if n < MIN_PARTNERSHIPS:
        return None
    xs, ys = [p["score"] for p in points], [p["share"] for p in points]
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    if sxx == 0 or syy == 0:
        return None
    r = max(-0.999999, min(0.999999, sxy / math.sqrt(sxx * syy)))
    z, half = math.atanh(r), stats.Z95 / math.sqrt(n - 3)
    return {"n": n, "r": r, "r_low": math.tanh(z - half), "r_high": math.tanh(z + half), "slope": sxy / sxx}


def health_and_outcomes(ids: list[int], year_from: int | None = None, year_to: int | None = None) -> dict[str, Any]:
    scores = _scores(ids)
    practice = _practice(ids, year_from, year_to)
    points, left_out = [], 0
    for partnership_id, score in scores.items():
        changed, n = practice.get(partnership_id, (0, 0))
        if not stats.enough(n, changed):
            left_out += 1
            continue
        points.append({"partnership_id": partnership_id, "score": score, "share": changed / n, "n": n})
    return {
        "assessed": len(scores),
        "left_out": left_out,
        "points": points,
        "association": association(points),
        "min_partnerships": MIN_PARTNERSHIPS,
    }
