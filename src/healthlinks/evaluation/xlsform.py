"""Read and validate an XLSForm (survey, choices, settings sheets) with pyxform, without ODK Validate (Java).

Every error names the sheet, the row (as the spreadsheet shows it) and the problem. Checks run in two passes:
our own (pyxform is silent about the row of an unknown type or a missing choice list) and then pyxform's
conversion, whose messages are mapped to sheet and row."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from healthlinks.evaluation import expressions

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000  # per sheet: questions, choices
MAX_CELLS = 2_000_000  # the sheets' used area together
MAX_NAME = 120  # question, choice and list names (the database columns)
UNKNOWN_TYPE = "unknown question type"
MAX_PATH = 400  # a question's group path and name

# A choice's own keys in pyxform's JSON; any other column of the choices sheet is kept for choice filters.
CHOICE_OWN = {"name", "label", "image", "audio", "video", "media", "list_name", "big-image"}
# pyxform's type names -> ours; anything else that pyxform accepts is stored as is and not rendered by the web form.
TYPE_NAMES = {
    "select one": "select_one",
    "select one external": "select_one",  # its choices on the external_choices sheet
    "select all that apply external": "select_multiple",
    "select all that apply": "select_multiple",
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "note": "note",
    "group": "group",
    "repeat": "repeat",
}
WEB_TYPES = {"text", "integer", "decimal", "date", "select_one", "select_multiple", "note", "group", "repeat"}
# Types an XLSForm may use in its type column (before the list name), for our own row-level check.
KNOWN_TYPES = {
    "text", "integer", "decimal", "date", "time", "datetime", "note", "select_one", "select_multiple",
    "select one", "select multiple", "select_one_from_file", "select_multiple_from_file", "rank",
    "begin group", "end group", "begin_group", "end_group", "begin repeat", "end repeat", "begin_repeat",
    "end_repeat", "calculate", "hidden", "acknowledge", "geopoint", "geotrace", "geoshape", "image", "photo",
    "audio", "video", "file", "barcode", "range", "trigger", "start", "end", "today", "deviceid", "subscriberid",
    "simserial", "phonenumber", "username", "email", "audit", "background-audio", "start-geopoint",
    "xml-external", "csv-external", "phone number", "uri:subscriberid", "uri:deviceid", "uri:email",
    "uri:phonenumber", "uri:simserial", "uri:username", "begin_loop", "end_loop", "begin loop", "end loop",
}  # fmt: skip
SELECT_RE = re.compile(
    r"^(select_one|select_multiple|select one|select multiple|select all that apply|rank)(?: from)?\s+(\S+)"
    r"(?:\s+or_other|\s+or specify other)?$"
)
ROW_RE = re.compile(r"\[row\s*:\s*(\d+)\]")
SHEET_RE = re.compile(r"On the '(\w+)' sheet")
FROM_FILE = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)  # select_one_from_file's itemset: a file name
SUBMISSION_META = {"start", "end", "today", "deviceid", "username", "audit", "calculate"}


@dataclass(frozen=True)
class FormError:
    sheet: str
    row: int
    message: str

    def __str__(self) -> str:
        where = f"sheet {self.sheet}" if self.sheet else "workbook"
        if self.row:
            where += f", row {self.row}"
        return f"{where}: {self.message}"


class FormRejected(Exception):
    """The XLSForm was refused; nothing was written."""

    def __init__(self, errors: list[FormError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ParsedQuestion:
    name: str
    path: str
    type: str
    label: str
    labels: dict[str, str]
    hint: str
    group_path: str
    repeat_path: str
    relevant: str
    constraint: str
    constraint_message: str
    required: bool
    list_name: str
    order: int
    choice_filter: str = ""


@dataclass
class ParsedForm:
    title: str
    form_id: str
    version: str
    questions: list[ParsedQuestion]
    choices: dict[str, list[tuple[str, str, dict[str, str]]]]
    definition: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    choice_columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # other columns, by list


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheets(raw: bytes) -> dict[str, list[list[str]]]:
    from openpyxl import load_workbook

    from healthlinks.archives import ArchiveRefused, check_workbook

    try:  # zip bombs, shared-strings bombs and a used area reaching XFD1048576 are refused before openpyxl reads
        check_workbook(raw, max_rows=MAX_ROWS + 1, max_cells=MAX_CELLS)
    except ArchiveRefused as exc:
        raise FormRejected([FormError("", 0, f"not a readable XLSX workbook: {exc}")]) from None
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        out = {}
        for sheet in book.worksheets:
            # the declared dimension may reach row 1,048,576 (a whole column formatted): read the rows there are
            sheet.reset_dimensions()
            grid = [[_text(c) for c in row] for row in sheet.iter_rows(values_only=True)]
            while grid and not any(grid[-1]):
                grid.pop()  # formatted rows after the last one that holds anything
            out[sheet.title.strip().lower()] = grid
        book.close()
    except Exception as exc:  # openpyxl raises many types (XML, colour, style errors) for a damaged workbook
        raise FormRejected(
            [FormError("", 0, f"not a readable XLSX workbook ({exc.__class__.__name__}: {str(exc)[:200]})")]
        ) from None
    return out


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _xls_sheets(raw: bytes) -> dict[str, list[list[str]]]:
    """The sheets of a legacy .xls workbook (xlrd, which pyxform itself uses), bounded as the .xlsx ones are."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=raw, on_demand=True)
        out = {}
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.nrows > MAX_ROWS + 1 or sheet.nrows * sheet.ncols > MAX_CELLS:
                raise FormRejected([FormError(sheet.name, 0, f"more than {MAX_ROWS} rows; split the file")])
            grid = [[_text(cell.value) for cell in sheet.row(r)] for r in range(sheet.nrows)]
            while grid and not any(grid[-1]):
                grid.pop()
            out[sheet.name.strip().lower()] = grid
            book.unload_sheet(index)
        book.release_resources()
    except FormRejected:
        raise
    except Exception as exc:  # xlrd raises XLRDError, struct and compound-document errors for a damaged file
        raise FormRejected(
            [FormError("", 0, f"not a readable XLS workbook ({exc.__class__.__name__}: {str(exc)[:200]})")]
        ) from None
    return out


