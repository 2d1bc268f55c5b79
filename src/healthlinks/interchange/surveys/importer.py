"""Import survey responses from KoboToolbox, Ona and ODK Central exports (CSV, or XLSX with repeat sheets).

Column names as those tools write them:
- group paths joined with '/', '-' or '.' (`group/q`, `group-q`), or the bare question name;
- select_multiple as one column of space-separated codes, and/or one 0/1 column per choice (`q/code`, `q.code`);
- repeats flattened in columns (`children[2]/childs_name`, Ona/Kobo CSV) or in extra XLSX sheets named after the
  repeat, joined to the main sheet by `_parent_index` = `_index` (Kobo) or `PARENT_KEY` = `KEY` (ODK Central);
- submission id from `_uuid`, `meta/instanceID`, `meta-instanceID`, `instanceID` or `KEY` ('uuid:' is dropped);
- submission time from `_submission_time` or `SubmissionDate` (else `end`, `today`).
Other columns starting with '_' and ODK Central's metadata are ignored; unknown columns are listed as warnings.

Every error names the file (and sheet), row and column; nothing is written unless the whole file is valid;
importing again updates the responses by uuid."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from healthlinks.accounts.models import User
from healthlinks.evaluation.models import Answer, Instrument, Question, Response, Source
from healthlinks.evaluation.services import (
    AnswerIn,
    LinkError,
    choice_codes,
    may_overwrite_response,
    normalise,
    resolve_links,
    response_upsert,
)
from healthlinks.interchange.tabular import reader
from healthlinks.interchange.tabular.reader import ImportRejected, RowError

SEPARATORS = ("/", "-", ".", ":")
UUID_COLUMNS = ("_uuid", "meta/instanceid", "meta-instanceid", "meta.instanceid", "instanceid", "key")
TIME_COLUMNS = ("_submission_time", "submissiondate", "end", "today")
ODK_META = {
    "key", "parent_key", "submissiondate", "submitterid", "submittername", "attachmentspresent",
    "attachmentsexpected", "status", "reviewstate", "deviceid", "edits", "formversion", "__version__",
    "formhub/uuid", "formhub-uuid", "start", "end", "today", "username", "simserial", "subscriberid",
    "phonenumber", "audit",
}  # fmt: skip
INDEX_RE = re.compile(r"\[(\d{1,12})\]")
MAX_REPEAT = 100_000  # children[N]/name: a repeat number past this is an error of the header
TRUE = {"1", "true", "yes", "1.0"}
FALSE = {"0", "false", "no", "0.0", "", "n/a"}


@dataclass
class ImportResult:
    instrument: str
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        total = self.created + self.updated
        return f"{total} responses imported into {self.instrument} ({self.created} new, {self.updated} updated)"


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def _read_zip(raw: bytes, name: str) -> list[tuple[str, list[list[str]]]]:
    """ODK Central's "all data and media" ZIP: the main CSV and one CSV per repeat (with PARENT_KEY). Only the CSV
    files are unpacked, together at most 50 MB (counted as they inflate: a zip bomb is refused)."""
    try:
        members = reader.unzip(
            raw, lambda member: member.lower().endswith(".csv") and not member.startswith(("__MACOSX", "media/"))
        )
    except reader.ArchiveRefused as exc:
        raise ImportRejected([RowError(name, 0, "", str(exc))]) from None
    tables = [(Path(member).stem, reader._csv_rows(data, member)) for member, data in sorted(members.items())]
    # the main table is the one without PARENT_KEY
    tables.sort(key=lambda t: bool(t[1]) and "parent_key" in [h.strip().lower() for h in t[1][0]])
    return tables


def _read(raw: bytes, name: str) -> list[Sheet]:
    if name.lower().endswith(".zip"):
        sheets = _read_zip(raw, name)
    elif raw[:2] == b"PK" or name.lower().endswith((".xlsx", ".xlsm")):
        from python_calamine import CalamineWorkbook

        try:
            reader.check_workbook(raw)
        except reader.ArchiveRefused as exc:
            raise ImportRejected([RowError(name, 0, "", f"not a readable XLSX workbook: {exc}")]) from None
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
            grids = [(n, book.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in book.sheet_names]
        except Exception as exc:  # calamine raises its own error types for broken workbooks
            raise ImportRejected([RowError(name, 0, "", f"not a readable XLSX workbook ({exc})")]) from None
        sheets = [(n, [[reader._cell(v) for v in row] for row in grid]) for n, grid in grids]
    else:  # CSV
        sheets = [("", reader._csv_rows(raw, name))]
    out = []
    errors: list[RowError] = []
    for sheet_name, grid in sheets:
        if not grid or not any(c.strip() for c in grid[0]):
            continue
        if len(grid) - 1 > reader.MAX_ROWS:
            raise ImportRejected([RowError(name, 0, "", f"more than {reader.MAX_ROWS} rows; split the file")])
        where = f"{name} [{sheet_name}]" if sheet_name and len(sheets) > 1 else name
        header = [h.strip() for h in grid[0]]
        rows = []
        for n, cells in enumerate(grid[1:], start=2):
            if not any(c.strip() for c in cells):
                continue
            for column, cell in zip(header, cells, strict=False):
                if "\x00" in cell:
                    errors.append(RowError(where, n, column, "holds a NUL character (binary data?)"))
            rows.append((n, [c.strip() for c in cells]))
        out.append(Sheet(sheet_name, header, rows))
    if errors:
        raise ImportRejected(errors[:1000])
    if not out:
        raise ImportRejected([RowError(name, 1, "", "the header row is missing")])
    return out


@dataclass(frozen=True)
class Column:
    question: Question | None = None
    code: str = ""  # a per-choice 0/1 column of a select_multiple
    repeat_index: int = 0
    meta: str = ""  # uuid, time, key, parent_key, index, parent_index, form_id, ignored


def _column_forms(questions: list[Question], codes: dict[str, set[str]]) -> dict[str, tuple[Question, str]]:
    forms: dict[str, tuple[Question, str]] = {}
    for q in questions:
        if q.type in ("group", "repeat", "note"):
            continue
        spellings = {q.name.lower()} | {q.path.lower().replace("/", sep) for sep in SEPARATORS}
        for spelling in spellings:
            forms.setdefault(spelling, (q, ""))
            if q.type == "select_multiple":
                for code in codes.get(q.list_name, set()):
                    for sep in SEPARATORS:
                        forms.setdefault(f"{spelling}{sep}{code.lower()}", (q, code))
    return forms


def _classify(header: str, forms: dict[str, tuple[Question, str]]) -> Column:
    h = header.strip().lower()
    if h in UUID_COLUMNS and h != "key":
        return Column(meta="uuid")
    if h == "key":
        return Column(meta="key")
    if h == "parent_key":
        return Column(meta="parent_key")
    if h in TIME_COLUMNS:
        return Column(meta=f"time:{h}")
    if h == "_index":
        return Column(meta="index")
    if h == "_parent_index":
        return Column(meta="parent_index")
    if h == "_xform_id_string":
        return Column(meta="form_id")
    indexes = [int(i) for i in INDEX_RE.findall(h)]
    bare = INDEX_RE.sub("", h)
    found = forms.get(bare)
    if found is None:
        # a prefix we do not know (Kobo adds the form's root group name): try shorter tails
        for sep in SEPARATORS:
            parts = bare.split(sep)
            for start in range(1, len(parts)):
                found = forms.get(sep.join(parts[start:]))
                if found:
                    break
            if found:
                break
    if found is not None:
        return Column(question=found[0], code=found[1], repeat_index=indexes[-1] if indexes else 0)
    if h.startswith("_") or h in ODK_META or h.startswith(("meta/", "meta-", "formhub")):
        return Column(meta="ignored")
    return Column(meta="unknown")


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace(" ", "T", 1) if "T" not in text else text.strip())
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)  # stored in UTC: 9999-12-31T23:00-05:00 is past the last date a database holds
    except OverflowError:
        raise ValueError(f"'{text}' is out of range once in UTC") from None
    return value


def _messages(exc: ValidationError) -> list[tuple[str, list[str]]]:
    return list(exc.message_dict.items()) if hasattr(exc, "error_dict") else [("", exc.messages)]


UUID_LENGTH = Response._meta.get_field("uuid").max_length or 100
_NUMBER = Answer._meta.get_field("number")
NUMBER_WHOLE_DIGITS = (_NUMBER.max_digits or 20) - (_NUMBER.decimal_places or 0)


def _cell_problem(q: Question, cell: str) -> str:
    """Why an answer cannot be stored, before it is normalised: numbers past what the answer's number column holds
    (and whose conversion would take minutes: 1e999999999), a link id past any database key."""
    text = cell.strip()
    if q.type in ("integer", "decimal") and text:
        try:
            number = Decimal(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
        except InvalidOperation:
            return ""  # normalise explains
        if not number.is_finite():
            return f"'{text[:40]}' is not a number"
        if number and number.adjusted() >= NUMBER_WHOLE_DIGITS:
            return f"'{text[:40]}' is too large: at most {NUMBER_WHOLE_DIGITS} digits before the decimal point"
    if q.name == "institution" and text.isdigit() and len(text) > 18:
        return f"no institution with id or ROR id '{text[:40]}'"
    return ""


def _fit(sheet: Sheet, instrument: Instrument) -> int:
    """How many of the sheet's columns are questions of the instrument."""
    questions = list(instrument.questions.all())
    forms = _column_forms(questions, choice_codes(instrument))
    return sum(1 for h in sheet.header if _classify(h, forms).question is not None)


