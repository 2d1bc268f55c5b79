"""Read IATI activity files as a stream, in constant memory, refusing hostile XML.

Each `iati-activity` is turned into a plain dict (`activity.IatiActivity`, JSON-ready: its JSON text is hashed to
tell whether a re-import changes anything) with the deviations found in it: schema errors (the shipped 2.03 XSD, checked
activity by activity so memory stays flat) and codelist errors, each with its line and rule. The element is
cleared as soon as it has been read.

Refused (`FileRefused`, nothing is imported): not well-formed XML (with the line), a DOCTYPE or entity
declaration (billion laughs, external entities), a root other than `iati-activities` without namespace,
a version other than 2.01-2.03 (1.0x: a clear refusal), no activity at all, and, with ``strict``, the first
schema error."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any, Literal

from lxml import etree

from healthlinks.interchange.iati.activity import (
    ActivityDates,
    Baseline,
    Budget,
    Description,
    IatiActivity,
    Indicator,
    Measured,
    Narrative,
    Participant,
    Period,
    RecipientCountry,
    RecipientRegion,
    ReportingOrg,
    Result,
    Sector,
    Transaction,
    TransactionOrg,
)
from healthlinks.interchange.iati.standard import (
    HEALTHLINKS_NS,
    SUPPORTED_VERSIONS,
    XML_LANG,
    activity_schema,
    codelist,
)

DATE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
DateName = Literal["planned_start", "actual_start", "planned_end", "actual_end"]
DATE_TYPES: dict[str, DateName] = {"1": "planned_start", "2": "actual_start", "3": "planned_end", "4": "actual_end"}
BOOLEANS = {"1": True, "true": True, "0": False, "false": False}
HL_ROR = f"{{{HEALTHLINKS_NS}}}ror"
HL_COUNTRY = f"{{{HEALTHLINKS_NS}}}country"
MAX_AMOUNT_DIGITS = 16  # amounts are stored with 20 digits, 4 of them decimals
MAX_EXPONENT = 40  # beyond 10^40 a number is not a real value (and formatting it would take gigabytes)
# a number in the form it is stored in (no leading zeros, no trailing decimal zeros) and within every limit
PLAIN_NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,15})(?:\.[0-9]{0,12}[1-9])?")
ZERO, HUNDRED = Decimal(0), Decimal(100)
PLACES = "recipient countries and regions"


@dataclass(frozen=True)
class Issue:
    line: int | None
    activity: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        activity = f", activity {self.activity}" if self.activity else ""
        return f"{where}{activity}: [{self.rule}] {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "rule": self.rule, "message": self.message}


class FileRefused(Exception):
    """The file was not imported at all; nothing was written."""

    def __init__(self, line: int | None, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass
class ParsedActivity:
    line: int
    identifier: str
    data: IatiActivity
    warnings: list[Issue] = field(default_factory=list)
    skip_reason: str = ""
    digest: str = ""  # of the data and the file's version: a re-import with the same digest changes nothing
    text: bytes = b""  # the data's JSON text, which the digest hashes, when the reader is asked for it


# changes when the digest or the mapping changes (3: the JSON text of the mapped activity; 2 hashed a `marshal`
# dump, whose format may change from one Python version to the next)
DIGEST_FORMAT = b"healthlinks-iati-activity/3\n"
# json.dumps' text (ASCII, default separators) with one encoder kept: no Python version or Unicode database
# changes it; no check for circular references (the activity is a tree)
_JSON_TEXT = json.JSONEncoder(check_circular=False).encode


def json_text(data: IatiActivity) -> bytes:
    """The mapped activity as JSON text (keys in the order the mapper writes them): what its digest hashes, and
    what carries it from a reading process to the importer (`background.py`, read back by `json.loads`)."""
    return _JSON_TEXT(data).encode("ascii")


def text_digest(text: bytes, version: str) -> str:
    """SHA-256 of an activity's JSON text (`json_text`) and the file's version."""
    digest = hashlib.sha256(DIGEST_FORMAT)
    digest.update(version.encode())
    digest.update(text)
    return digest.hexdigest()


def data_digest(data: IatiActivity, version: str) -> str:
    """SHA-256 of the mapped activity (its JSON text) and the file's version."""
    return text_digest(json_text(data), version)