def _records(grid: list[list[str]]) -> list[tuple[int, dict[str, str]]]:
    if not grid:
        return []
    header = [h.strip().lower() for h in grid[0]]
    rows = []
    for number, cells in enumerate(grid[1:], start=2):
        values = {h: c for h, c in zip(header, cells, strict=False) if h}
        if any(values.values()):
            rows.append((number, values))
    return rows


def _own_checks(sheets: dict[str, list[list[str]]]) -> list[FormError]:
    errors: list[FormError] = []
    if "survey" not in sheets:
        return [FormError("survey", 0, "the workbook has no 'survey' sheet")]
    header = [h.strip().lower() for h in (sheets["survey"][0] if sheets["survey"] else [])]
    for column in ("type", "name"):
        if column not in header:
            errors.append(FormError("survey", 1, f"the '{column}' column is missing"))
    if errors:
        return errors
    lists: dict[str, set[str]] = {}
    choices = sheets.get("choices") or sheets.get("choices ")
    if choices:
        for number, row in _records(choices):
            list_name = row.get("list_name") or row.get("list name") or ""
            name = row.get("name", "")
            if not list_name:
                errors.append(FormError("choices", number, "list_name is empty"))
                continue
            if not name:
                errors.append(FormError("choices", number, f"choice of list '{list_name}' has no name"))
                continue
            for what, value in (("list_name", list_name), ("name", name)):
                if len(value) > MAX_NAME:
                    errors.append(FormError("choices", number, f"{what} is longer than {MAX_NAME} characters"))
            if name in lists.setdefault(list_name, set()):
                errors.append(FormError("choices", number, f"choice '{name}' appears twice in list '{list_name}'"))
            lists[list_name].add(name)
    names: dict[str, int] = {}
    all_names = {r.get("name") for _n, r in _records(sheets["survey"])}
    for number, row in _records(sheets["survey"]):
        kind = re.sub(r"\s+", " ", row.get("type", "").strip())
        if kind.lower().startswith("select") and not kind.startswith("select"):
            errors.append(FormError("survey", number, f"unknown question type '{kind}' (types are lower case)"))
            continue
        name = row.get("name", "")
        if not kind:
            if name or row.get("label"):
                errors.append(FormError("survey", number, f"question '{name or row.get('label')}' has no type"))
            continue
        select = SELECT_RE.match(kind)
        base = kind.split(" ")[0] if not select else select.group(1)
        if select:
            list_name = select.group(2)
            if list_name not in lists:
                errors.append(
                    FormError("survey", number, f"type '{kind}': the list '{list_name}' is not on the choices sheet")
                )
        elif kind.lower() not in KNOWN_TYPES and base.lower() not in KNOWN_TYPES:
            errors.append(FormError("survey", number, f"{UNKNOWN_TYPE} '{kind}'"))
        if len(name) > MAX_NAME:
            errors.append(FormError("survey", number, f"the name is longer than {MAX_NAME} characters"))
        if name and not kind.lower().startswith(("end", "begin")) and name in names:
            errors.append(
                FormError(
                    "survey",
                    number,
                    f"the name '{name}' is already used on row {names[name]}; Healthlinks matches export columns "
                    "by question name, so names must be unique in the whole form",
                )
            )
        if name:
            names.setdefault(name, number)
        for column in ("relevant", "constraint"):
            text = row.get(column, "")
            if not text:
                continue
            try:
                tree = expressions.parse(text)
            except (expressions.UnsupportedExpression, RecursionError):
                continue  # valid XPath outside our subset: pyxform checks it; the web form ignores it (warning)
            for ref in sorted(expressions.references(tree)):
                if ref not in all_names:
                    errors.append(
                        FormError("survey", number, f"{column} refers to ${{{ref}}}, which is not a question name")
                    )
    return errors


