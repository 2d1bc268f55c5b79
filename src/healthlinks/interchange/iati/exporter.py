"""Write projects as IATI 2.03 activity XML that validates against the shipped schema.

Healthlinks' own fields travel in the namespace ``HEALTHLINKS_NS`` at the schema's ``##other`` extension
points: ``<healthlinks:partnership slug=… name=…/>`` as the last child of each iati-activity, and
``healthlinks:ror`` / ``healthlinks:country`` (ISO 3166-1 alpha-3) on participating-org. Where the schema
requires something the project lacks, the export falls back as documented in docs/iati.md (and never
invents money or dates beyond these rules)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from lxml import etree

from healthlinks.interchange.iati.standard import EXPORT_VERSION, HEALTHLINKS_NS, XML_LANG
from healthlinks.projects.models import Project

HL = f"{{{HEALTHLINKS_NS}}}"
NSMAP = {"healthlinks": HEALTHLINKS_NS}
DATE_TYPES = (("1", "planned_start"), ("2", "actual_start"), ("3", "planned_end"), ("4", "actual_end"))


def _num(value: Decimal | None) -> str:
    if value is None:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


class _Builder:
    def __init__(self, project: Project) -> None:
        self.p = project
        self.lang = project.default_lang

    def narratives(self, parent: Any, items: list[dict[str, str]] | None, fallback: str = "") -> None:
        items = [i for i in (items or []) if i.get("text")]
        if not items and fallback:
            items = [{"lang": self.lang, "text": fallback}]
        for item in items:
            n = etree.SubElement(parent, "narrative")
            lang = item.get("lang") or ""
            if lang and lang != self.lang:
                n.set(XML_LANG, lang)
            n.text = item["text"]

    def text_el(
        self, parent: Any, tag: str, items: list[dict[str, str]] | None, fallback: str = "", **attrs: str
    ) -> Any:
        if not items and not fallback:
            return None
        el = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items() if v})
        self.narratives(el, items, fallback)
        return el

    def build(self) -> Any:
        p = self.p
        a = etree.Element("iati-activity", nsmap=NSMAP)
        if p.last_updated:
            a.set("last-updated-datetime", p.last_updated.isoformat())
        if p.default_lang:
            a.set(XML_LANG, p.default_lang)
        if p.default_currency:
            a.set("default-currency", p.default_currency)
        if p.humanitarian is not None:
            a.set("humanitarian", "1" if p.humanitarian else "0")
        if p.hierarchy is not None:
            a.set("hierarchy", str(p.hierarchy))
        etree.SubElement(a, "iati-identifier").text = p.iati_identifier
        inst = p.reporting_org
        rep = etree.SubElement(
            a,
            "reporting-org",
            ref=p.reporting_org_ref or inst.iati_org_id or "",
            type=p.reporting_org_type or (inst.org_type_id or "90"),
        )
        if p.secondary_reporter is not None:
            rep.set("secondary-reporter", "1" if p.secondary_reporter else "0")
        self.narratives(rep, p.reporting_org_names, inst.name)
        self.text_el(a, "title", p.titles, p.iati_identifier)
        by_type: dict[str, list[dict[str, str]]] = {}
        for d in p.descriptions:
            by_type.setdefault(d.get("type", ""), []).append(d)
        for kind, items in by_type.items():
            self.text_el(a, "description", items, type=kind)
        if not by_type:  # required by the schema: the partnership's summary, else the title
            fallback = p.partnership.summary or p.title or p.iati_identifier
            self.text_el(a, "description", [], fallback, type="1")
        participants = list(p.participants.all())
        for part in participants:
            el = etree.SubElement(a, "participating-org")
            ref = part.ref or (part.institution.iati_org_id if part.institution else "") or ""
            for attr, value in (
                ("ref", ref),
                ("type", part.org_type),
                ("role", part.role or "4"),
                ("activity-id", part.activity_id),
                ("crs-channel-code", part.crs_channel_code),
            ):
                if value:
                    el.set(attr, value)
            if part.institution is not None:
                if part.institution.ror_id:
                    el.set(HL + "ror", part.institution.ror_id)
                el.set(HL + "country", part.institution.country_id)
            self.narratives(el, part.names, part.institution.name if part.institution else "")
        if not participants:  # the schema needs one: the partnership's members, as implementing organisations
            for member in p.partnership.members.select_related("institution"):
                el = etree.SubElement(a, "participating-org", role="4")
                if member.institution.iati_org_id:
                    el.set("ref", member.institution.iati_org_id)
                el.set(HL + "country", member.institution.country_id)
                self.narratives(el, [], member.institution.name)
        etree.SubElement(a, "activity-status", code=p.activity_status or self.derived_status())
        dates = [(code, getattr(p, name)) for code, name in DATE_TYPES if getattr(p, name)]
        if not dates:
            dates = [("1", p.partnership.start_date)]
        for code, value in dates:
            etree.SubElement(a, "activity-date", type=code, **{"iso-date": value.isoformat()})
        for c in p.recipient_countries:
            el = etree.SubElement(a, "recipient-country", code=c["code"])
            if c.get("percentage") is not None:
                el.set("percentage", c["percentage"])
            self.narratives(el, c.get("names"))
        for r in p.recipient_regions:
            el = etree.SubElement(a, "recipient-region", code=r["code"])
            for attr in ("vocabulary", "vocabulary_uri"):
                if r.get(attr):
                    el.set(attr.replace("_", "-"), r[attr])
            if r.get("percentage") is not None:
                el.set("percentage", r["percentage"])
            self.narratives(el, r.get("names"))
        for s in p.sectors:
            el = etree.SubElement(a, "sector")
            for attr in ("vocabulary", "vocabulary_uri"):
                if s.get(attr):
                    el.set(attr.replace("_", "-"), s[attr])
            el.set("code", s["code"])
            if s.get("percentage") is not None:
                el.set("percentage", s["percentage"])
            self.narratives(el, s.get("names"))
        for b in p.budgets.all():
            if b.period_start is None or b.period_end is None or b.value is None:
                continue  # the schema needs both dates and a value; such a budget was reported at import
            el = etree.SubElement(a, "budget")
            if b.budget_type:
                el.set("type", b.budget_type)
            if b.status:
                el.set("status", b.status)
            etree.SubElement(el, "period-start", {"iso-date": b.period_start.isoformat()})
            etree.SubElement(el, "period-end", {"iso-date": b.period_end.isoformat()})
            self.value(el, b.value, b.currency, b.value_date or b.period_start)
        for t in p.transactions.all():
            if t.date is None or t.value is None:
                continue
            el = etree.SubElement(a, "transaction")
            if t.ref:
                el.set("ref", t.ref)
            if t.humanitarian is not None:
                el.set("humanitarian", "1" if t.humanitarian else "0")
            etree.SubElement(el, "transaction-type", code=t.transaction_type or "")
            etree.SubElement(el, "transaction-date", {"iso-date": t.date.isoformat()})
            self.value(el, t.value, t.currency, t.value_date or t.date)
            self.text_el(el, "description", t.descriptions)
            for side in ("provider", "receiver"):
                ref, kind, act = (getattr(t, f"{side}_{x}") for x in ("ref", "type", "activity_id"))
                names = getattr(t, f"{side}_names")
                if not (ref or kind or act or names):
                    continue
                org = etree.SubElement(el, f"{side}-org")
                for attr, value in (("ref", ref), (f"{side}-activity-id", act), ("type", kind)):
                    if value:
                        org.set(attr, value)
                self.narratives(org, names)
        for r in p.results.all():
            indicators = list(r.indicators.all())
            if not indicators:
                continue  # a result needs an indicator in the schema
            el = etree.SubElement(a, "result", type=r.result_type or "9")
            if r.aggregation_status is not None:
                el.set("aggregation-status", "1" if r.aggregation_status else "0")
            self.text_el(el, "title", r.titles, "Result")
            self.text_el(el, "description", r.descriptions)
            for i in indicators:
                ind = etree.SubElement(el, "indicator", measure=i.measure or "1")
                for attr, flag in (("ascending", i.ascending), ("aggregation-status", i.aggregation_status)):
                    if flag is not None:
                        ind.set(attr, "1" if flag else "0")
                self.text_el(ind, "title", i.titles, "Indicator")
                self.text_el(ind, "description", i.descriptions)
                for b in i.baselines:
                    if not str(b.get("year") or "").isdigit() or int(b["year"]) < 1:
                        continue
                    base = etree.SubElement(ind, "baseline", year=str(b["year"]))
                    if b.get("iso_date"):
                        base.set("iso-date", b["iso_date"])
                    if b.get("value") is not None:
                        base.set("value", b["value"])
                    self.measured(base, b)
                for period in i.periods.all():
                    if period.period_start is None or period.period_end is None:
                        continue
                    pe = etree.SubElement(ind, "period")
                    etree.SubElement(pe, "period-start", {"iso-date": period.period_start.isoformat()})
                    etree.SubElement(pe, "period-end", {"iso-date": period.period_end.isoformat()})
                    for tag, items in (("target", period.targets), ("actual", period.actuals)):
                        for item in items:
                            m = etree.SubElement(pe, tag)
                            if item.get("value") is not None:
                                m.set("value", item["value"])
                            self.measured(m, item)
        etree.SubElement(a, HL + "partnership", slug=p.partnership.slug, name=p.partnership.name)
        return a

    def measured(self, el: Any, item: dict[str, Any]) -> None:
        for d in item.get("dimensions") or []:
            dim = etree.SubElement(el, "dimension")
            if d.get("name"):
                dim.set("name", d["name"])
            if d.get("value"):
                dim.set("value", d["value"])
        if item.get("comment"):
            self.text_el(el, "comment", item["comment"])

    def value(self, parent: Any, amount: Decimal, currency: str, value_date: date) -> None:
        v = etree.SubElement(parent, "value", {"value-date": value_date.isoformat()})
        if currency:
            v.set("currency", currency)
        v.text = _num(amount)

    def derived_status(self) -> str:
        """Only when no status was recorded: from the dates (4 closed, 2 implementation, 1 pipeline)."""
        today = timezone.localdate()
        end = self.p.actual_end or self.p.planned_end
        if end and end < today:
            return "4"
        if self.p.actual_start or (self.p.planned_start and self.p.planned_start <= today):
            return "2"
        return "1"


def activity_element(project: Project) -> Any:
    return _Builder(project).build()


def write_activities(projects: Iterable[Project], out: IO[bytes]) -> int:
    """Stream `projects` (fetched with projects.selectors.with_parts) to `out`; returns how many."""
    count = 0
    generated = timezone.now().replace(microsecond=0).isoformat()
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("iati-activities", {"version": EXPORT_VERSION, "generated-datetime": generated}, nsmap=NSMAP):
            for project in projects:
                xf.write(activity_element(project), pretty_print=True)
                count += 1
    return count