def _detect_instrument(raw_sheets: list[Sheet], name: str) -> Instrument:
    """The instrument an export belongs to: by its form id (and version), else by a version no other instrument
    has, and in any case one whose questions are the export's columns; else the instrument whose questions most
    of the columns are. A version shared by two forms, or an id naming a form whose questions are not there,
    never decides alone."""
    sheet = raw_sheets[0]
    lower = [h.lower() for h in sheet.header]
    for column in ("_xform_id_string", "__version__", "_version"):
        if column in lower and sheet.rows:
            i = lower.index(column)
            value = sheet.rows[0][1][i] if i < len(sheet.rows[0][1]) else ""
            if not value:
                continue
            field = "form_id" if column == "_xform_id_string" else "version"
            matches = list(Instrument.objects.filter(**{field: value})[:2])
            if len(matches) == 1 and _fit(sheet, matches[0]):  # a version shared by several tells nothing
                return matches[0]
    fits = sorted(((_fit(sheet, i), i.pk, i) for i in Instrument.objects.all()[:200]), key=lambda t: (-t[0], t[1]))
    if fits and fits[0][0] and (len(fits) == 1 or fits[0][0] > fits[1][0]):
        return fits[0][2]
    raise ImportRejected(
        [
            RowError(
                name,
                1,
                "",
                "cannot tell which instrument this export belongs to (no _xform_id_string column "
                "matching a form_id); choose the instrument (--instrument SLUG)",
            )
        ]
    )


