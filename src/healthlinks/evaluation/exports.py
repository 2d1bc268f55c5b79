"""Responses as one flat table: one row per response, one column per question (group path), repeats flattened
as `path[1]`, `path[2]`… (the Kobo/Ona CSV layout, so an export imports back); select_multiple answers as
space-separated codes (or labels joined by '; '). Researchers' exports omit free-text answers and the person."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from healthlinks.evaluation import selectors
from healthlinks.evaluation.models import Instrument
from healthlinks.registry.selectors import AnyUser

META = ["_uuid", "_submission_time", "_source", "_partnership", "_institution"]


def response_table(instrument: Instrument, user: AnyUser, *, labels: bool = False) -> tuple[list[str], list[list[Any]]]:
    responses = (
        selectors.responses_visible_to(user)
        .filter(instrument=instrument)
        .select_related("partnership", "institution")
        .order_by("submitted_at", "pk")
    )
    answers = (
        selectors.answers_visible_to(user, responses)
        .select_related("question")
        .order_by("question__order", "repeat_index", "pk")
    )
    choice_labels = {(c.list_name, c.name): c.label for c in instrument.choices.all()}
    hidden = set() if selectors.sees_free_text(user) else selectors.REDACTED_TYPES
    questions = [
        q
        for q in instrument.questions.order_by("order")
        if q.type not in ("group", "repeat", "note")
        and q.type not in hidden
        and (q.name not in selectors.REDACTED_NAMES or not hidden)
    ]
    cells: dict[int, dict[tuple[int, int], list[str]]] = defaultdict(lambda: defaultdict(list))
    max_index: dict[int, int] = defaultdict(int)
    for a in answers:
        value = (
            choice_labels.get((a.question.list_name, a.value), a.value) if labels and a.question.list_name else a.value
        )
        cells[a.response_id][(a.question_id, a.repeat_index)].append(value)
        max_index[a.question_id] = max(max_index[a.question_id], a.repeat_index)
    columns = list(META)
    keys: list[tuple[int, int]] = []
    for q in questions:
        if q.in_repeat:
            for i in range(1, max(max_index[q.pk], 1) + 1):
                columns.append(q.path.replace(q.repeat_path, f"{q.repeat_path}[{i}]", 1))
                keys.append((q.pk, i))
        else:
            columns.append(q.path)
            keys.append((q.pk, 0))
    rows = []
    joiner = "; " if labels else " "
    for r in responses:
        mine = cells.get(r.pk, {})
        rows.append(
            [
                r.uuid,
                r.submitted_at.isoformat(),
                r.source,
                r.partnership.slug if r.partnership else "",
                r.institution.name if r.institution else "",
                *[joiner.join(mine.get(k, [])) for k in keys],
            ]
        )
    return columns, rows