def _local(tag: Any) -> str:
    return tag if isinstance(tag, str) else ""


class ActivityReader:
    """Iterate over the activities of one file: ``for activity in ActivityReader(source): ...``."""

    def __init__(self, source: str | IO[bytes], *, strict: bool = False, keep_text: bool = False) -> None:
        self.source = source
        self.strict = strict
        # each activity's JSON text instead of its digest, to be sent to another process, which hashes it
        self.keep_text = keep_text
        self.version = ""
        self.activities_seen = 0
        self._seen_ids: dict[str, int] = {}  # the one thing that grows: ~100 bytes per activity
        self.root: Any = None

    # -- the stream ----------------------------------------------------------------------------------------
    def _parse(self, **kwargs: Any) -> Any:
        return etree.iterparse(
            self.source,
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
            **kwargs,
        )

    def __iter__(self) -> Iterator[ParsedActivity]:
        try:
            # 1. the root alone (the parser stops after the first chunk): hostile or foreign files are refused
            #    before anything else is read
            for _event, elem in self._parse(events=("start",)):
                self._check_root(elem)
                break
            else:
                raise FileRefused(None, "the file is empty")
            if not isinstance(self.source, str):
                self.source.seek(0)
            # 2. the activities, each cleared and dropped once read (the tag filter runs in libxml2)
            context = self._parse(events=("end",), tag="iati-activity")
            for _event, elem in context:
                parent = elem.getparent()
                if parent is None or parent.getparent() is not None:
                    continue  # not a child of the root: the schema reports it within its activity
                self.root = parent
                while elem.getprevious() is not None:  # what was read before is already cleared: drop it
                    del parent[0]
                self.activities_seen += 1
                yield self._activity(elem)
                elem.clear(keep_tail=False)
        except etree.XMLSyntaxError as exc:
            line = exc.lineno if exc.lineno else None
            raise FileRefused(line, f"not well-formed XML: {exc.msg}") from None
        if self.activities_seen == 0:
            root = context.root
            raise FileRefused(root.sourceline if root is not None else None, "the file holds no iati-activity element")

    def _check_root(self, root: Any) -> None:
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise FileRefused(
                None, "a DOCTYPE (DTD or entity declarations) is not allowed in IATI files; nothing was read"
            )
        tag = root.tag
        if not isinstance(tag, str) or tag != "iati-activities":
            qname = etree.QName(tag)
            if qname.localname == "iati-activities":
                raise FileRefused(
                    root.sourceline,
                    f"the root element is in the namespace {qname.namespace!r}; IATI activity files use none",
                )
            if qname.localname == "iati-organisations":
                raise FileRefused(root.sourceline, "this is an IATI organisation file, not an activity file")
            raise FileRefused(root.sourceline, f"the root element is <{qname.localname}>, not <iati-activities>")
        version = (root.get("version") or "").strip()
        if version.startswith("1."):
            raise FileRefused(
                root.sourceline,
                f"IATI 1.0x file (version {version}), not read: ask its publisher to re-publish it as IATI 2.03, or "
                "convert it to 2.03 with the IATI converter and import the converted file (versions 1.0x were "
                "retired in 2016; 2.01-2.03 are read)",
            )
        if version not in SUPPORTED_VERSIONS:
            shown = f"version {version!r}" if version else "no version attribute"
            raise FileRefused(root.sourceline, f"{shown} on <iati-activities>: only 2.01, 2.02 and 2.03 are read")
        self.version = version

    # -- one activity ---------------------------------------------------------------------------------------
    def _activity(self, elem: Any) -> ParsedActivity:
        identifier = " ".join((elem.findtext("iati-identifier") or "").split())
        warnings: list[Issue] = []
        schema = activity_schema()
        if not schema.validate(elem):
            for error in schema.error_log:
                issue = Issue(error.line or elem.sourceline, identifier, "schema", error.message)
                if self.strict:
                    raise FileRefused(issue.line, f"schema error in activity {identifier or '?'}: {error.message}")
                warnings.append(issue)
        data = _ActivityMapper(elem, identifier, warnings).run()
        parsed = ParsedActivity(line=elem.sourceline, identifier=identifier, data=data, warnings=warnings)
        if not identifier:
            parsed.skip_reason = "no iati-identifier"
        elif data["reporting_org"] is None:
            warnings.append(
                Issue(elem.sourceline, identifier, "required", "no reporting-org: kept without reporting organisation")
            )
        if self.keep_text:
            parsed.text = json_text(data)
        elif not parsed.skip_reason:
            parsed.digest = data_digest(data, self.version)
        if identifier:
            if identifier in self._seen_ids:
                warnings.append(
                    Issue(
                        elem.sourceline,
                        identifier,
                        "duplicate",
                        f"the activity also appears at line {self._seen_ids[identifier]}; this later one is kept",
                    )
                )
            self._seen_ids[identifier] = elem.sourceline
        return parsed