@dataclass
class _Submission:
    row: int
    uuid: str
    submitted_at: datetime | None
    answers: dict[tuple[int, int], list[Any]]  # (question id, repeat index) -> normalised rows
    link_values: dict[str, str]
    key: str = ""
    index: str = ""


def import_responses(
    source: str | Path | IO[bytes],
    *,
    instrument: Instrument | None = None,
    user: User | None = None,
    name: str | None = None,
) -> ImportResult:
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        raw = path.read_bytes()
    else:
        name = name or str(getattr(source, "name", "upload"))
        raw = source.read(reader.MAX_BYTES + 1)
    name = reader.short_name(name)
    if len(raw) > reader.MAX_BYTES:
        raise ImportRejected([RowError(name, 0, "", "the file is larger than 50 MB")])
    sheets = _read(raw, name)
    instrument = instrument or _detect_instrument(sheets, name)
    questions = list(instrument.questions.all())
    by_id = {q.pk: q for q in questions}
    codes = choice_codes(instrument)
    forms = _column_forms(questions, codes)
    errors: list[RowError] = []
    result = ImportResult(instrument=instrument.slug)
    main = sheets[0]
    where = f"{name} [{main.name}]" if main.name and len(sheets) > 1 else name
    submissions = _parse_sheet(main, forms, codes, errors, where, result, main=True)
    if not any(c.meta == "uuid" or c.meta == "key" for c in [_classify(h, forms) for h in main.header]):
        errors.append(RowError(where, 1, "_uuid", "no submission id column (_uuid, meta/instanceID or KEY)"))
    is_odk = any(h.lower() in ("key", "submissiondate") for h in main.header)
    by_key = {s.key: s for s in submissions if s.key}
    by_index = {s.index: s for s in submissions if s.index}
    for sheet in sheets[1:]:
        sheet_where = f"{name} [{sheet.name}]"
        children = _parse_sheet(sheet, forms, codes, errors, sheet_where, result, main=False)
        counters: dict[int, int] = {}
        for child in children:
            parent = by_key.get(child.key) if child.key else by_index.get(child.index)
            if parent is None:
                column = "PARENT_KEY" if child.key else "_parent_index"
                errors.append(
                    RowError(
                        sheet_where, child.row, column, f"no submission '{child.key or child.index}' in the main sheet"
                    )
                )
                continue
            counters[id(parent)] = counters.get(id(parent), 0) + 1
            for (qid, _index), rows in child.answers.items():
                parent.answers[(qid, counters[id(parent)])] = rows
    linked: list[tuple[_Submission, dict[str, Any]]] = []
    for s in submissions:
        try:
            links = resolve_links(s.link_values, user)
        except LinkError as exc:
            errors.append(RowError(where, s.row, exc.question, exc.reason))
            continue
        linked.append((s, links))
    seen: dict[str, int] = {}
    for s in submissions:
        if s.uuid in seen:
            errors.append(RowError(where, s.row, "_uuid", f"the same submission as row {seen[s.uuid]}"))
        seen.setdefault(s.uuid, s.row)
    if user is not None:
        existing = Response.objects.filter(instrument=instrument, uuid__in=list(seen))
        for response in existing:
            if not may_overwrite_response(user, response):
                errors.append(
                    RowError(
                        where, seen[response.uuid], "_uuid", "this submission was filed by someone else; not replaced"
                    )
                )
    if errors:
        raise ImportRejected(errors)
    with transaction.atomic():
        for s, links in linked:
            assert s.submitted_at is not None
            try:
                _response, created = response_upsert(
                    by=user,
                    instrument=instrument,
                    uuid=s.uuid,
                    submitted_at=s.submitted_at,
                    source=Source.ODK if is_odk else Source.KOBO,
                    answers=[AnswerIn(by_id[qid], index, rows) for (qid, index), rows in s.answers.items()],
                    links=links,
                )
            except ValidationError as exc:  # the whole file is rolled back with the exception
                raise ImportRejected(
                    [RowError(where, s.row, field, " ".join(messages)) for field, messages in _messages(exc)]
                ) from None
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


