"""Writes of instruments and responses: validated, atomic, recorded in the history with who did it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from healthlinks.accounts.models import User
from healthlinks.evaluation.models import Answer, Choice, Instrument, Invitation, Question, Response, Source
from healthlinks.evaluation.xlsform import parse_xlsform
from healthlinks.network.models import Person
from healthlinks.records import record_save
from healthlinks.registry.models import Institution, Partnership
from healthlinks.registry.selectors import is_hub_admin, partnerships_editable_by

LINK_QUESTIONS = ("partnership", "institution", "person")
EMPTY = {"", "n/a", "na"}  # Ona/Kobo write n/a for questions that were not relevant


def instrument_slug(title: str) -> str:
    return slugify(title.replace("_", "-"))[:70] or "instrument"


def may_replace_instrument(by: User | None, instrument: Instrument) -> bool:
    """A new version of an instrument: hub admins, its uploader, and the command line without --user."""
    return (
        by is None or is_hub_admin(by) or (instrument.created_by_id is not None and instrument.created_by_id == by.pk)
    )


def may_overwrite_response(by: User | None, response: Response) -> bool:
    """Re-importing a submission replaces its answers: hub admins, whoever filed it, coordinators of its partnership."""
    if by is None or is_hub_admin(by) or response.submitted_by_id == by.pk:
        return True
    return (
        response.partnership_id is not None and partnerships_editable_by(by).filter(pk=response.partnership_id).exists()
    )


@transaction.atomic
def instrument_save(
    *,
    by: User | None,
    raw: bytes,
    name: str,
    slug: str = "",
    description: str = "",
    media: Mapping[str, bytes] | None = None,
) -> Instrument:
    """Create or update (same slug) an instrument from XLSForm bytes (and the CSV files its select_one_from_file
    questions name, `media`). Raises xlsform.FormRejected.

    Updating keeps the questions that keep their group path (and their answers); a question that has answers
    cannot be removed by a new version."""
    form = parse_xlsform(raw, name, media)
    slug = slug or instrument_slug(form.form_id or form.title)
    instrument = Instrument.objects.filter(slug=slug).first() or Instrument(slug=slug)
    if instrument.pk and not may_replace_instrument(by, instrument):
        raise ValidationError(
            {"slug": f"the instrument '{slug}' was uploaded by someone else; choose another slug to upload yours"}
        )
    instrument.title = form.title[:200]
    instrument.version = form.version[:60]
    instrument.form_id = form.form_id[:120]
    instrument.xlsform = raw
    instrument.xlsform_name = name[:200]
    instrument.definition = form.definition
    instrument.warnings = form.warnings
    if description:
        instrument.description = description
    if instrument.pk is None:
        instrument.created_by = by
    instrument.full_clean(exclude=["xlsform", "definition"])
    record_save(instrument, by=by, validate=False)
    existing = {q.path: q for q in instrument.questions.all()}
    new_paths = {q.path for q in form.questions}
    dropped = [q for path, q in existing.items() if path not in new_paths]
    answered = [q.path for q in dropped if q.answers.exists()]
    if answered:
        raise ValidationError(
            {"xlsform": f"this version removes questions that already have answers: {', '.join(answered)}"}
        )
    Question.objects.filter(pk__in=[q.pk for q in dropped]).delete()
    for parsed in form.questions:
        question = existing.get(parsed.path) or Question(instrument=instrument, path=parsed.path)
        for field in (
            "name", "type", "label", "labels", "hint", "group_path", "repeat_path", "relevant", "constraint",
            "constraint_message", "required", "list_name", "order", "choice_filter",
        ):  # fmt: skip
            setattr(question, field, getattr(parsed, field))
        question.save()
    instrument.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(
            instrument=instrument,
            list_name=list_name,
            name=code,
            label=label,
            labels=labels,
            columns=(form.choice_columns.get(list_name) or [{}] * len(items))[i],
            order=i,
        )
        for list_name, items in form.choices.items()
        for i, (code, label, labels) in enumerate(items)
    )
    return instrument


@dataclass
class Normalised:
    value: str
    number: Decimal | None = None
    date: date | None = None


def _date(text: str) -> date:
    text = text.strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (use YYYY-MM-DD)")


# Answer.number holds 20 digits, 6 of them after the point.
NUMBER_LIMIT = Decimal(10) ** 14
NUMBER_STEP = Decimal("0.000001")
MAX_PLACES = 20  # past this the text of the answer, not only its number, would be absurd (1e-999999999)


def _number(text: str, what: str) -> Decimal:
    """A finite number the database can hold; Infinity, NaN, sNaN and 1e999999999 are refused, not computed."""
    if len(text) > 60:
        raise ValueError(f"'{text[:20]}…' is not {what}: longer than 60 characters")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not {what}") from None
    if not number.is_finite():
        raise ValueError(f"'{text}' is not {what}")
    exponent = number.as_tuple().exponent
    if number.copy_abs() >= NUMBER_LIMIT or (isinstance(exponent, int) and exponent < -MAX_PLACES):
        raise ValueError(f"'{text}' is out of range: {what} between -10^14 and 10^14, at most {MAX_PLACES} decimals")
    return number


def normalise(question: Question, raw: str, codes: set[str] | None = None) -> list[Normalised]:
    """One answer as stored rows: [] when empty; a select_multiple gives one row per code. Raises ValueError."""
    text = str(raw).strip()
    if text.lower() in EMPTY:
        return []
    kind = question.type
    if kind == "integer":
        number = _number(text, "a whole number")
        if number != number.to_integral_value():
            raise ValueError(f"'{text}' is not a whole number")
        return [Normalised(str(int(number)), number=number)]
    if kind == "decimal":
        number = _number(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text, "a number")
        return [Normalised(format(number.normalize(), "f"), number=number.quantize(NUMBER_STEP))]
    if kind == "date":
        day = _date(text)
        return [Normalised(day.isoformat(), date=day)]
    if kind in ("select_one", "select_multiple"):
        selected = text.split() if kind == "select_multiple" else [text]
        if codes is not None:
            unknown = [c for c in selected if c not in codes]
            if unknown:
                raise ValueError(
                    f"'{' '.join(unknown)}' is not a code of list '{question.list_name}' "
                    f"({', '.join(sorted(codes)[:12])})"
                )
        seen: list[str] = []
        for code in selected:
            if code not in seen:
                seen.append(code)
        return [Normalised(code) for code in seen]
    return [Normalised(text)]


def choice_codes(instrument: Instrument) -> dict[str, set[str]]:
    codes: dict[str, set[str]] = {}
    for list_name, code in instrument.choices.values_list("list_name", "name"):
        codes.setdefault(list_name, set()).add(code)
    return codes


@dataclass
class LinkError(Exception):
    question: str
    reason: str


def resolve_links(answers: dict[str, str], by: User | None) -> dict[str, Any]:
    """The partnership/institution/person named by the link questions' answers (LinkError if unknown or,
    for a partnership, not editable by `by`)."""
    links: dict[str, Any] = {"partnership": None, "institution": None, "person": None}
    slug = answers.get("partnership", "").strip()
    if slug:
        partnership = Partnership.objects.filter(slug=slug).first()
        if partnership is None:
            raise LinkError("partnership", f"no partnership with slug '{slug}'")
        if (
            by is not None
            and not is_hub_admin(by)
            and not partnerships_editable_by(by).filter(pk=partnership.pk).exists()
        ):
            raise LinkError("partnership", f"you do not coordinate partnership '{slug}'")
        links["partnership"] = partnership
    ref = answers.get("institution", "").strip()
    if ref:
        institution = Institution.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
        institution = institution or Institution.objects.filter(ror_id=ref).first()
        if institution is None:
            raise LinkError("institution", f"no institution with id or ROR id '{ref}'")
        links["institution"] = institution
    pseudo = answers.get("person", "").strip()
    if pseudo:
        person = Person.objects.filter(pseudo_id=pseudo).first() or Person.objects.filter(external_id=pseudo).first()
        if person is None:
            raise LinkError("person", f"no person with pseudonymous or external id '{pseudo}'")
        links["person"] = person
    return links


@dataclass
class AnswerIn:
    question: Question
    repeat_index: int
    rows: Sequence[Normalised]


def response_upsert(
    *,
    by: User | None,
    instrument: Instrument,
    uuid: str,
    submitted_at: datetime,
    source: str,
    answers: Sequence[AnswerIn],
    links: dict[str, Any],
    is_synthetic: bool = False,
) -> tuple[Response, bool]:
    """Create the response, or replace its answers if this uuid was imported before. Returns (response, created)."""
    uuid = re.sub(r"^uuid:", "", uuid.strip())
    if not uuid:
        raise ValidationError({"uuid": "a response needs a submission uuid"})
    with transaction.atomic():
        response = Response.objects.filter(instrument=instrument, uuid=uuid).first()
        created = response is None
        response = response or Response(instrument=instrument, uuid=uuid)
        response.submitted_at = submitted_at
        response.source = source
        response.partnership = links.get("partnership")
        response.institution = links.get("institution")
        response.person = links.get("person")
        response.is_synthetic = is_synthetic
        if created:
            response.submitted_by = by
        response.full_clean(validate_unique=False)
        record_save(response, by=by, validate=False)
        if not created:
            response.answers.all().delete()
        Answer.objects.bulk_create(
            Answer(
                response=response,
                question=a.question,
                repeat_index=a.repeat_index,
                value=row.value,
                number=row.number,
                date=row.date,
            )
            for a in answers
            for row in a.rows
        )
        from healthlinks.evaluation.feeds import l3_outcome, response_saved

        l3_outcome(response, by)  # a trainee follow-up feeds the Kirkpatrick L3 outcomes
        response_saved.send(sender=Response, response=response, by=by)  # careers, readiness
    return response, created


# -- invitations: answering without an account -----------------------------------------------------------------
INVITATION_DAYS = 30  # how long a link works unless the coordinator says otherwise


class InvitationClosed(Exception):
    """The link can no longer be answered: expired, or a personal link already answered (said in words to the
    respondent, who learns nothing else about the survey or anyone in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def invitations_create(
    *,
    by: User | None,
    instrument: Instrument,
    partnership: Partnership,
    activity: Any = None,
    people: Sequence[Person] = (),
    open_link: bool = False,
    expires_on: date | None = None,
) -> list[Invitation]:
    """An open link and/or one personal single-use link per person, for a partnership the user may edit (and one
    of its activities). Each link is a random token; nothing in it names the survey's respondents."""
    import secrets

    if by is not None and not is_hub_admin(by) and not partnerships_editable_by(by).filter(pk=partnership.pk).exists():
        raise ValidationError({"partnership": _("you do not coordinate this partnership")})
    if activity is not None and activity.partnership_id != partnership.pk:
        raise ValidationError({"activity": _("the activity is not one of this partnership's")})
    if not open_link and not people:
        raise ValidationError({"people": _("choose an open link, people to invite, or both")})
    expires = expires_on or (timezone.localdate() + timedelta(days=INVITATION_DAYS))
    if expires < timezone.localdate():
        raise ValidationError({"expires_on": _("the expiry date is in the past")})
    made = []
    for person in [None, *people] if open_link else list(people):
        invitation = Invitation(
            instrument=instrument,
            partnership=partnership,
            activity=activity,
            person=person,
            token=secrets.token_urlsafe(18),
            expires_on=expires,
            created_by=by,
        )
        record_save(invitation, by=by)
        made.append(invitation)
    return made


def invitation_check(invitation: Invitation) -> None:
    if invitation.expires_on < timezone.localdate():
        raise InvitationClosed(str(_("This link has expired. Ask the person who sent it for a new one.")))
    if invitation.personal and invitation.answered_at is not None:
        raise InvitationClosed(str(_("Your answers were already received with this link. Thank you.")))


def invitation_answer(
    *, invitation: Invitation, uuid: str, answers: Sequence[AnswerIn], submitted_at: datetime
) -> Response:
    """File the answers sent through a link: under the link's partnership (and person, for a personal link), as
    one response; a personal link is used once (two sends at the same moment: the second is refused)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        invitation_check(locked)
        response, _created = response_upsert(
            by=None,
            instrument=locked.instrument,
            uuid=uuid,
            submitted_at=submitted_at,
            source=Source.WEB,
            answers=answers,
            links={"partnership": locked.partnership, "institution": None, "person": locked.person},
        )
        response.invitation = locked
        record_save(response, by=None, validate=False)
        if locked.personal:
            locked.answered_at = submitted_at
            record_save(locked, by=None)
    return response
