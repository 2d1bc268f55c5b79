"""Reads of interviews, always scoped through registry.selectors.

Who sees what:
  full transcripts, speakers and memos   the partnership's members and coordinators, hub admins
  coded segments (code + passage text)   the above, and researchers for partnerships that are not drafts,
                                         without speaker labels, roles or descriptions, the source title or memos
  public                                  nothing

Analysis definitions:
  frequency       number of segments of a code, and number of distinct sources it was applied in
  co-occurrence   "overlap": two codes co-occur once for every pair of their segments in the same source whose
                  spans share at least one character (a.start < b.end and b.start < a.end);
                  "source": the number of sources in which both codes were applied anywhere.
                  The diagonal holds each code's own count (segments, or sources).
  grouping        partnership: the source's partnership; role: the role of the speaker the segment belongs to
                  (the speaker whose turn, "Label:" at the start of a line, the segment starts in);
                  country: that speaker's country, else the source institution's country.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import combinations
from typing import Any

from django.db.models import Count, Q, QuerySet

from healthlinks.accounts.models import Role
from healthlinks.interviews.models import Code, Memo, Segment, Source, SpeakerRole
from healthlinks.registry.models import AccessRole, PartnershipAccess, Publication
from healthlinks.registry.selectors import AnyUser, can_add_shared_records, is_hub_admin

NOT_RECORDED = "not recorded"


def member_partnership_ids(user: AnyUser) -> QuerySet[Any] | None:
    """Partnerships whose transcripts the user may read; None means all (hub admin)."""
    if is_hub_admin(user):
        return None
    return PartnershipAccess.objects.filter(
        user_id=user.pk if user.is_authenticated else -1,
        role__in=[AccessRole.MEMBER, AccessRole.COORDINATOR],
    ).values("partnership_id")


def sources_readable_by(user: AnyUser) -> QuerySet[Source]:
    qs = Source.objects.select_related("partnership", "institution__country")
    ids = member_partnership_ids(user)
    return qs if ids is None else qs.filter(partnership_id__in=ids)


def sources_editable_by(user: AnyUser) -> QuerySet[Source]:
    if is_hub_admin(user):
        return Source.objects.all()
    if not user.is_authenticated:
        return Source.objects.none()
    return Source.objects.filter(
        partnership_id__in=PartnershipAccess.objects.filter(user_id=user.pk, role=AccessRole.COORDINATOR).values(
            "partnership_id"
        )
    )


def can_read_source(user: AnyUser, source: Source) -> bool:
    return sources_readable_by(user).filter(pk=source.pk).exists()


def can_code(user: AnyUser, source: Source) -> bool:
    """Members, coordinators and hub admins code the partnership's transcripts and write memos."""
    return can_read_source(user, source)


def is_researcher(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "role", None) == Role.RESEARCHER)


def can_edit_codebook(user: AnyUser) -> bool:
    """The codebook is shared by all partnerships: hub admins and coordinators edit it."""
    return can_add_shared_records(user)


def can_add_sources(user: AnyUser) -> bool:
    return is_hub_admin(user) or (
        user.is_authenticated
        and PartnershipAccess.objects.filter(user_id=user.pk, role=AccessRole.COORDINATOR).exists()
    )


def segments_visible_to(user: AnyUser) -> QuerySet[Segment]:
    if not user.is_authenticated:
        return Segment.objects.none()
    ids = member_partnership_ids(user)
    if ids is None:
        return Segment.objects.all()
    visible = Q(source__partnership_id__in=ids)
    if is_researcher(user):
        visible |= ~Q(source__partnership__publication=Publication.DRAFT)
    return Segment.objects.filter(visible)


def readable_partnership_set(user: AnyUser) -> set[int] | None:
    ids = member_partnership_ids(user)
    return None if ids is None else set(ids.values_list("partnership_id", flat=True))


def code_counts(user: AnyUser) -> dict[int, int]:
    """Segments per code id among the segments the user may see."""
    rows = segments_visible_to(user).values("code_id").annotate(n=Count("id")).values_list("code_id", "n")
    return {code_id: n for code_id, n in rows}


def memos_visible_to(user: AnyUser) -> QuerySet[Memo]:
    ids = member_partnership_ids(user)
    qs = Memo.objects.select_related("author")
    return qs if ids is None else qs.filter(partnership_id__in=ids)