def _map_pyxform_error(message: str, context: dict[str, Any] | None) -> FormError:
    row_match = ROW_RE.search(message)
    sheet_match = SHEET_RE.search(message)
    row = int(row_match.group(1)) if row_match else int((context or {}).get("row") or 0)
    sheet = sheet_match.group(1) if sheet_match else str((context or {}).get("sheet") or ("survey" if row else ""))
    text = ROW_RE.sub("", message).strip()
    return FormError(sheet, row, text)


def _label(value: Any) -> tuple[str, dict[str, str]]:
    if isinstance(value, dict):
        labels = {str(k): str(v) for k, v in value.items()}
        for key in labels:
            if key.lower().startswith(("english", "en")):
                return labels[key], labels
        return (next(iter(labels.values())) if labels else ""), labels
    return ("" if value is None else str(value)), {}


def _walk(
    children: list[dict[str, Any]],
    groups: list[str],
    repeat: str,
    out: list[ParsedQuestion],
    warnings: list[str],
    files: Collection[str] = (),
) -> None:
    for child in children:
        kind = TYPE_NAMES.get(child.get("type", ""), child.get("type", ""))
        name = child.get("name", "")
        itemset = str(child.get("itemset", "") or "")
        from_file = bool(FROM_FILE.search(itemset)) and not child.get("list_name")
        if from_file and itemset not in files:  # select_one_from_file without its file: not asked, and said so
            warnings.append(
                f"question '{name}' takes its choices from {itemset}: upload that file with the form for the web "
                "form to ask it"
            )
            kind = "select_multiple_from_file" if kind == "select_multiple" else "select_one_from_file"
        if kind == "group" and name == "meta" and child.get("control", {}).get("bodyless"):
            continue
        bind = child.get("bind", {}) or {}
        path = "/".join([*groups, name])
        label, labels = _label(child.get("label"))
        hint, _hints = _label(child.get("hint"))
        question = ParsedQuestion(
            name=name,
            path=path,
            type=kind,
            label=label or name,
            labels=labels,
            hint=hint,
            group_path="/".join(groups),
            repeat_path=path if kind == "repeat" else repeat,
            relevant=str(bind.get("relevant", "")),
            constraint=str(bind.get("constraint", "")),
            constraint_message=_label(bind.get("jr:constraintMsg"))[0],
            required=str(bind.get("required", "")).lower() in {"yes", "true", "true()", "1"},
            list_name=str(child.get("list_name", "") or (itemset if child.get("query") or from_file else "")),
            order=len(out),
            choice_filter=str(child.get("choice_filter", "") or ""),
        )
        out.append(question)
        if kind not in WEB_TYPES and kind not in SUBMISSION_META:
            warnings.append(f"question '{name}' has type '{kind}': imported answers are kept, the web form skips it")
        for column in ("relevant", "constraint", "choice_filter"):
            text = getattr(question, column)
            if text:
                try:
                    expressions.parse(text, columns=column == "choice_filter")
                except expressions.UnsupportedExpression as exc:
                    warnings.append(f"question '{name}': {column} '{text}' is outside the web form's subset ({exc})")
                except RecursionError:
                    warnings.append(f"question '{name}': {column} is nested too deeply for the web form")
        if kind in ("group", "repeat"):
            _walk(child.get("children", []), [*groups, name], question.repeat_path, out, warnings, files)


def parse_xlsform(raw: bytes, name: str = "form.xlsx", media: Mapping[str, bytes] | None = None) -> ParsedForm:
    """Validate an XLSForm workbook and return its questions and choices; raise FormRejected with every error.
    `media`: the CSV files its select_one_from_file questions name, by file name."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl's notes on workbook styles and properties
        return _parse(raw, name, dict(media or {}))


def _choice_rows(text: str, where: str) -> list[dict[str, str]]:
    """The rows of a choices CSV (select_one_from_file's file, or pyxform's itemsets of the external_choices
    sheet): `name` and `label` (or `label::Language`) columns, any other kept for choice filters."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in reader.fieldnames or []]
    if "name" not in fields:
        raise FormRejected([FormError(where, 1, "a choices file needs a 'name' column (and 'label')")])
    rows = []
    for row in reader:
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
        if clean.get("name"):
            rows.append(clean)
    return rows


