"""Write projects as IATI 2.03 activity XML that validates against the shipped schema.

Healthlinks' own fields travel in the namespace ``HEALTHLINKS_NS`` at the schema's ``##other`` extension
points: ``<healthlinks:partnership slug=… name=…/>`` as the last child of each iati-activity, and
``healthlinks:ror`` / ``healthlinks:country`` (ISO 3166-1 alpha-3) on participating-org. Where the schema
requires something the project lacks, the export falls back as documented in docs/iati.md (and never
invents money or dates beyond these rules).

Each activity is written directly as text, exactly as lxml pretty-prints it (two spaces a level, empty elements
as ``<x/>``, lxml's escaping; tested by re-serialising with lxml): building lxml elements cost more than
everything else in a large export. Text XML 1.0 cannot hold (control characters) is refused with ValueError, as
lxml refuses it. `activity_element` gives the lxml element."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from lxml import etree

from healthlinks.interchange.iati.standard import EXPORT_VERSION, HEALTHLINKS_NS, safe_parser
from healthlinks.projects.models import Project, first_text
from healthlinks.projects.selectors import iter_with_parts

NS_DECLARATION = f' xmlns:healthlinks="{HEALTHLINKS_NS}"'
DATE_TYPES = (("1", "planned_start"), ("2", "actual_start"), ("3", "planned_end"), ("4", "actual_end"))
# what lxml escapes (text: & < > CR; attributes: also " LF TAB), and what XML 1.0 cannot hold at all
_INVALID_CHARS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ud800-\\udfff\\ufffe\\uffff"
_TEXT_SPECIAL = re.compile(f"[&<>\\r{_INVALID_CHARS}]")
_ATTR_SPECIAL = re.compile(f'[&<>"\\n\\r\\t{_INVALID_CHARS}]')
_INVALID = re.compile(f"[{_INVALID_CHARS}]")
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES = {**_TEXT_ESCAPES, '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
_ATTRIBUTES: dict[tuple[str, str], str] = {}  # ' name="value"', for the many repeated ones (codes, dates)
Attrs = list[tuple[str, str]]


def _escape(value: str, special: re.Pattern[str], escapes: dict[str, str]) -> str:
    if not special.search(value):
        return value
    if _INVALID.search(value):
        raise ValueError(f"All strings must be XML compatible: {value[:60]!r} holds a control character")
    return special.sub(lambda m: escapes[m.group()], value)


def _attribute(name: str, value: str) -> str:
    key = (name, value)
    text = _ATTRIBUTES.get(key)
    if text is None:
        text = f' {name}="{_escape(value, _ATTR_SPECIAL, _ATTR_ESCAPES)}"'
        if len(value) < 40:
            if len(_ATTRIBUTES) > 50_000:  # bounded: memory stays flat
                _ATTRIBUTES.clear()
            _ATTRIBUTES[key] = text
    return text


def _num(value: Decimal | None) -> str:
    if value is None:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _flag(value: bool) -> str:
    return "1" if value else "0"


class _Writer:
    """One activity as lines of pretty-printed XML."""

    def __init__(self, project: Any, left_out: list[str] | None = None) -> None:
        self.p = project
        self.lang = project.default_lang
        self.out: list[str] = []
        self.depth = 0
        self.left_out = left_out if left_out is not None else []

    def leave_out(self, what: str, why: str) -> None:
        """Something the standard cannot carry without what it lacks: not written, and said so."""
        self.left_out.append(f"{self.p.iati_identifier}: {what} left out: {why}")

    # -- the XML ----------------------------------------------------------------------------------------------
    def open(self, tag: str, attrs: Attrs | None = None, declaration: str = "") -> tuple[str, str, int]:
        """Start an element that may get children; `close` it with what this returns."""
        head = "  " * self.depth + "<" + tag + declaration + "".join([_attribute(k, v) for k, v in attrs or ()])
        self.out.append(head + ">\n")
        self.depth += 1
        return tag, head, len(self.out)

    def close(self, opened: tuple[str, str, int]) -> None:
        tag, head, mark = opened
        self.depth -= 1
        if len(self.out) == mark:  # no child after all: an empty element
            self.out[-1] = head + "/>\n"
        else:
            self.out.append("  " * self.depth + "</" + tag + ">\n")

    def leaf(self, tag: str, attrs: Attrs | None = None, text: str | None = None) -> None:
        head = "  " * self.depth + "<" + tag + "".join([_attribute(k, v) for k, v in attrs or ()])
        if text is None:
            self.out.append(head + "/>\n")
        else:
            self.out.append(f"{head}>{_escape(text, _TEXT_SPECIAL, _TEXT_ESCAPES)}</{tag}>\n")

    def narratives(self, items: list[dict[str, str]] | None, fallback: str = "") -> None:
        written = False
        for item in items or ():
            text = item.get("text")
            if text:
                lang = item.get("lang") or ""
                self.leaf("narrative", [("xml:lang", lang)] if lang and lang != self.lang else None, text)
                written = True
        if not written and fallback:
            self.leaf("narrative", None, fallback)

    def text_el(
        self, tag: str, items: list[dict[str, str]] | None, fallback: str = "", attrs: Attrs | None = None
    ) -> None:
        if not items and not fallback:
            return
        opened = self.open(tag, [(k, v) for k, v in attrs or () if v])
        self.narratives(items, fallback)
        self.close(opened)

    # -- the activity ---------------------------------------------------------------------------------------
    def write(self) -> list[str]:
        p = self.p
        attrs: Attrs = []
        if p.last_updated:
            attrs.append(("last-updated-datetime", p.last_updated.isoformat()))
        if p.default_lang:
            attrs.append(("xml:lang", p.default_lang))
        if p.default_currency:
            attrs.append(("default-currency", p.default_currency))
        if p.humanitarian is not None:
            attrs.append(("humanitarian", _flag(p.humanitarian)))
        if p.hierarchy is not None:
            attrs.append(("hierarchy", str(p.hierarchy)))
        activity = self.open("iati-activity", attrs, NS_DECLARATION)
        self.leaf("iati-identifier", None, p.iati_identifier)
        inst = p.reporting_org  # None: the publisher was not filed as an institution (its country is not known)
        attrs = [
            ("ref", p.reporting_org_ref or (inst.iati_org_id if inst is not None else "") or ""),
            ("type", p.reporting_org_type or (inst.org_type_id if inst is not None else "") or "90"),
        ]
        if p.secondary_reporter is not None:
            attrs.append(("secondary-reporter", _flag(p.secondary_reporter)))
        opened = self.open("reporting-org", attrs)
        self.narratives(p.reporting_org_names, inst.name if inst is not None else p.reporting_org_ref)
        self.close(opened)
        self.text_el("title", p.titles, p.iati_identifier)
        by_type: dict[str, list[dict[str, str]]] = {}
        for d in p.descriptions:
            by_type.setdefault(d.get("type", ""), []).append(d)
        for kind, items in by_type.items():
            self.text_el("description", items, attrs=[("type", kind)])
        if not by_type:  # required by the schema: the partnership's summary, else the title
            summary = p.partnership.summary if p.partnership is not None else ""
            fallback = summary or p.title or p.iati_identifier
            self.text_el("description", [], fallback, attrs=[("type", "1")])
        self.participants()
        self.leaf("activity-status", [("code", p.activity_status or self.derived_status())])
        dates = [(code, getattr(p, name)) for code, name in DATE_TYPES if getattr(p, name)]
        if not dates:
            dates = [("1", p.partnership.start_date if p.partnership is not None else p.created_at.date())]
        for code, value in dates:
            self.leaf("activity-date", [("type", code), ("iso-date", value.isoformat())])
        for c in p.recipient_countries:
            attrs = [("code", c["code"])]
            if c.get("percentage") is not None:
                attrs.append(("percentage", c["percentage"]))
            self.with_narratives("recipient-country", attrs, c.get("names"))
        for r in p.recipient_regions:
            attrs = [("code", r["code"])]
            attrs += [(name.replace("_", "-"), r[name]) for name in ("vocabulary", "vocabulary_uri") if r.get(name)]
            if r.get("percentage") is not None:
                attrs.append(("percentage", r["percentage"]))
            self.with_narratives("recipient-region", attrs, r.get("names"))
        for s in p.sectors:
            attrs = [(name.replace("_", "-"), s[name]) for name in ("vocabulary", "vocabulary_uri") if s.get(name)]
            attrs.append(("code", s["code"]))
            if s.get("percentage") is not None:
                attrs.append(("percentage", s["percentage"]))
            self.with_narratives("sector", attrs, s.get("names"))
        self.budgets()
        self.transactions()
        self.links()
        self.results()
        if p.partnership is not None:  # None: held for review
            self.leaf("healthlinks:partnership", [("slug", p.partnership.slug), ("name", p.partnership.name)])
        self.close(activity)
        return self.out

    def links(self) -> None:
        """document-link and related-activity (between transaction and result): none for an imported project;
        publish.py's writers add them."""

    def with_narratives(self, tag: str, attrs: Attrs, names: list[dict[str, str]] | None) -> None:
        if names:
            opened = self.open(tag, attrs)
            self.narratives(names)
            self.close(opened)
        else:
            self.leaf(tag, attrs)

    def participants(self) -> None:
        participants = list(self.p.participants.all())
        for part in participants:
            ref = part.ref or (part.institution.iati_org_id if part.institution else "") or ""
            attrs = [
                (name, value)
                for name, value in (
                    ("ref", ref),
                    ("type", part.org_type),
                    ("role", part.role or "4"),
                    ("activity-id", part.activity_id),
                    ("crs-channel-code", part.crs_channel_code),
                )
                if value
            ]
            if part.institution is not None:
                if part.institution.ror_id:
                    attrs.append(("healthlinks:ror", part.institution.ror_id))
                attrs.append(("healthlinks:country", part.institution.country_id))
            opened = self.open("participating-org", attrs)
            self.narratives(part.names, part.institution.name if part.institution else "")
            self.close(opened)
        if not participants and self.p.partnership is not None:
            # the schema needs one: the partnership's members, as implementing organisations
            for member in self.p.partnership.members.select_related("institution"):
                attrs = [("role", "4")]
                if member.institution.iati_org_id:
                    attrs.append(("ref", member.institution.iati_org_id))
                attrs.append(("healthlinks:country", member.institution.country_id))
                opened = self.open("participating-org", attrs)
                self.narratives([], member.institution.name)
                self.close(opened)

    def budgets(self) -> None:
        for n, b in enumerate(self.p.budgets.all(), start=1):
            if b.period_start is None or b.period_end is None or b.value is None:  # the schema needs all three
                self.leave_out(f"budget {n}", "it has no start date, end date or value")
                continue
            attrs = []
            if b.budget_type:
                attrs.append(("type", b.budget_type))
            if b.status:
                attrs.append(("status", b.status))
            opened = self.open("budget", attrs)
            self.leaf("period-start", [("iso-date", b.period_start.isoformat())])
            self.leaf("period-end", [("iso-date", b.period_end.isoformat())])
            self.value(b.value, b.currency, b.value_date or b.period_start)
            self.close(opened)

    def transactions(self) -> None:
        for n, t in enumerate(self.p.transactions.all(), start=1):
            lacking = [
                name
                for name, missing in (
                    ("type", not t.transaction_type),
                    ("date", t.date is None),
                    ("value", t.value is None),
                )
                if missing
            ]
            if lacking:  # each is required by the 2.03 schema
                self.leave_out(f"transaction {t.ref or n}", "no " + ", no ".join(lacking))
                continue
            attrs = []
            if t.ref:
                attrs.append(("ref", t.ref))
            if t.humanitarian is not None:
                attrs.append(("humanitarian", _flag(t.humanitarian)))
            opened = self.open("transaction", attrs)
            self.leaf("transaction-type", [("code", t.transaction_type or "")])
            self.leaf("transaction-date", [("iso-date", t.date.isoformat())])
            self.value(t.value, t.currency, t.value_date or t.date)
            self.text_el("description", t.descriptions)
            for side in ("provider", "receiver"):
                ref, kind, act = (getattr(t, f"{side}_{x}") for x in ("ref", "type", "activity_id"))
                names = getattr(t, f"{side}_names")
                if not (ref or kind or act or names):
                    continue
                org_attrs = [(k, v) for k, v in (("ref", ref), (f"{side}-activity-id", act), ("type", kind)) if v]
                org = self.open(f"{side}-org", org_attrs)
                self.narratives(names)
                self.close(org)
            self.close(opened)

    def results(self) -> None:
        for r in self.p.results.all():
            indicators = list(r.indicators.all())
            if not indicators:  # a result needs an indicator in the schema
                self.leave_out(f"result '{first_text(r.titles)[:80] or 'untitled'}'", "it has no indicator")
                continue
            attrs = [("type", r.result_type or "9")]
            if r.aggregation_status is not None:
                attrs.append(("aggregation-status", _flag(r.aggregation_status)))
            result = self.open("result", attrs)
            self.text_el("title", r.titles, "Result")
            self.text_el("description", r.descriptions)
            for i in indicators:
                attrs = [("measure", i.measure or "1")]
                for name, flag in (("ascending", i.ascending), ("aggregation-status", i.aggregation_status)):
                    if flag is not None:
                        attrs.append((name, _flag(flag)))
                indicator = self.open("indicator", attrs)
                self.text_el("title", i.titles, "Indicator")
                self.text_el("description", i.descriptions)
                for b in i.baselines:
                    if not str(b.get("year") or "").isdigit() or int(b["year"]) < 1:
                        self.leave_out(
                            f"a baseline of indicator '{first_text(i.titles)[:80] or 'untitled'}'", "it has no year"
                        )
                        continue
                    attrs = [("year", str(b["year"]))]
                    if b.get("iso_date"):
                        attrs.append(("iso-date", b["iso_date"]))
                    if b.get("value") is not None:
                        attrs.append(("value", b["value"]))
                    self.measured("baseline", attrs, b)
                for period in i.periods.all():
                    if period.period_start is None or period.period_end is None:
                        self.leave_out(
                            f"a period of indicator '{first_text(i.titles)[:80] or 'untitled'}'",
                            "it has no start or end date",
                        )
                        continue
                    opened = self.open("period")
                    self.leaf("period-start", [("iso-date", period.period_start.isoformat())])
                    self.leaf("period-end", [("iso-date", period.period_end.isoformat())])
                    for tag, items in (("target", period.targets), ("actual", period.actuals)):
                        for item in items:
                            value = item.get("value")
                            self.measured(tag, [("value", value)] if value is not None else [], item)
                    self.close(opened)
                self.close(indicator)
            self.close(result)

    def measured(self, tag: str, attrs: Attrs, item: dict[str, Any]) -> None:
        opened = self.open(tag, attrs)
        for d in item.get("dimensions") or []:
            self.leaf("dimension", [(k, d[k]) for k in ("name", "value") if d.get(k)])
        if item.get("comment"):
            self.text_el("comment", item["comment"])
        self.close(opened)

    def value(self, amount: Decimal, currency: str, value_date: date) -> None:
        attrs = [("value-date", value_date.isoformat())]
        if currency:
            attrs.append(("currency", currency))
        self.leaf("value", attrs, _num(amount))

    def derived_status(self) -> str:
        """Only when no status was recorded: from the dates (4 closed, 2 implementation, 1 pipeline)."""
        today = timezone.localdate()
        end = self.p.actual_end or self.p.planned_end
        if end and end < today:
            return "4"
        if self.p.actual_start or (self.p.planned_start and self.p.planned_start <= today):
            return "2"
        return "1"