class _ActivityMapper:
    """Map one iati-activity element to the project dict, collecting codelist and value deviations.

    Written for speed (it runs for every activity of files of hundreds of megabytes): children are reached
    with ``iterchildren(tag)`` (filtered in libxml2) or one loop over a node's children, never ElementPath
    ``find``, and the common case of each value (a known code, a plain number, a well-formed date) returns
    early."""

    def __init__(self, elem: Any, identifier: str, warnings: list[Issue]) -> None:
        self.elem = elem
        self.identifier = identifier
        self.warnings = warnings
        self.lang = elem.get(XML_LANG) or ""
        self.default_currency = ""

    def warn(self, node: Any, rule: str, message: str) -> None:
        self.warnings.append(Issue(node.sourceline, self.identifier, rule, message))

    # value helpers ----------------------------------------------------------------------------------------
    def narratives(self, node: Any) -> list[Narrative]:
        if node is None or not len(node):
            return []
        lang = self.lang
        out: list[Narrative] = []
        for n in node.iterchildren("narrative"):
            text = n.text
            if text:
                text = text.strip()
                if text:
                    out.append({"lang": n.get(XML_LANG) or lang, "text": text})
        return out

    def code(self, node: Any, attribute: str, list_name: str, *, required: bool = True) -> str:
        raw = node.get(attribute)
        codes = codelist(list_name)
        if raw is not None and raw in codes.codes and raw not in codes.withdrawn:
            return raw  # the common case: a current code, written without spaces
        raw = (raw or "").strip()
        where = f"<{node.tag} @{attribute}>"
        if not raw:
            if required:
                self.warn(node, f"codelist {list_name}", f"{where} is empty or missing")
            return ""
        if raw in codes.codes:
            if raw in codes.withdrawn:
                self.warn(node, f"codelist {list_name}", f"{where} code {raw!r} is withdrawn from the codelist")
            return raw
        by_name = codes.code_for_name(raw)
        if by_name:
            self.warn(node, f"codelist {list_name}", f"{where} gives the name {raw!r} instead of its code {by_name}")
            return by_name
        self.warn(node, f"codelist {list_name}", f"{where} unknown code {raw!r} (kept as published)")
        return raw

    def date(self, node: Any, attribute: str = "iso-date") -> str | None:
        if node is None:
            return None
        raw = (node.get(attribute) or "").strip()
        match = DATE_RE.match(raw)
        if match:
            text = match.group(1)
            try:
                value = date.fromisoformat(text)
            except ValueError:
                pass
            else:
                return text if text.isascii() else value.isoformat()
        self.warn(node, "date", f"<{node.tag} @{attribute}> {raw!r} is not a date (YYYY-MM-DD)")
        return None

    def decimal(self, node: Any, raw: str | None, what: str, *, amount: bool = False) -> str | None:
        text = (raw or "").strip()
        if PLAIN_NUMBER_RE.fullmatch(text):  # the common case, already written as it is stored
            return text
        if not text:
            self.warn(node, "decimal", f"<{node.tag}> {what} is missing")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            try:
                value = Decimal(text.replace(",", "")) if "," in text else Decimal("NaN")
            except InvalidOperation:
                value = Decimal("NaN")
            if value.is_finite():
                self.warn(node, "decimal", f"<{node.tag}> {what} {text!r} uses thousands separators")
        if not value.is_finite():
            self.warn(node, "decimal", f"<{node.tag}> {what} {text!r} is not a number (not imported)")
            return None
        if value.is_zero():
            return "-0" if value.is_signed() else "0"
        if not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
            self.warn(node, "decimal", f"<{node.tag}> {what} {text!r} is out of range (not imported)")
            return None
        if amount and value.adjusted() >= MAX_AMOUNT_DIGITS:
            self.warn(
                node,
                "decimal",
                f"<{node.tag}> {what} {text!r} has more than {MAX_AMOUNT_DIGITS} digits before the decimal point "
                "(not imported)",
            )
            return None
        return _decimal_text(value)

    def percentage(self, node: Any) -> str | None:
        raw = node.get("percentage")
        if raw is None:
            return None
        value = self.decimal(node, raw, "@percentage")
        if value is not None and not ZERO <= Decimal(value) <= HUNDRED:
            self.warn(node, "percentage", f"<{node.tag}> percentage {raw} is outside 0-100")
        return value

    def boolean(self, node: Any, attribute: str) -> bool | None:
        raw = node.get(attribute)
        if raw is None:
            return None
        if raw in BOOLEANS:
            return BOOLEANS[raw]
        raw = raw.strip().lower()
        if not raw:
            return None
        if raw in BOOLEANS:
            return BOOLEANS[raw]
        self.warn(node, "boolean", f"<{node.tag} @{attribute}> {raw!r} is not 0/1/true/false")
        return None

    def currency(self, node: Any) -> str:
        raw = (node.get("currency") or "").strip() or self.default_currency
        if not raw:
            self.warn(node, "currency", f"<{node.tag}> has no currency and the activity no default-currency")
            return ""
        if not CURRENCY_RE.match(raw):
            self.warn(node, "currency", f"<{node.tag}> currency {raw!r} is not an ISO 4217 code")
            return raw[:3].upper()
        return raw

    def attr(self, node: Any, name: str) -> str:
        return (node.get(name) or "").strip()

    # the mapping ------------------------------------------------------------------------------------------
    def run(self) -> IatiActivity:
        e = self.elem
        children: dict[Any, list[Any]] = {}
        for child in e:
            group = children.get(child.tag)
            if group is None:
                children[child.tag] = [child]
            else:
                group.append(child)

        def first(tag: str) -> Any:
            group = children.get(tag)
            return group[0] if group else None

        # the values are worked out in the order of the elements' warnings, then written in the order of the keys
        default_currency = (e.get("default-currency") or "").strip()
        if default_currency and not CURRENCY_RE.match(default_currency):
            self.warn(e, "currency", f"default-currency {default_currency!r} is not an ISO 4217 code")
            default_currency = default_currency[:3].upper()
        self.default_currency = default_currency
        hierarchy_text = (e.get("hierarchy") or "").strip()
        hierarchy = (
            int(hierarchy_text)
            if hierarchy_text.isascii() and hierarchy_text.isdigit() and int(hierarchy_text) <= 32767
            else None
        )
        if hierarchy_text and hierarchy is None:
            self.warn(e, "hierarchy", f"hierarchy {hierarchy_text!r} is not a small whole number (not imported)")
        humanitarian = self.boolean(e, "humanitarian")
        last_updated = (e.get("last-updated-datetime") or "").strip() or None
        reporting_org = self.reporting_org(first("reporting-org"))
        titles = self.narratives(first("title"))
        if not titles:
            self.warn(e, "required", "the activity has no title")
        descriptions: list[Description] = [
            {"type": self.attr(node, "type"), "lang": n["lang"], "text": n["text"]}
            for node in children.get("description", ())
            for n in self.narratives(node)
        ]
        participants = [self.participant(node) for node in children.get("participating-org", ())]
        status = first("activity-status")
        activity_status = self.code(status, "code", "ActivityStatus") if status is not None else ""
        dates: ActivityDates = {"planned_start": None, "actual_start": None, "planned_end": None, "actual_end": None}
        date_nodes: dict[str, Any] = {}
        for node in children.get("activity-date", ()):
            kind = self.code(node, "type", "ActivityDateType")
            value = self.date(node)
            name = DATE_TYPES.get(kind)
            if name is None:
                continue
            if dates[name] is not None:
                self.warn(node, "duplicate", f"a second activity-date of type {kind}; the first one is kept")
                continue
            dates[name] = value
            date_nodes[name] = node
        self.check_dates(e, dates, date_nodes)
        recipient_countries: list[RecipientCountry] = [
            {
                "code": self.code(node, "code", "Country"),
                "percentage": self.percentage(node),
                "names": self.narratives(node),
            }
            for node in children.get("recipient-country", ())
        ]
        recipient_regions: list[RecipientRegion] = [
            {
                "code": self.attr(node, "code"),
                "vocabulary": self.attr(node, "vocabulary"),
                "vocabulary_uri": self.attr(node, "vocabulary-uri"),
                "percentage": self.percentage(node),
                "names": self.narratives(node),
            }
            for node in children.get("recipient-region", ())
        ]
        sectors = [self.sector(node) for node in children.get("sector", ())]
        self.check_percentages(e, children, recipient_countries, recipient_regions, sectors)
        budgets = [self.budget(node) for node in children.get("budget", ())]
        transactions = [self.transaction(node) for node in children.get("transaction", ())]
        results = [self.result(node) for node in children.get("result", ())]
        hl = first(f"{{{HEALTHLINKS_NS}}}partnership")
        return {
            "iati_identifier": self.identifier,
            "default_lang": self.lang,
            "default_currency": default_currency,
            "hierarchy": hierarchy,
            "humanitarian": humanitarian,
            "last_updated": last_updated,
            "reporting_org": reporting_org,
            "titles": titles,
            "descriptions": descriptions,
            "participants": participants,
            "activity_status": activity_status,
            "dates": dates,
            "recipient_countries": recipient_countries,
            "recipient_regions": recipient_regions,
            "sectors": sectors,
            "budgets": budgets,
            "transactions": transactions,
            "results": results,
            "hl_partnership": self.attr(hl, "slug") if hl is not None else "",
        }

    # the IATI validator's rules (reported, never refused) ------------------------------------------------------
    def check_dates(self, e: Any, dates: ActivityDates, nodes: dict[str, Any]) -> None:
        """Ends before starts, and actual dates in the future."""
        for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
            first, last = dates[start], dates[end]  # type: ignore[literal-required]
            if first is not None and last is not None and last < first:
                kind = start.split("_")[0]
                self.warn(nodes[end], "dates", f"the {kind} end date {last} is before the {kind} start date {first}")
        today = _today()
        for name in ("actual_start", "actual_end"):
            value = dates[name]
            if value is not None and value > today:
                self.warn(nodes[name], "future", f"the {name.replace('_', ' ')} date {value} is in the future")

    def check_percentages(
        self,
        e: Any,
        children: dict[Any, list[Any]],
        countries: list[RecipientCountry],
        regions: list[RecipientRegion],
        sectors: list[Sector],
    ) -> None:
        """The percentages of the recipient countries and regions together must add up to 100 (IATI Standard
        Ruleset), and so must those of the sectors of each vocabulary, when more than one is given (rounding to
        0.01 is allowed)."""
        groups: dict[str, list[tuple[Any, str | None]]] = {}
        for node, country in zip(children.get("recipient-country", ()), countries, strict=True):
            groups.setdefault(PLACES, []).append((node, country["percentage"]))
        for node, region in zip(children.get("recipient-region", ()), regions, strict=True):
            groups.setdefault(PLACES, []).append((node, region["percentage"]))
        for node, sector in zip(children.get("sector", ()), sectors, strict=True):
            groups.setdefault(f"sectors (vocabulary {sector['vocabulary'] or '1'})", []).append(
                (node, sector["percentage"])
            )
        for what, items in groups.items():
            given = [Decimal(p) for _node, p in items if p is not None]
            if len(items) == 1 and (not given or given[0] == HUNDRED):
                continue
            if len(given) < len(items):
                missing = len(items) - len(given)
                self.warn(items[0][0], "percentages", f"{what}: {missing} of {len(items)} have no percentage")
                continue
            total = sum(given, ZERO)
            if abs(total - HUNDRED) > Decimal("0.01"):
                self.warn(items[0][0], "percentages", f"{what}: percentages add up to {_decimal_text(total)}, not 100")

    def reporting_org(self, node: Any) -> ReportingOrg | None:
        if node is None:
            return None
        ref = self.attr(node, "ref")
        names = self.narratives(node)
        if not ref and not names:
            return None
        org_type = self.code(node, "type", "OrganisationType")
        return {
            "ref": ref,
            "type": org_type,
            "names": names,
            "secondary_reporter": self.boolean(node, "secondary-reporter"),
        }

    def participant(self, node: Any) -> Participant:
        get = node.get
        result: Participant = {
            "role": self.code(node, "role", "OrganisationRole"),
            "type": self.code(node, "type", "OrganisationType", required=False),
            "ref": (get("ref") or "").strip(),
            "activity_id": (get("activity-id") or "").strip(),
            "crs_channel_code": (get("crs-channel-code") or "").strip(),
            "names": self.narratives(node),
            "hl_ror": (get(HL_ROR) or "").strip(),
            "hl_country": (get(HL_COUNTRY) or "").strip(),
        }
        if not result["ref"] and not result["names"]:
            self.warn(node, "participant", "participating-org with neither ref nor name: kept, matched to nothing")
        return result

    def sector(self, node: Any) -> Sector:
        vocabulary = (node.get("vocabulary") or "").strip()
        dac5 = vocabulary in ("", "1")  # only the DAC 5-digit codelist is shipped
        code = self.code(node, "code", "Sector") if dac5 else (node.get("code") or "").strip()
        return {
            "code": code,
            "vocabulary": vocabulary,
            "vocabulary_uri": (node.get("vocabulary-uri") or "").strip(),
            "percentage": self.percentage(node),
            "names": self.narratives(node),
        }

    def _firsts(self, node: Any) -> dict[Any, Any]:
        """The first child of each tag (what ElementPath ``find`` returns), in one pass."""
        out: dict[Any, Any] = {}
        for child in node:
            out.setdefault(child.tag, child)
        return out

    def budget(self, node: Any) -> Budget:
        c = self._firsts(node)
        value = c.get("value")
        start, end = self.date(c.get("period-start")), self.date(c.get("period-end"))
        if start is not None and end is not None:
            if end < start:
                self.warn(node, "budget", f"<budget> period ends ({end}) before it starts ({start})")
            elif end > _one_year_after(start):
                self.warn(node, "budget", f"<budget> period {start} to {end} is longer than one year")
        result: Budget = {
            "type": self.attr(node, "type"),
            "status": self.attr(node, "status"),
            "period_start": start,
            "period_end": end,
            "value": (
                self.decimal(value, value.text, "value", amount=True)
                if value is not None
                else self._missing(node, "value")
            ),
            "currency": self.currency(value) if value is not None else "",
            "value_date": self.date(value, "value-date") if value is not None else None,
        }
        return result

    def _missing(self, node: Any, child: str) -> str | None:
        """Report a missing child element; nothing to import from it."""
        self.warn(node, "required", f"<{node.tag}> has no <{child}>")
        return None

    def _missing_text(self, node: Any) -> str:
        self._missing(node, "transaction-type")
        return ""

    def _org(self, node: Any, prefix: str) -> TransactionOrg:
        if node is None:
            return {"ref": "", "type": "", "activity_id": "", "names": []}
        return {
            "ref": (node.get("ref") or "").strip(),
            "type": self.code(node, "type", "OrganisationType", required=False),
            "activity_id": (node.get(f"{prefix}-activity-id") or "").strip(),
            "names": self.narratives(node),
        }

    def transaction(self, node: Any) -> Transaction:
        c = self._firsts(node)
        kind = c.get("transaction-type")
        value = c.get("value")
        when = self.date(c.get("transaction-date"))
        if when is not None and when > _today():
            self.warn(c["transaction-date"], "future", f"<transaction-date> {when} is in the future")
        return {
            "ref": (node.get("ref") or "").strip(),
            "humanitarian": self.boolean(node, "humanitarian"),
            "type": self.code(kind, "code", "TransactionType") if kind is not None else self._missing_text(node),
            "date": when,
            "value": (
                self.decimal(value, value.text, "value", amount=True)
                if value is not None
                else self._missing(node, "value")
            ),
            "currency": self.currency(value) if value is not None else "",
            "value_date": self.date(value, "value-date") if value is not None else None,
            "descriptions": self.narratives(c.get("description")),
            "provider": self._org(c.get("provider-org"), "provider"),
            "receiver": self._org(c.get("receiver-org"), "receiver"),
        }

    def _measured(self, node: Any) -> Measured:
        out: Measured = {
            "value": node.get("value"),
            "dimensions": [
                {"name": d.get("name") or "", "value": d.get("value") or ""} for d in node.iterchildren("dimension")
            ],
            "comment": self.narratives(next(node.iterchildren("comment"), None)),
        }
        return out

    def result(self, node: Any) -> Result:
        indicators: list[Indicator] = []
        for ind in node.iterchildren("indicator"):
            baselines: list[Baseline] = []
            for b in ind.iterchildren("baseline"):
                measured = self._measured(b)
                baselines.append(
                    {
                        "value": measured["value"],
                        "dimensions": measured["dimensions"],
                        "comment": measured["comment"],
                        "year": self.attr(b, "year"),
                        "iso_date": self.date(b) if b.get("iso-date") else None,
                    }
                )
            periods: list[Period] = []
            for p in ind.iterchildren("period"):
                c = self._firsts(p)
                periods.append(
                    {
                        "period_start": self.date(c.get("period-start")),
                        "period_end": self.date(c.get("period-end")),
                        "targets": [self._measured(t) for t in p.iterchildren("target")],
                        "actuals": [self._measured(a) for a in p.iterchildren("actual")],
                    }
                )
            c = self._firsts(ind)
            indicators.append(
                {
                    "measure": self.attr(ind, "measure"),
                    "ascending": self.boolean(ind, "ascending"),
                    "aggregation_status": self.boolean(ind, "aggregation-status"),
                    "titles": self.narratives(c.get("title")),
                    "descriptions": self.narratives(c.get("description")),
                    "baselines": baselines,
                    "periods": periods,
                }
            )
        c = self._firsts(node)
        return {
            "type": self.attr(node, "type"),
            "aggregation_status": self.boolean(node, "aggregation-status"),
            "titles": self.narratives(c.get("title")),
            "descriptions": self.narratives(c.get("description")),
            "indicators": indicators,
        }


def _today() -> str:
    """Today as ISO text (dates are compared as the reader keeps them)."""
    return date.today().isoformat()  # noqa: DTZ011 - a calendar date, the publisher's as much as ours


def _one_year_after(start: str) -> str:
    """The ISO date one year after `start` (28 February for 29 February)."""
    first = date.fromisoformat(start)
    try:
        return first.replace(year=first.year + 1).isoformat()
    except ValueError:
        return first.replace(year=first.year + 1, day=28).isoformat()


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
