"""Reads of instruments and responses, scoped to the user (through registry.selectors), and their analysis.

Who sees which responses:
  hub admins      every response
  coordinators / members of a partnership   responses linked to that partnership, with every answer
  researchers     responses linked to partnerships that are not drafts, and responses linked to no partnership,
                  WITHOUT free-text answers (type text) nor the person link: free text can identify people
  anyone signed in  the responses they submitted themselves
  public          none (instruments are listed to signed-in users only)
Aggregates (analysis page, exports) are computed over the responses the user may see."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from healthlinks.evaluation.models import Answer, Choice, Instrument, Question, Response
from healthlinks.registry.models import Publication
from healthlinks.registry.selectors import AnyUser, is_hub_admin, is_researcher, partnerships_editable_by

# text answers are withheld from researchers; so are the link questions' raw values (person, institution)
REDACTED_TYPES = {"text"}
REDACTED_NAMES = {"person"}


def instruments_visible_to(user: AnyUser) -> QuerySet[Instrument]:
    if not user.is_authenticated:
        return Instrument.objects.none()
    return Instrument.objects.all()


def can_manage_instruments(user: AnyUser) -> bool:
    """Upload XLSForms and response exports: hub admins and coordinators."""
    from healthlinks.registry.selectors import can_create_partnership

    return can_create_partnership(user)


def sees_free_text(user: AnyUser) -> bool:
    return not is_researcher(user)


def responses_visible_to(user: AnyUser) -> QuerySet[Response]:
    if is_hub_admin(user):
        return Response.objects.all()
    if not user.is_authenticated:
        return Response.objects.none()
    from healthlinks.registry.models import PartnershipAccess

    visible = Q(partnership_id__in=PartnershipAccess.objects.filter(user_id=user.pk).values("partnership_id"))
    visible |= Q(submitted_by_id=user.pk)
    if is_researcher(user):
        visible |= Q(partnership__isnull=True) | ~Q(partnership__publication=Publication.DRAFT)
    return Response.objects.filter(visible)


def answers_visible_to(user: AnyUser, responses: QuerySet[Response]) -> QuerySet[Answer]:
    qs = Answer.objects.filter(response__in=responses)
    if not sees_free_text(user):
        qs = qs.exclude(question__type__in=REDACTED_TYPES).exclude(question__name__in=REDACTED_NAMES)
    return qs


def partnerships_for_forms(user: AnyUser) -> QuerySet[Any]:
    """Partnerships a user may file a web-form response for: those they belong to or coordinate."""
    from healthlinks.registry.models import Partnership, PartnershipAccess

    if is_hub_admin(user):
        return Partnership.objects.order_by("name")
    if not user.is_authenticated:
        return Partnership.objects.none()
    return Partnership.objects.filter(
        pk__in=PartnershipAccess.objects.filter(user_id=user.pk).values("partnership_id")
    ).order_by("name")


def may_import_for(user: AnyUser) -> QuerySet[Any]:
    return partnerships_editable_by(user)


# ---------------------------------------------------------------------------------------------------- analysis

AGREE_HINTS = ("agree", "satisf")


def is_likert(choices: list[Choice]) -> bool:
    """An ordered agreement/satisfaction scale: 4-7 choices, one pole with 'dis…' and the other without."""
    if not 4 <= len(choices) <= 7:
        return False
    codes = [c.name.lower() for c in choices]
    return any(
        any(h in c for h in AGREE_HINTS) and c.startswith(("dis", "strongly_dis", "very_dis")) for c in codes
    ) and any(any(h in c for h in AGREE_HINTS) and not c.startswith(("dis", "strongly_dis", "very_dis")) for c in codes)


def likert_side(index: int, size: int) -> int:
    """-1 for the negative half, 0 for the middle of an odd scale, +1 for the positive half."""
    middle = (size - 1) / 2
    return -1 if index < middle else (1 if index > middle else 0)


def _plain(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else round(value, 2)


def response_counts_by_month(responses: QuerySet[Response]) -> list[dict[str, Any]]:
    rows = (
        responses.annotate(month=TruncMonth("submitted_at")).values("month").annotate(n=Count("id")).order_by("month")
    )
    return [{"month": r["month"].date().isoformat()[:7], "n": r["n"]} for r in rows if r["month"]]


def question_analysis(instrument: Instrument, user: AnyUser, responses: QuerySet[Response]) -> list[dict[str, Any]]:
    """Per question: frequency table (choices), summary (numbers, dates) or just a count (free text)."""
    questions = list(instrument.questions.exclude(type__in=["group", "repeat", "note"]).order_by("order"))
    choices: dict[str, list[Choice]] = defaultdict(list)
    for c in instrument.choices.all():
        choices[c.list_name].append(c)
    answers = answers_visible_to(user, responses)
    total = responses.count()
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    respondents: dict[int, int] = {}
    for qid, value, n in answers.values_list("question_id", "value").annotate(n=Count("id")).order_by():
        counts[qid][value] += n
    for row in answers.values("question_id").annotate(n=Count("response_id", distinct=True)).order_by():
        respondents[row["question_id"]] = row["n"]
    numbers: dict[int, list[Decimal]] = defaultdict(list)
    for qid, number in answers.filter(number__isnull=False).values_list("question_id", "number"):
        if number is not None:
            numbers[qid].append(number)
    out = []
    redacted = not sees_free_text(user)
    for q in questions:
        entry: dict[str, Any] = {"q": q, "answered": respondents.get(q.pk, 0), "total": total, "kind": "count"}
        if q.type in ("select_one", "select_multiple"):
            items = choices.get(q.list_name, [])
            answered = respondents.get(q.pk, 0)
            rows = [
                {
                    "code": c.name,
                    "label": c.local_label,
                    "n": counts[q.pk].get(c.name, 0),
                    "pct": round(100 * counts[q.pk].get(c.name, 0) / answered, 1) if answered else 0.0,
                    "order": i,
                }
                for i, c in enumerate(items)
            ]
            entry.update(kind="likert" if q.type == "select_one" and is_likert(items) else "choices", rows=rows)
        elif q.type in ("integer", "decimal") and numbers.get(q.pk):
            values = sorted(numbers[q.pk])
            entry.update(
                kind="number",
                n=len(values),
                sum=_plain(sum(values, Decimal(0))),
                mean=_plain(round(sum(values, Decimal(0)) / len(values), 2)),
                median=_plain(Decimal(median(values))),
                min=_plain(values[0]),
                max=_plain(values[-1]),
            )
        elif q.type in ("text",) or q.name in REDACTED_NAMES:
            entry.update(kind="text", redacted=redacted)
        out.append(entry)
    return out


def _dimension_values(dimension: str, responses: QuerySet[Response], instrument: Instrument) -> dict[int, list[str]]:
    """response id -> its value(s) for a cross-tabulation dimension."""
    out: dict[int, list[str]] = defaultdict(list)
    if dimension == "partnership":
        for pk, name in responses.values_list("pk", "partnership__name"):
            out[pk].append(name or "—")
    elif dimension == "country":
        for pk, own in responses.values_list("pk", "institution__country__name"):
            if own:
                out[pk].append(own)
        rest = responses.exclude(pk__in=list(out)).values_list("pk", "partnership__members__institution__country__name")
        for pk, via in rest.distinct():
            if via and via not in out[pk]:
                out[pk].append(via)
    elif dimension == "role":
        question = instrument.questions.filter(name="respondent_role").first()
        choices = instrument.choices.filter(list_name=question.list_name) if question else []
        labels = {c.name: c.local_label for c in choices}
        if question:
            for pk, value in Answer.objects.filter(response__in=responses, question=question).values_list(
                "response_id", "value"
            ):
                out[pk].append(labels.get(value, value))
    return out


DIMENSIONS = ("partnership", "country", "role")


def crosstab(
    instrument: Instrument, user: AnyUser, responses: QuerySet[Response], question: Question, dimension: str
) -> dict[str, Any]:
    """Counts of the answers to a choice question by partnership, country (of the responding institution, else of
    the partnership's members) or role (answer to `respondent_role`)."""
    dims = _dimension_values(dimension, responses, instrument)
    labels = {c.name: c.local_label for c in instrument.choices.filter(list_name=question.list_name)}
    table: dict[str, Counter[str]] = defaultdict(Counter)
    answers = answers_visible_to(user, responses).filter(question=question)
    for rid, value in answers.values_list("response_id", "value"):
        for d in dims.get(rid, ["—"]):
            table[d][value] += 1
    columns = [c for c in labels]
    rows = [
        {"group": g, "cells": [table[g].get(c, 0) for c in columns], "n": sum(table[g].values())} for g in sorted(table)
    ]
    return {"columns": [labels[c] for c in columns], "codes": columns, "rows": rows, "dimension": dimension}


def invitation_rates(invitations: QuerySet[Any]) -> list[dict[str, Any]]:
    """For each invitation: how many answered through it (a personal link: 0 or 1), and whether it still works."""
    from django.db.models import Count
    from django.utils import timezone

    today = timezone.localdate()
    rows = invitations.select_related("person", "activity").annotate(answers=Count("responses"))
    return [{"invitation": i, "answers": i.answers, "open": i.expires_on >= today} for i in rows]


def response_rate(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Personal links sent and answered (the response rate), and answers through open links."""
    personal = [r for r in rows if r["invitation"].person_id is not None]
    return {
        "sent": len(personal),
        "answered": sum(1 for r in personal if r["answers"]),
        "open_answers": sum(r["answers"] for r in rows if r["invitation"].person_id is None),
    }


# ------------------------------------------------------------------------------------- benefit to the sending side

VOLUNTEER_IMPACT = "volunteer_impact"  # the shipped instrument's XLSForm form_id (instruments/volunteer_impact.xlsx)


def volunteer_benefits(user: AnyUser, partnership_ids: list[int]) -> dict[str, Any]:
    """What returning volunteers of these partnerships report bringing back to their own health service, from the
    volunteer impact survey (the responses the user may see): per agreement item ("since coming back, I take on
    more leadership …") how many answered and how many agreed (the positive half of the scale); per thing applied
    at home (a multiple choice) how many named it. Counts only: the page adds the intervals."""
    instrument = Instrument.objects.filter(form_id=VOLUNTEER_IMPACT).order_by("-updated_at").first()
    empty: dict[str, Any] = {"instrument": None, "respondents": 0, "agreement": [], "applied": []}
    if instrument is None:
        return empty
    responses = responses_visible_to(user).filter(instrument=instrument, partnership_id__in=partnership_ids)
    respondents = responses.count()
    choices: dict[str, list[Choice]] = defaultdict(list)
    for c in instrument.choices.order_by("order"):
        choices[c.list_name].append(c)
    questions = list(instrument.questions.filter(type__in=["select_one", "select_multiple"]).order_by("order"))
    values: dict[int, Counter[str]] = defaultdict(Counter)
    answers = Answer.objects.filter(response__in=responses, question__in=questions)
    for qid, value, n in answers.values_list("question_id", "value").annotate(n=Count("id")).order_by():
        values[qid][value] += n
    agreement: list[dict[str, Any]] = []
    applied: list[dict[str, Any]] = []
    for q in questions:
        items = choices.get(q.list_name, [])
        if q.type == "select_one" and is_likert(items):
            sides = {c.name: likert_side(i, len(items)) for i, c in enumerate(items)}
            answered = sum(n for v, n in values[q.pk].items() if v in sides)
            agreed = sum(n for v, n in values[q.pk].items() if sides.get(v) == 1)
            agreement.append({"key": q.name, "label": q.local_label, "n": answered, "events": agreed})
        elif q.type == "select_multiple":
            named: Counter[str] = Counter()
            answered = 0
            for value, n in values[q.pk].items():
                answered += n
                for code in value.split():
                    named[code] += n
            applied.extend(
                {"key": c.name, "label": c.local_label, "n": answered, "events": named[c.name]} for c in items
            )
    return {"instrument": instrument, "respondents": respondents, "agreement": agreement, "applied": applied}