def codebook() -> list[tuple[Code, int]]:
    """Every code with its depth, in tree order (parents before children, siblings by name)."""
    codes = list(Code.objects.all().order_by("name", "pk"))
    children: dict[int | None, list[Code]] = defaultdict(list)
    for code in codes:
        children[code.parent_id].append(code)
    out: list[tuple[Code, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for code in children.get(parent, []):
            out.append((code, depth))
            walk(code.pk, depth + 1)

    walk(None, 0)
    return out


def filter_segments(
    segments: QuerySet[Segment], *, partnership: str = "", role: str = "", country: str = ""
) -> QuerySet[Segment]:
    if partnership:
        segments = segments.filter(source__partnership__slug=partnership)
    if role:
        segments = (
            segments.filter(speaker__isnull=True) if role == NOT_RECORDED else segments.filter(speaker__role=role)
        )
    if country:
        segments = segments.filter(
            Q(speaker__country_id=country.upper())
            | Q(speaker__country__isnull=True, source__institution__country_id=country.upper())
        )
    return segments


def _rows(segments: QuerySet[Segment]) -> list[dict[str, Any]]:
    return list(
        segments.values(  # type: ignore[arg-type]
            "id",
            "code_id",
            "source_id",
            "start",
            "end",
            "source__partnership__name",
            "speaker__role",
            "speaker__country_id",
            "source__institution__country_id",
        )
    )


def _group(row: dict[str, Any], by: str) -> str:
    if by == "partnership":
        return str(row["source__partnership__name"])
    if by == "role":
        role = row["speaker__role"]
        return str(SpeakerRole(role).label) if role else NOT_RECORDED
    if by == "country":
        return row["speaker__country_id"] or row["source__institution__country_id"] or NOT_RECORDED
    return ""


def code_frequencies(segments: QuerySet[Segment], by: str = "") -> list[dict[str, Any]]:
    """Per code (and group when `by` is partnership, role or country): segments and distinct sources."""
    names = dict(Code.objects.values_list("id", "name"))
    counts: Counter[tuple[int, str]] = Counter()
    sources: dict[tuple[int, str], set[int]] = defaultdict(set)
    for row in _rows(segments):
        key = (row["code_id"], _group(row, by))
        counts[key] += 1
        sources[key].add(row["source_id"])
    out = [
        {"code_id": code_id, "code": names[code_id], "group": group, "segments": n, "sources": len(sources[key])}
        for key, n in counts.items()
        for code_id, group in [key]
    ]
    return sorted(out, key=lambda r: (-r["segments"], r["code"], r["group"]))


def co_occurrence(segments: QuerySet[Segment], mode: str = "overlap") -> dict[str, Any]:
    """Symmetric code x code matrix (see the module docstring for the two definitions)."""
    names = dict(Code.objects.values_list("id", "name"))
    rows = _rows(segments)
    matrix: Counter[tuple[int, int]] = Counter()
    if mode == "source":
        by_source: dict[int, set[int]] = defaultdict(set)
        for row in rows:
            by_source[row["source_id"]].add(row["code_id"])
        for codes in by_source.values():
            for code in codes:
                matrix[(code, code)] += 1
            for a, b in combinations(sorted(codes), 2):
                matrix[(a, b)] += 1
                matrix[(b, a)] += 1
    else:
        per_source: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            matrix[(row["code_id"], row["code_id"])] += 1
            per_source[row["source_id"]].append(row)
        for items in per_source.values():
            items.sort(key=lambda r: r["start"])
            for i, first in enumerate(items):
                for second in items[i + 1 :]:
                    if second["start"] >= first["end"]:
                        break
                    if first["code_id"] != second["code_id"]:
                        matrix[(first["code_id"], second["code_id"])] += 1
                        matrix[(second["code_id"], first["code_id"])] += 1
    used = sorted({a for a, _b in matrix}, key=lambda c: names[c])
    return {
        "codes": [{"id": c, "name": names[c]} for c in used],
        "matrix": [[matrix.get((a, b), 0) for b in used] for a in used],
        "cells": [{"a": names[a], "b": names[b], "n": matrix.get((a, b), 0)} for a in used for b in used],
        "mode": mode,
    }


def segments_for_code(user: AnyUser, code: Code, *, include_children: bool = False) -> list[dict[str, Any]]:
    """Every visible segment of a code with its text; speakers and source titles only for transcript readers."""
    ids = [code.pk]
    if include_children:
        frontier = [code.pk]
        while frontier:
            frontier = list(Code.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
    segments = (
        segments_visible_to(user)
        .filter(code_id__in=ids)
        .select_related("source__partnership", "speaker", "code")
        .order_by("source__partnership__name", "source_id", "start")
    )
    readable = readable_partnership_set(user)
    out = []
    for s in segments:
        full = readable is None or s.source.partnership_id in readable
        out.append(
            {
                "segment": s,
                "code": s.code.name,
                "text": s.text,
                "partnership": s.source.partnership,
                "source": s.source if full else None,
                "source_ref": s.source.reference,
                "speaker": str(s.speaker) if full and s.speaker else "",
            }
        )
    return out
