"""The web form of an instrument: its fields in order and the server-side check of a submission.

`relevant` and `constraint` are evaluated with evaluation.expressions on both sides: the browser walks the same
parsed tree (data-relevant / data-constraint attributes, static/healthlinks/survey.js), and the server re-checks
everything here (a submission never trusts the browser). Questions in a repeat are asked per instance in the
web form, with "add another" (one level of repeats). Types other than text, integer, decimal, date,
select_one, select_multiple and note are not shown."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import lazy

from healthlinks.evaluation import expressions
from healthlinks.evaluation.models import Instrument, Question
from healthlinks.evaluation.services import AnswerIn, Normalised, normalise
from healthlinks.evaluation.xlsform import WEB_TYPES

MAX_INSTANCES = 100
# What a form records by itself (no one is asked): never shown. Any other type the web form cannot ask (a photo,
# a location, a barcode…) is announced where it stands, so the questions keep their order and nothing is
# silently skipped.
SILENT_TYPES = {
    "calculate", "hidden", "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
    "username", "email", "audit", "background-audio", "start-geopoint", "xml-external", "csv-external",
}  # fmt: skip


@dataclass
class Field:
    q: Question
    depth: int
    choices: list[tuple[str, str]] = field(default_factory=list)
    relevant_json: str = ""
    constraint_json: str = ""
    choice_filter_json: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # choice code -> its columns (JSON), for the filter
    kind: str = ""  # open_group / close_group / question / not_asked (a type only ODK Collect or Enketo asks)

    @property
    def html_name(self) -> str:
        return self.q.path


def _tree(text: str, *, columns: bool = False) -> list[Any] | None:
    if not text:
        return None
    try:
        return expressions.parse(text, columns=columns)
    except expressions.UnsupportedExpression:
        return None


def form_fields(instrument: Instrument) -> list[Field]:
    """Fields in order; every group or repeat is an open_group ... close_group pair (close carries the group)."""
    choices: dict[str, list[tuple[str, str]]] = {}
    columns: dict[str, dict[str, str]] = {}
    for c in instrument.choices.all():
        # the label is read when the page is written: in the form language chosen there (models.FORM_LANGUAGE)
        choices.setdefault(c.list_name, []).append((c.name, lazy(lambda c=c: c.local_label, str)()))
        if c.columns:
            columns.setdefault(c.list_name, {})[c.name] = json.dumps(c.columns)
    out: list[Field] = []
    open_groups: list[Question] = []
    for q in instrument.questions.order_by("order"):
        while open_groups and not q.path.startswith(open_groups[-1].path + "/"):
            out.append(Field(q=open_groups.pop(), depth=len(open_groups), kind="close_group"))
        if q.type not in WEB_TYPES:
            if q.type not in SILENT_TYPES and (q.label or q.labels):
                out.append(Field(q=q, depth=len(open_groups), kind="not_asked"))
            continue
        relevant = _tree(q.relevant)
        constraint = _tree(q.constraint)
        choice_filter = _tree(q.choice_filter, columns=True)
        out.append(
            Field(
                q=q,
                depth=len(open_groups),
                choices=choices.get(q.list_name, []),
                relevant_json=json.dumps(relevant) if relevant else "",
                constraint_json=json.dumps(constraint) if constraint else "",
                choice_filter_json=json.dumps(choice_filter) if choice_filter else "",
                columns=columns.get(q.list_name, {}) if choice_filter else {},
                kind="open_group" if q.type in ("group", "repeat") else "question",
            )
        )
        if q.type in ("group", "repeat"):
            open_groups.append(q)
    while open_groups:
        out.append(Field(q=open_groups.pop(), depth=len(open_groups), kind="close_group"))
    return out


def instance_key(q: Question, index: int) -> str:
    """The posted field name of a question in repeat instance `index` (instance 1 keeps the plain path)."""
    if not q.in_repeat or index <= 1:
        return q.path
    return q.repeat_path + f"[{index}]" + q.path[len(q.repeat_path) :]


def _instances(repeat_path: str, data: dict[str, list[str]]) -> list[int]:
    found = {1}
    pattern = re.compile(re.escape(repeat_path) + r"\[(\d+)\]/")
    for key in data:
        m = pattern.match(key)
        if m and 1 <= int(m.group(1)) <= MAX_INSTANCES:
            found.add(int(m.group(1)))
    return sorted(found)


def check_submission(
    instrument: Instrument, data: dict[str, list[str]]
) -> tuple[list[AnswerIn], dict[str, str], dict[str, str]]:
    """(answers to store, errors by posted field name, top-level raw values by question name) for a posted form.

    Inside a repeat instance, ${name} of a question of the same repeat means that instance's answer."""
    questions = list(instrument.questions.order_by("order"))
    codes: dict[str, set[str]] = {}
    columns: dict[tuple[str, str], dict[str, str]] = {}
    for list_name, code, cols in instrument.choices.values_list("list_name", "name", "columns"):
        codes.setdefault(list_name, set()).add(code)
        columns[(list_name, code)] = cols or {}
    asked = [q for q in questions if q.type in WEB_TYPES and q.type not in ("group", "repeat", "note")]
    repeat_names: dict[str, set[str]] = {}
    for q in asked:
        if q.in_repeat:
            repeat_names.setdefault(q.repeat_path, set()).add(q.name)
    instances = {path: _instances(path, data) for path in repeat_names}
    # values[(repeat path, instance)][name]; the top level is ("", 0)
    values: dict[tuple[str, int], dict[str, str]] = {("", 0): {}}
    for q in asked:
        for n in instances.get(q.repeat_path, [1]) if q.in_repeat else [0]:
            ctx = (q.repeat_path, n) if q.in_repeat else ("", 0)
            posted = data.get(instance_key(q, n), [])
            values.setdefault(ctx, {})[q.name] = " ".join(v.strip() for v in posted if v.strip())

    def lookup_in(ctx: tuple[str, int]) -> Callable[[str], str]:
        def lookup(name: str) -> str:
            if ctx[0] and name in repeat_names.get(ctx[0], set()):
                return values[ctx].get(name, "")
            return values[("", 0)].get(name, "")

        return lookup

    irrelevant: set[tuple[str, tuple[str, int]]] = set()  # (path, context)
    answers: list[AnswerIn] = []
    errors: dict[str, str] = {}
    for q in questions:
        contexts = [(q.repeat_path, n) for n in instances.get(q.repeat_path, [1])] if q.in_repeat else [("", 0)]
        for ctx in contexts:
            key = instance_key(q, ctx[1])
            parent_off = any(q.path.startswith(path + "/") and (c == ctx or c == ("", 0)) for path, c in irrelevant)
            tree = _tree(q.relevant)
            lookup = lookup_in(ctx)
            if parent_off or (tree is not None and not expressions.evaluate(tree, lookup)):
                irrelevant.add((q.path, ctx))
                if q.name in values.get(ctx, {}):
                    values[ctx][q.name] = ""
                continue
            if q not in asked:
                continue
            raw = values[ctx].get(q.name, "")
            if not raw:
                if q.required:
                    errors[key] = "this question needs an answer"
                continue
            try:
                rows: list[Normalised] = normalise(q, raw, codes.get(q.list_name) if q.list_name else None)
            except ValueError as exc:
                errors[key] = str(exc)
                continue
            check = _tree(q.constraint)
            if check is not None and not expressions.evaluate(check, lookup, raw):
                errors[key] = q.constraint_message or "this answer is not allowed"
                continue
            narrowed = _tree(q.choice_filter, columns=True)  # cascading choices: a district of the region chosen
            if narrowed is not None:
                outside = [
                    code
                    for code in raw.split()
                    if not expressions.evaluate(narrowed, lookup, raw, columns[(q.list_name, code)])
                ]
                if outside:
                    errors[key] = f"{', '.join(outside)} is not among the choices the earlier answers allow"
                    continue
            answers.append(AnswerIn(q, ctx[1], rows))
    return answers, errors, values[("", 0)]
