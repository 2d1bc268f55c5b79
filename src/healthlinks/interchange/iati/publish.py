"""Publish what partnerships do as IATI 2.03: each published partnership as an activity (hierarchy 1) with its
projects as child activities (hierarchy 2), all under the hub's publisher prefix, and the hub's organisation file.

`publish_partnerships(partnerships, *, publisher, out)` takes any iterable of partnerships (one, all published, a
programme's) and returns what was not published, in words: drafts and archived partnerships (never published),
and every part the standard cannot carry as recorded (the exporter's left-out mechanism). When nothing can be
published it raises `NothingToPublish` before writing a byte, so no invalid file is ever produced.

Mapping (docs/iati.md, "Publishing"): reporting-org the hub; participating-org the funding schemes' funders (role
1, funding) and the member institutions (role 4, implementing); recipient-country the members' countries outside
the World Bank's high-income group, equal shares; sector DAC 5-digit codes from the specialties and the activities'
purpose codes, half each when both are known; activity-status and activity-date from the partnership's dates;
budget the recorded cash costs by calendar year in the reporting currency (indicative); transaction one expenditure
(type 4) per cash cost dated up to today; document-link the partnership's page (and results page); result, indicator,
baseline, period, target and actual from the results framework, split by sex and cadre as recorded."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from types import SimpleNamespace
from typing import IO, Any

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from healthlinks import labels
from healthlinks.activities.models import Activity
from healthlinks.interchange.iati.exporter import NS_DECLARATION, ActivityWriter, format_number
from healthlinks.interchange.iati.standard import EXPORT_VERSION, codelist
from healthlinks.projects.models import Project
from healthlinks.projects.selectors import with_parts
from healthlinks.registry.models import IATI_ORG_RE, Lifecycle, Partnership, Publication
from healthlinks.results.models import CashCost, InKindContribution, Measure
from healthlinks.results.selectors import Converter, reporting_currency, results_framework

# Specialty -> DAC 5-digit purpose code (IATI Sector vocabulary 1). Partnerships train health workers: specialist
# (tertiary) care is 12181 Medical education/training, basic care 12281 Health personnel development.
SPECIALTY_SECTORS = {
    "anaesthesia": "12181",
    "surgery": "12181",
    "obstetrics-gynaecology": "13081",
    "paediatrics": "12181",
    "emergency-care": "12181",
    "mental-health": "12340",
    "nursing": "12281",
    "midwifery": "13081",
    "palliative-care": "12281",
    "pharmacy": "12281",
    "laboratory": "12181",
    "radiology": "12181",
    "public-health": "12281",
    "health-management": "12110",
    "infectious-diseases": "12250",
    "ophthalmology": "12181",
    "orthopaedics": "12181",
    "physiotherapy": "12181",
    "oncology": "12181",
    "dentistry": "12181",
    "biomedical-engineering": "12230",
    "primary-care": "12281",
}
STATUS = {Lifecycle.PLANNED: "1", Lifecycle.ACTIVE: "2", Lifecycle.CLOSED: "4"}  # IATI ActivityStatus
RESULT_DIMENSIONS = {"sex": "sex", "cadre": "cadre (ISCO-08)"}
CENT = Decimal("0.01")


class NothingToPublish(ValueError):
    """Nothing can be published (or publishing is not set up); the message says why, in words."""


@dataclass(frozen=True)
class Publisher:
    """Who publishes: the hub's IATI organisation identifier (the prefix of every activity identifier), name,
    IATI organisation type, and the public address of the site."""

    ref: str
    name: str
    org_type: str
    site_url: str


def publisher_from_settings() -> Publisher:
    """The hub as set by HEALTHLINKS_IATI_PUBLISHER(_NAME, _TYPE) and HEALTHLINKS_PUBLIC_URL."""
    ref = str(getattr(settings, "HEALTHLINKS_IATI_PUBLISHER", "") or "").strip()
    if not ref:
        raise NothingToPublish(
            _(
                "IATI publishing is not set up: set HEALTHLINKS_IATI_PUBLISHER to the hub's IATI organisation "
                "identifier (for example GB-CHC-1234567)."
            )
        )
    if not IATI_ORG_RE.match(ref):
        raise NothingToPublish(
            _(
                "HEALTHLINKS_IATI_PUBLISHER is {ref}, which is not an IATI organisation identifier (agency prefix "
                "and id, for example GB-CHC-1234567)."
            ).format(ref=ref)
        )
    org_type = str(getattr(settings, "HEALTHLINKS_IATI_PUBLISHER_TYPE", "21"))
    if org_type not in codelist("OrganisationType").codes:
        raise NothingToPublish(
            _("HEALTHLINKS_IATI_PUBLISHER_TYPE is {code}, which is not an IATI organisation type.").format(
                code=org_type
            )
        )
    name = str(getattr(settings, "HEALTHLINKS_IATI_PUBLISHER_NAME", "") or ref)
    site = str(getattr(settings, "HEALTHLINKS_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    return Publisher(ref=ref, name=name, org_type=org_type, site_url=site)


def partnership_identifier(publisher: Publisher, partnership: Partnership) -> str:
    """Stable: the publisher prefix and the partnership's slug (slugs never change once published)."""
    return f"{publisher.ref}-{partnership.slug}"