# The writer and number format, public for publish.py (IATI publishing of partnerships).
ActivityWriter = _Writer
format_number = _num


def activity_text(project: Any) -> str:
    """The project's iati-activity as pretty-printed XML (what write_activities writes for it)."""
    return "".join(_Writer(project).write())


def activity_element(project: Any) -> Any:
    """The project's iati-activity as an lxml element."""
    return etree.fromstring(activity_text(project).encode(), safe_parser())


def write_activities(projects: Iterable[Any], out: IO[bytes], left_out: list[str] | None = None) -> int:
    """Stream `projects` (fetched with projects.selectors.with_parts or iter_with_parts) to `out`; returns how
    many. What the standard could not carry is not written and is named in `left_out`."""
    count = 0
    generated = timezone.now().replace(microsecond=0).isoformat()
    out.write(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<iati-activities{NS_DECLARATION} version="{EXPORT_VERSION}" generated-datetime="{generated}">'.encode()
    )
    buffer: list[str] = []
    for project in projects:
        buffer += _Writer(project, left_out).write()
        count += 1
        if len(buffer) > 20_000:
            out.write("".join(buffer).encode())
            buffer.clear()
    buffer.append("</iati-activities>")
    out.write("".join(buffer).encode())
    return count


def export_projects(projects: QuerySet[Project], out: IO[bytes], left_out: list[str] | None = None) -> int:
    """Stream every project of `projects` in primary key order (read in chunks as light objects by
    projects.selectors.iter_with_parts: the fast path for many projects); returns how many."""
    return write_activities(iter_with_parts(projects), out, left_out)