def _file_choices(rows: list[dict[str, str]]) -> tuple[list[tuple[str, str, dict[str, str]]], list[dict[str, str]]]:
    choices, columns = [], []
    for row in rows:
        labels = {k.split("::", 1)[1]: v for k, v in row.items() if k.startswith("label::") and v}
        label = row.get("label") or next(iter(labels.values()), "") or row["name"]
        choices.append((row["name"], label, labels))
        columns.append({k: v for k, v in row.items() if k not in CHOICE_OWN and not k.startswith("label::")})
    return choices, columns


def _parse(raw: bytes, name: str, media: dict[str, bytes]) -> ParsedForm:
    from pyxform import xls2xform
    from pyxform.errors import PyXFormError

    if len(raw) > MAX_BYTES:
        raise FormRejected([FormError("", 0, f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")])
    legacy = raw[:8] == OLE2  # an Excel 97-2003 .xls workbook, which pyxform reads too
    if raw[:2] != b"PK" and not legacy:
        raise FormRejected([FormError("", 0, f"{name} is not an Excel workbook (.xlsx, or .xls); save it as .xlsx")])
    sheets = _xls_sheets(raw) if legacy else _sheets(raw)
    errors = _own_checks(sheets)
    # A type our list does not know is pyxform's to judge: every form pyxform converts is imported (the question
    # stored, not shown by the web form, and said so); if pyxform refuses, our message names the row.
    types = [e for e in errors if e.message.startswith(UNKNOWN_TYPE)]
    errors = [e for e in errors if not e.message.startswith(UNKNOWN_TYPE)]
    if errors:
        raise FormRejected(errors)
    warnings: list[str] = []
    try:
        result = xls2xform.convert(
            xlsform=io.BytesIO(raw), file_type=".xls" if legacy else ".xlsx", validate=False, warnings=warnings
        )
    except PyXFormError as exc:
        raise FormRejected(types or [_map_pyxform_error(str(exc), getattr(exc, "context", None))]) from None
    except Exception as exc:  # pyxform raises plain exceptions for some malformed sheets
        raise FormRejected(types or [FormError("", 0, f"pyxform could not read the form: {exc}")]) from None
    warnings += [
        f"survey, row {e.row}: {e.message.removeprefix(UNKNOWN_TYPE).strip()} is converted by pyxform but not asked "
        "by the web form (answer it in ODK Collect or Enketo)"
        for e in types
    ]
    definition: dict[str, Any] = result._pyxform  # the JSON form pyxform builds the XForm from
    questions: list[ParsedQuestion] = []
    _walk(definition.get("children", []), [], "", questions, warnings, set(media))
    too_long = [
        FormError("survey", 0, f"question '{q.name}': its group path is longer than {MAX_PATH} characters")
        for q in questions
        if len(q.path) > MAX_PATH
    ]
    if too_long:
        raise FormRejected(too_long)
    choices: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    columns: dict[str, list[dict[str, str]]] = {}
    for list_name, items in (definition.get("choices") or {}).items():
        choices[list_name] = []
        columns[list_name] = [
            {k: str(v) for k, v in item.items() if k not in CHOICE_OWN and isinstance(v, str | int | float)}
            for item in items
        ]
        for item in items:
            label, labels = _label(item.get("label"))
            choices[list_name].append((str(item.get("name", "")), label or str(item.get("name", "")), labels))
    external: dict[str, list[dict[str, str]]] = {}
    for row in _choice_rows(getattr(result, "itemsets", None) or "name\n", "external_choices"):
        external.setdefault(row.get("list_name", ""), []).append(row)
    for file_name, data in media.items():
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FormRejected([FormError(file_name, 0, "a choices file must be UTF-8 text (CSV)")]) from None
        external[file_name] = _choice_rows(text, file_name)
    for list_name, rows in external.items():
        if list_name and list_name not in choices:
            choices[list_name], columns[list_name] = _file_choices(rows)
    settings_rows = _records(sheets.get("settings", []))
    declared = settings_rows[0][1] if settings_rows else {}
    stem = re.sub(r"\.\w+$", "", name)
    form_id = declared.get("form_id") or stem
    return ParsedForm(
        title=str(declared.get("form_title") or stem),
        form_id=form_id,
        version=str(definition.get("version", "") or ""),
        questions=questions,
        choices=choices,
        choice_columns=columns,
        definition=definition,
        warnings=[ROW_RE.sub("", w).strip() for w in warnings],
    )