def project_identifier(publisher: Publisher, partnership: Partnership, project: Any) -> str:
    return f"{partnership_identifier(publisher, partnership)}-project-{project.pk}"


class LeftOut(list[str]):
    """What was not published, one sentence each; `activities` counts the activities written."""

    activities: int = 0
    partnerships: int = 0


def shares(weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """Percentages with two decimals that add up to exactly 100 (largest remainder), in the order given."""
    total = sum(weights.values(), Decimal(0))
    if not weights or total <= 0:
        return {}
    exact = {key: Decimal(100) * w / total for key, w in weights.items()}
    rounded = {key: value.quantize(CENT, rounding=ROUND_DOWN) for key, value in exact.items()}
    missing = int((Decimal(100) - sum(rounded.values(), Decimal(0))) / CENT)
    for key in sorted(exact, key=lambda k: (rounded[k] - exact[k], list(exact).index(k)))[:missing]:
        rounded[key] += CENT
    return rounded


def _percentage(value: Decimal) -> str:
    return format_number(value)


def split_publishable(partnerships: Iterable[Partnership]) -> tuple[list[Partnership], LeftOut]:
    """The published partnerships, and a sentence for each other one: drafts are never published."""
    chosen: list[Partnership] = []
    refused = LeftOut()
    for p in partnerships:
        if p.deleted_at is not None:
            refused.append(_("{name}: not published to IATI: it has been deleted.").format(name=p.name))
        elif p.publication == Publication.DRAFT:
            refused.append(
                _("{name}: not published to IATI: it is a draft, and drafts are never published.").format(name=p.name)
            )
        elif p.publication != Publication.PUBLISHED:
            refused.append(
                _("{name}: not published to IATI: it is archived; only published partnerships are.").format(name=p.name)
            )
        else:
            chosen.append(p)
    return chosen, refused


class _Child(SimpleNamespace):
    """A project as republished by the hub: its fields, under the hub's identifier and reporting-org."""

    def __init__(self, project: Any, identifier: str, publisher: Publisher) -> None:
        super().__init__(
            iati_identifier=identifier,
            reporting_org_ref=publisher.ref,
            reporting_org_type=publisher.org_type,
            reporting_org_names=[{"lang": "", "text": publisher.name}],
            secondary_reporter=None,
            hierarchy=2,
        )
        self._project = project

    def __getattr__(self, name: str) -> Any:
        return getattr(self._project, name)


class _ProjectWriter(ActivityWriter):
    def __init__(self, child: _Child, parent: str, left_out: list[str]) -> None:
        super().__init__(child, left_out)
        self.parent = parent

    def links(self) -> None:
        self.leaf("related-activity", [("ref", self.parent), ("type", "1")])


class _PartnershipWriter(ActivityWriter):
    """One partnership as an iati-activity (hierarchy 1), with the same pretty-printed text as the exporter."""

    def __init__(
        self,
        partnership: Partnership,
        *,
        publisher: Publisher,
        children: list[str],
        convert: Converter,
        left_out: list[str],
        today: date,
    ) -> None:
        self.identifier = partnership_identifier(publisher, partnership)
        super().__init__(SimpleNamespace(iati_identifier=self.identifier, default_lang="en"), left_out)
        self.partnership = partnership
        self.publisher = publisher
        self.children = children
        self.convert = convert
        self.today = today
        self.currency = reporting_currency()
        self._costs: list[CashCost] | None = None

    def leave_out(self, what: str, why: str) -> None:
        self.left_out.append(
            _("{id} ({name}): {what} left out: {why}").format(
                id=self.identifier, name=self.partnership.name, what=what, why=why
            )
        )

    def write(self) -> list[str]:
        p = self.partnership
        attrs = [
            ("last-updated-datetime", p.updated_at.replace(microsecond=0).isoformat()),
            ("xml:lang", "en"),
            ("default-currency", self.currency),
            ("hierarchy", "1"),
        ]
        activity = self.open("iati-activity", attrs, NS_DECLARATION)
        self.leaf("iati-identifier", None, self.identifier)
        opened = self.open("reporting-org", [("ref", self.publisher.ref), ("type", self.publisher.org_type)])
        self.narratives([], self.publisher.name)
        self.close(opened)
        self.text_el("title", [], p.name)
        self.text_el("description", [], p.summary or p.name, attrs=[("type", "1")])
        self.participants()
        self.leaf("activity-status", [("code", STATUS[Lifecycle(p.lifecycle(self.today))])])
        self.dates()
        self.countries()
        self.sectors()
        self.budgets()
        self.transactions()
        self.links()
        self.results()
        self.leaf("healthlinks:partnership", [("slug", p.slug), ("name", p.name)])
        self.close(activity)
        return self.out

    def participants(self) -> None:
        for scheme in self.partnership.funding_schemes.all():
            opened = self.open("participating-org", [("role", "1")])
            self.narratives([], scheme.funder or scheme.name)
            self.close(opened)
        org_types = codelist("OrganisationType").codes
        for member in self.partnership.members.select_related("institution"):
            inst = member.institution
            attrs = [("role", "4")]
            if inst.iati_org_id:
                attrs.append(("ref", inst.iati_org_id))
            if inst.org_type_id and inst.org_type_id in org_types:
                attrs.append(("type", inst.org_type_id))
            if inst.ror_id:
                attrs.append(("healthlinks:ror", inst.ror_id))
            attrs.append(("healthlinks:country", inst.country_id))
            opened = self.open("participating-org", attrs)
            self.narratives([], inst.name)
            self.close(opened)

    def dates(self) -> None:
        p = self.partnership
        self.leaf("activity-date", [("type", "1"), ("iso-date", p.start_date.isoformat())])
        if p.start_date <= self.today:
            self.leaf("activity-date", [("type", "2"), ("iso-date", p.start_date.isoformat())])
        if p.end_date:
            self.leaf("activity-date", [("type", "3"), ("iso-date", p.end_date.isoformat())])
            if p.end_date <= self.today:
                self.leaf("activity-date", [("type", "4"), ("iso-date", p.end_date.isoformat())])

    def countries(self) -> None:
        known = codelist("Country").codes
        weights: dict[str, Decimal] = {}
        for member in self.partnership.members.select_related("institution__country"):
            country = member.institution.country
            if country.is_high_income:
                continue
            if country.iso2 not in known:
                self.leave_out(
                    _("recipient country {name}").format(name=country.name), _("its code is not in the IATI codelist")
                )
                continue
            weights[country.iso2] = Decimal(1)
        if not weights:
            self.leave_out(_("recipient country"), _("no member institution is in a low- or middle-income country"))
        for code, share in shares(dict(sorted(weights.items()))).items():
            self.leaf("recipient-country", [("code", code), ("percentage", _percentage(share))])

    def sectors(self) -> None:
        specialties: dict[str, Decimal] = defaultdict(Decimal)
        for slug in self.partnership.specialties.values_list("slug", flat=True):
            code = SPECIALTY_SECTORS.get(slug)
            if code is None:
                self.leave_out(_("sector of specialty {slug}").format(slug=slug), _("it has no DAC purpose code"))
            else:
                specialties[code] += 1
        activities: dict[str, Decimal] = defaultdict(Decimal)
        counted = (
            Activity.objects.filter(partnership=self.partnership, purpose_code__isnull=False)
            .values_list("purpose_code_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for code, n in counted:
            activities[code] += n
        weights: dict[str, Decimal] = defaultdict(Decimal)
        for part in (specialties, activities):  # half each when both are known
            total = sum(part.values(), Decimal(0))
            for code, count in part.items():
                weights[code] += count / total
        known = codelist("Sector").codes
        for code in [c for c in weights if c not in known]:
            self.leave_out(_("sector {code}").format(code=code), _("it is not in the IATI DAC 5-digit codelist"))
            del weights[code]
        if not weights:
            self.leave_out(_("sector"), _("no specialty or activity purpose is recorded"))
        for code, share in shares(dict(sorted(weights.items()))).items():
            self.leaf("sector", [("vocabulary", "1"), ("code", code), ("percentage", _percentage(share))])

    def costs(self) -> list[CashCost]:
        if self._costs is None:
            self._costs = list(CashCost.objects.filter(partnership=self.partnership).order_by("spent_on", "pk"))
        return self._costs

    def budgets(self) -> None:
        p = self.partnership
        by_year: dict[int, Decimal] = defaultdict(Decimal)
        for cost in self.costs():
            value = self.convert(cost.amount, cost.currency, cost.spent_on.year)
            if value is None:
                self.leave_out(
                    _("cost {n} ({amount} {currency}, {date}) from the budget").format(
                        n=cost.pk, amount=format_number(cost.amount), currency=cost.currency, date=cost.spent_on
                    ),
                    _("no exchange rate to {currency} for {year}").format(
                        currency=self.currency, year=cost.spent_on.year
                    ),
                )
                continue
            by_year[cost.spent_on.year] += value
        for year, value in sorted(by_year.items()):
            start, end = date(year, 1, 1), date(year, 12, 31)
            if p.start_date <= end and (p.end_date is None or p.end_date >= start):  # clipped to the partnership
                start = max(start, p.start_date)
                end = min(end, p.end_date) if p.end_date else end
            opened = self.open("budget", [("type", "1"), ("status", "1")])
            self.leaf("period-start", [("iso-date", start.isoformat())])
            self.leaf("period-end", [("iso-date", end.isoformat())])
            self.value(value.quantize(CENT), self.currency, start)
            self.close(opened)

    def transactions(self) -> None:
        category = labels.labeller("cost_category")
        for cost in self.costs():
            if cost.spent_on > self.today:
                self.leave_out(
                    _("transaction for cost {n} dated {date}").format(n=cost.pk, date=cost.spent_on),
                    _("it is in the future (transactions are what was spent); it counts in the budget"),
                )
                continue
            opened = self.open("transaction", [("ref", f"cost-{cost.pk}")])
            self.leaf("transaction-type", [("code", "4")])
            self.leaf("transaction-date", [("iso-date", cost.spent_on.isoformat())])
            self.value(cost.amount, cost.currency, cost.spent_on)
            text = category(cost.category) + (f": {cost.description}" if cost.description else "")
            self.text_el("description", [], text)
            self.close(opened)
        in_kind: dict[str, Decimal] = defaultdict(Decimal)
        count = 0
        for value, currency in InKindContribution.objects.filter(partnership=self.partnership).values_list(
            "value", "currency"
        ):
            in_kind[currency] += value
            count += 1
        if count:
            totals = ", ".join(f"{format_number(v)} {c}" for c, v in sorted(in_kind.items()))
            self.leave_out(
                _("{n} in-kind contributions ({totals})").format(n=count, totals=totals),
                _("IATI 2.03 has no transaction type for in-kind value"),
            )

    def links(self) -> None:
        p = self.partnership
        pages = [(reverse("partnership-detail", args=[p.slug]), "A12", _("{name}: partnership page"))]
        if p.results.exists():
            pages.append((reverse("partnership-results", args=[p.slug]), "A08", _("{name}: results framework")))
        for path, category, title in pages:
            opened = self.open("document-link", [("url", self.publisher.site_url + path), ("format", "text/html")])
            self.text_el("title", [], title.format(name=p.name))
            self.leaf("category", [("code", category)])
            self.leaf("language", [("code", "en")])
            self.close(opened)
        for ref in self.children:
            self.leaf("related-activity", [("ref", ref), ("type", "2")])

    def results(self) -> None:
        for item in results_framework(self.partnership):
            result = item["result"]
            if not item["indicators"]:
                self.leave_out(_("result '{title}'").format(title=result.title), _("it has no indicator"))
                continue
            opened = self.open("result", [("type", str(result.level))])
            self.text_el("title", [], result.title)
            if result.description:
                self.text_el("description", [], result.description)
            for entry in item["indicators"]:
                self.indicator(entry["indicator"], entry["periods"])
            self.close(opened)

    def indicator(self, indicator: Any, periods: list[dict[str, Any]]) -> None:
        qualitative = indicator.measure == Measure.QUALITATIVE
        opened = self.open("indicator", [("measure", str(indicator.measure))])
        self.text_el("title", [], indicator.title)
        if indicator.unit:
            self.text_el("description", [], _("Unit: {unit}").format(unit=indicator.unit))
        if indicator.baseline is not None:
            if not indicator.baseline_year:
                self.leave_out(
                    _("the baseline of indicator '{title}'").format(title=indicator.title), _("it has no year")
                )
            else:
                attrs = [("year", str(indicator.baseline_year))]
                if not qualitative:
                    attrs.append(("value", format_number(indicator.baseline)))
                self.leaf("baseline", attrs)
        for row in periods:
            period = row["period"]
            block = self.open("period")
            self.leaf("period-start", [("iso-date", period.start.isoformat())])
            self.leaf("period-end", [("iso-date", period.end.isoformat())])
            for tag in ("target", "actual"):
                total = period.target if tag == "target" else row["actual"]
                if total is not None:
                    self.leaf(tag, [] if qualitative else [("value", format_number(total))])
                for split in row["disaggregations"]:
                    value = split[tag]
                    if value is None:
                        continue
                    dim = self.open(tag, [] if qualitative else [("value", format_number(value))])
                    name = RESULT_DIMENSIONS.get(split["dimension"], split["dimension"])
                    self.leaf("dimension", [("name", name), ("value", str(split["category"]))])
                    self.close(dim)
            self.close(block)
        self.close(opened)


def _header(root: str) -> str:
    generated = timezone.now().replace(microsecond=0).isoformat()
    return (
        "<?xml version='1.0' encoding='utf-8'?>\n"
        f'<{root}{NS_DECLARATION} version="{EXPORT_VERSION}" generated-datetime="{generated}">\n'
    )


def publish_partnerships(
    partnerships: Iterable[Partnership], *, publisher: Publisher, out: IO[bytes], today: date | None = None
) -> LeftOut:
    """Write the published ones of `partnerships`, each followed by its projects, as one iati-activities file to
    `out`; return what was left out (drafts and archived partnerships, parts the standard cannot carry), one
    sentence each. Raise NothingToPublish, writing nothing, when none of them is published."""
    chosen, left_out = split_publishable(partnerships)
    if not chosen:
        reasons = " ".join(left_out) if left_out else _("no partnership was selected.")
        raise NothingToPublish(_("Nothing to publish to IATI: {reasons} No file written.").format(reasons=reasons))
    today = today or timezone.localdate()
    convert = Converter()
    with translation.override("en"):
        out.write(_header("iati-activities").encode())
        for p in chosen:
            projects = []
            own = partnership_identifier(publisher, p)
            for project in with_parts(Project.objects.filter(partnership=p).order_by("pk")):
                if project.iati_identifier == own or project.iati_identifier.startswith(f"{own}-project-"):
                    left_out.append(
                        _("{id}: project {project} left out: it is this hub's own publication, imported back").format(
                            id=own, project=project.iati_identifier
                        )
                    )
                else:
                    projects.append(project)
            children = [project_identifier(publisher, p, project) for project in projects]
            writer = _PartnershipWriter(
                p, publisher=publisher, children=children, convert=convert, left_out=left_out, today=today
            )
            text = writer.write()
            for project, identifier in zip(projects, children, strict=True):
                text += _ProjectWriter(_Child(project, identifier, publisher), writer.identifier, left_out).write()
            out.write("".join(text).encode())
            left_out.partnerships += 1
            left_out.activities += 1 + len(projects)
        out.write(b"</iati-activities>")
    return left_out


def publish_organisation(
    partnerships: Iterable[Partnership], *, publisher: Publisher, out: IO[bytes], today: date | None = None
) -> LeftOut:
    """The hub's IATI organisation file: identifier, name, reporting-org and its total expenditure per calendar
    year (the cash costs, up to today, of the published ones of `partnerships`, in the reporting currency)."""
    chosen, _refused = split_publishable(partnerships)  # drafts are simply not counted here
    today = today or timezone.localdate()
    currency = reporting_currency()
    convert = Converter()
    left_out = LeftOut()
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    rows = CashCost.objects.filter(partnership__in=[p.pk for p in chosen], spent_on__lte=today).values_list(
        "pk", "amount", "currency", "spent_on"
    )
    for pk, amount, cost_currency, spent_on in rows.order_by("spent_on", "pk"):
        value = convert(amount, cost_currency, spent_on.year)
        if value is None:
            left_out.append(
                _(
                    "{id}: cost {n} ({amount} {currency}, {date}) left out of the total expenditure: "
                    "no exchange rate to {to} for {year}"
                ).format(
                    id=publisher.ref,
                    n=pk,
                    amount=format_number(amount),
                    currency=cost_currency,
                    date=spent_on,
                    to=currency,
                    year=spent_on.year,
                )
            )
            continue
        by_year[spent_on.year] += value
    writer = ActivityWriter(SimpleNamespace(iati_identifier=publisher.ref, default_lang="en"), left_out)
    with translation.override("en"):
        attrs = [
            ("last-updated-datetime", timezone.now().replace(microsecond=0).isoformat()),
            ("xml:lang", "en"),
            ("default-currency", currency),
        ]
        org = writer.open("iati-organisation", attrs)
        writer.leaf("organisation-identifier", None, publisher.ref)
        writer.text_el("name", [], publisher.name)
        opened = writer.open("reporting-org", [("ref", publisher.ref), ("type", publisher.org_type)])
        writer.narratives([], publisher.name)
        writer.close(opened)
        for year, value in sorted(by_year.items()):
            opened = writer.open("total-expenditure")
            writer.leaf("period-start", [("iso-date", date(year, 1, 1).isoformat())])
            writer.leaf("period-end", [("iso-date", date(year, 12, 31).isoformat())])
            writer.value(value.quantize(CENT), currency, date(year, 1, 1))
            writer.close(opened)
        writer.close(org)
    out.write(_header("iati-organisations").encode())
    out.write("".join(writer.out).encode())
    out.write(b"</iati-organisations>")
    left_out.activities = 1
    left_out.partnerships = len(chosen)
    return left_out
