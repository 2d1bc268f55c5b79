"""Typology (issue 6 §3): the published Edwards and Loh categories of each partnership, their distribution,
the Edwards combination resilient to staff mobility (training + infrastructure with generic skills), and a
data-driven grouping beside them.

The grouping: k-means (scipy kmeans2, fixed seed) on standardised features of each partnership with at
least one activity or stay: activity mix (share of each activity type), mobility profile (share of virtual
engagements, of repeat stays, of long-term placements, median stay length in days, log-scaled), geography
(North–South, South–South, multi-country) and size (log of people and of activities). k runs from 2 to 6
and the k with the best mean silhouette is kept. Each group is described by the features that set it apart
(largest standardised difference from the mean of all) and cross-tabulated against the Edwards
intervention category."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from scipy.cluster.vq import kmeans2
from scipy.spatial.distance import cdist

from healthlinks.activities.models import ActivityType
from healthlinks.analytics.engine import Snapshot
from healthlinks.network.models import continuum_bounds

# the engine's tables this analysis reads (engine.EXTRACT)
TABLES = ("activities", "partnerships", "stays")

DIMENSIONS = ("capacity_focus", "intervention", "skills", "delivery", "visiting_groups", "host_entities", "frequency")
MIN_FOR_GROUPING = 12
KINDS = [k for k, _label in ActivityType.choices]
GEOGRAPHY = ["north_south", "south_south", "multi_country"]


def _features(snap: Snapshot, ids: list[int]) -> tuple[list[int], list[str], np.ndarray]:
    long_term = continuum_bounds()[2]
    kinds = ", ".join(
        f"avg(CASE WHEN a.kind = '{k}' THEN 1.0 ELSE 0.0 END) AS \"{k}\""
        for k in KINDS  # noqa: S608 (our codes)
    )
    rows = snap.rows(
        f"""
        WITH scope AS (SELECT unnest(?::BIGINT[]) AS id),
        act AS (SELECT a.partnership_id, count(*) AS activities, {kinds} FROM activities a
                JOIN scope ON scope.id = a.partnership_id GROUP BY a.partnership_id),
        st AS (SELECT s.partnership_id, avg(CASE WHEN s.mode = 'virtual' THEN 1.0 ELSE 0.0 END) AS virtual_share,
                      avg(CASE WHEN s.repeat_index >= 2 THEN 1.0 ELSE 0.0 END) AS repeat_share,
                      avg(CASE WHEN s.mode = 'physical' AND s.duration_days >= {int(long_term)} THEN 1.0 ELSE 0.0 END)
                          AS long_term_share,
                      median(CASE WHEN s.mode = 'physical' THEN s.duration_days END) AS median_days,
                      count(DISTINCT s.person_id) AS people
               FROM stays s JOIN scope ON scope.id = s.partnership_id GROUP BY s.partnership_id)
        SELECT p.id, p.geography_class, coalesce(act.activities, 0) AS activities, st.*, act.*
        FROM partnerships p JOIN scope ON scope.id = p.id LEFT JOIN act ON act.partnership_id = p.id
        LEFT JOIN st ON st.partnership_id = p.id
        WHERE act.partnership_id IS NOT NULL OR st.partnership_id IS NOT NULL
        ORDER BY p.id""",  # noqa: S608 (integers and our own codes only)
        [ids],
    )
    names = (
        [f"activity: {k}" for k in KINDS]
        + ["virtual share", "repeat share", "long-term share", "median stay (log days)"]
        + [f"geography: {g}" for g in GEOGRAPHY]
        + ["size: log people", "size: log activities"]
    )
    matrix = []
    for r in rows:
        matrix.append(
            [float(r.get(k) or 0.0) for k in KINDS]
            + [float(r["virtual_share"] or 0), float(r["repeat_share"] or 0), float(r["long_term_share"] or 0)]
            + [math.log1p(float(r["median_days"] or 0))]
            + [1.0 if r["geography_class"] == g else 0.0 for g in GEOGRAPHY]
            + [math.log1p(float(r["people"] or 0)), math.log1p(float(r["activities"] or 0))]
        )
    return [r["id"] for r in rows], names, np.array(matrix, dtype=float)


def _silhouette(x: np.ndarray, labels: np.ndarray) -> float:
    distances = cdist(x, x)
    scores = []
    for i in range(len(x)):
        same = labels == labels[i]
        if same.sum() <= 1:
            scores.append(0.0)
            continue
        a = distances[i, same].sum() / (same.sum() - 1)
        b = min(distances[i, labels == k].mean() for k in set(labels.tolist()) if k != labels[i])
        scores.append((b - a) / max(a, b) if max(a, b) > 0 else 0.0)
    return float(np.mean(scores))


def grouping(snap: Snapshot, ids: list[int], published: dict[int, dict[str, Any]]) -> dict[str, Any]:
    pids, names, x = _features(snap, ids)
    if len(pids) < MIN_FOR_GROUPING:
        return {
            "groups": [],
            "k": None,
            "note": format_lazy(_("Too few partnerships with records to group ({n})."), n=len(pids)),
        }
    sd = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    # the silhouette is computed on a fixed random sample of at most 1,500 partnerships (it is quadratic)
    sample = np.random.default_rng(0).permutation(len(z))[:1500]
    best: tuple[float, int, np.ndarray] | None = None
    for k in range(2, min(6, len(pids) - 1) + 1):
        _centres, labels = kmeans2(z, k, seed=7, minit="++")
        if len(set(labels.tolist())) < k:
            continue
        score = _silhouette(z[sample], labels[sample])
        if best is None or score > best[0]:
            best = (score, k, labels)
    if best is None:
        return {"groups": [], "k": None, "note": "The records do not separate into groups."}
    score, k, labels = best
    groups = []
    for g in range(k):
        members = labels == g
        centre = z[members].mean(axis=0)
        order = np.argsort(-np.abs(centre))[:4]
        edwards = Counter(published[pids[i]]["intervention"] or "not recorded" for i in np.where(members)[0])
        groups.append(
            {
                "group": g + 1,
                "partnerships": int(members.sum()),
                "distinguished_by": [
                    {"feature": names[j], "direction": "higher" if centre[j] > 0 else "lower", "z": float(centre[j])}
                    for j in order
                ],
                "means": {names[j]: float(x[members, j].mean()) for j in range(len(names))},
                "edwards_intervention": dict(edwards.most_common()),
                "members": [published[pids[i]]["slug"] for i in np.where(members)[0]][:50],
            }
        )
    return {"groups": groups, "k": k, "silhouette": score, "note": ""}


def typology(snap: Snapshot, ids: list[int]) -> dict[str, Any]:
    rows = snap.rows(
        "SELECT p.* FROM partnerships p WHERE list_contains(?, p.id) ORDER BY p.name",
        [ids],
    )
    published = {r["id"]: r for r in rows}
    distribution = {d: dict(Counter(r[d] or "not recorded" for r in rows).most_common()) for d in DIMENSIONS}
    resilient = [r["slug"] for r in rows if r["intervention"] == "training_infrastructure" and r["skills"] == "generic"]
    return {
        "partnerships": len(rows),
        "distribution": distribution,
        "resilient": {"count": len(resilient), "share": len(resilient) / len(rows) if rows else None},
        "grouping": grouping(snap, ids, published),
    }