def _parse_sheet(
    sheet: Sheet,
    forms: dict[str, tuple[Question, str]],
    codes: dict[str, set[str]],
    errors: list[RowError],
    where: str,
    result: ImportResult,
    *,
    main: bool,
) -> list[_Submission]:
    columns = [_classify(h, forms) for h in sheet.header]
    for i, (header, column) in enumerate(zip(sheet.header, columns, strict=True)):
        if column.repeat_index > MAX_REPEAT:
            errors.append(RowError(where, 1, header[:80], f"repeat number above {MAX_REPEAT}"))
            columns[i] = Column(meta="ignored")
    unknown = [h for h, c in zip(sheet.header, columns, strict=True) if c.meta == "unknown" and h]
    if main and unknown and not any(c.question for c in columns):  # not an export of this form at all
        shown = ", ".join(unknown[:12]) + (f" and {len(unknown) - 12} more" if len(unknown) > 12 else "")
        errors.append(RowError(where, 1, "", f"none of the columns is a question of this instrument: {shown}"))
    elif unknown:
        result.warnings.append(f"{where}: columns not in the form, ignored: {', '.join(unknown)}")
    has_main_column = {(c.question.pk, c.repeat_index) for c in columns if c.question and not c.code}
    out: list[_Submission] = []
    for number, cells in sheet.rows:
        s = _Submission(row=number, uuid="", submitted_at=None, answers={}, link_values={})
        times: dict[str, str] = {}
        split: dict[tuple[int, int], list[str]] = {}
        for header, column, cell in zip(sheet.header, columns, cells, strict=False):
            if column.meta == "uuid" and cell:
                s.uuid = s.uuid or re.sub(r"^uuid:", "", cell)
            elif column.meta == "key":
                s.key = cell if main else s.key
                if main:
                    s.uuid = s.uuid or re.sub(r"^uuid:", "", cell)
            elif column.meta == "parent_key" and not main:
                s.key = cell
            elif column.meta == "index" and main or column.meta == "parent_index" and not main:
                s.index = cell
            elif column.meta.startswith("time:") and cell:
                times[column.meta[5:]] = cell
            elif column.question is not None:
                q = column.question
                key = (q.pk, column.repeat_index or (1 if q.in_repeat and main else 0))
                if column.code:
                    if key in has_main_column:
                        continue  # the space-separated column is the answer; the 0/1 columns repeat it
                    flag = cell.strip().lower()
                    if flag in TRUE:
                        split.setdefault(key, []).append(column.code)
                    elif flag not in FALSE:
                        errors.append(RowError(where, number, header, f"'{cell}' should be 1 (chosen) or 0"))
                    continue
                problem = _cell_problem(q, cell)
                if problem:
                    errors.append(RowError(where, number, header, problem))
                    continue
                try:
                    rows = normalise(q, cell, codes.get(q.list_name) if q.list_name else None)
                except ValueError as exc:
                    errors.append(RowError(where, number, header, str(exc)))
                    continue
                if rows:
                    s.answers[key] = rows
                    if q.name in ("partnership", "institution", "person") and not q.repeat_path:
                        s.link_values[q.name] = rows[0].value
        for key, chosen in split.items():
            q = next(c.question for c in columns if c.question is not None and c.question.pk == key[0])
            s.answers[key] = normalise(q, " ".join(chosen), None)
        if main:
            for column_name in TIME_COLUMNS:
                if column_name in times:
                    try:
                        s.submitted_at = _parse_time(times[column_name])
                    except ValueError:
                        errors.append(
                            RowError(where, number, column_name, f"'{times[column_name]}' is not a date and time")
                        )
                    break
            else:
                errors.append(RowError(where, number, "_submission_time", "no submission time"))
            if not s.uuid:
                errors.append(RowError(where, number, "_uuid", "no submission id"))
            elif len(s.uuid) > UUID_LENGTH:
                errors.append(RowError(where, number, "_uuid", f"longer than {UUID_LENGTH} characters"))
        out.append(s)
    return out
