"""A programme's roll-up out: a table (CSV, XLSX) in words, and for health information systems ADX
(IHE QRPH, `application/adx+xml`) and DHIS2 `dataValueSets` JSON, through the DHIS2 mapping
(programmes.Dhis2Mapping). What has no mapping is listed, never silently left out: ADX writes our own codes
in its place (ADX carries any code list), the DHIS2 payload leaves the value out and the caller shows the list."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from healthlinks import labels
from healthlinks.interchange.tabular.writer import write_table
from healthlinks.programmes.models import MappingKind
from healthlinks.programmes.rollup import RollUp, Row
from healthlinks.programmes.selectors import dhis2_mappings
from healthlinks.results.library import LIBRARY

ADX_NAMESPACE = "urn:ihe:qrph:adx:2015"
ADX_CONTENT_TYPE = "application/adx+xml"
ADX_SCHEMA = Path(__file__).resolve().parents[2] / "programmes" / "schema" / "adx.xsd"
DHIS2_CONTENT_TYPE = "application/json"
FORMATS = ("csv", "xlsx", "adx", "dhis2")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "adx": ADX_CONTENT_TYPE,
    "dhis2": DHIS2_CONTENT_TYPE,
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "adx": "adx.xml", "dhis2": "json"}


def indicator_label(code: str) -> str:
    item = LIBRARY.get(code)
    return f"{code} {item.name}" if item else code


def dimension_labels() -> dict[str, str]:
    return {"": _("Total"), "sex": _("Sex"), "cadre": _("Cadre"), "country": _("Country")}


def category_labeller(pairs: Iterable[tuple[str, str]]) -> Any:
    """(dimension, category) -> label, one query per reference table."""
    pairs = list(pairs)
    by = {
        dimension: labels.labeller(dimension, {c for d, c in pairs if d == dimension})
        for dimension in ("sex", "cadre", "country")
    }

    def label(dimension: str, category: str) -> str:
        return by[dimension](category) if dimension in by else ""

    return label


def number(value: Decimal | float | None, places: str = "0.01") -> str:
    if value is None:
        return ""
    quantized = Decimal(str(value)).quantize(Decimal(places)).normalize()
    return format(quantized, "f")


def table(rollup: RollUp) -> tuple[list[str], list[list[Any]]]:
    columns = [
        _("Indicator"),
        _("Unit"),
        _("Period"),
        _("Disaggregation"),
        _("Category"),
        _("Value"),
        _("Numerator"),
        _("Denominator"),
        _("Target"),
        _("Achieved (%)"),
    ]
    dims = dimension_labels()
    category = category_labeller((r.dimension, r.category) for r in rollup.rows)
    rows = [
        [
            indicator_label(r.code),
            str(LIBRARY[r.code].unit),
            r.period.code,
            dims[r.dimension],
            category(r.dimension, r.category),
            number(r.value),
            number(r.numerator),
            number(r.denominator),
            number(r.target),
            number(r.achieved, "0.1"),
        ]
        for r in rollup.rows
    ]
    return columns, rows


@dataclass
class Export:
    content: bytes
    unmapped: list[tuple[str, str]] = field(default_factory=list)  # (kind, key) with no DHIS2 uid
    values: int = 0


def _org_unit_key(rollup: RollUp, row: Row) -> str:
    return f"country:{row.category}" if row.dimension == "country" else f"programme:{rollup.programme.slug}"


def adx(rollup: RollUp) -> Export:
    """ADX: one group per organisation unit and period; sex and cadre as the SEX and CADRE attributes of a value
    (the country rows go to the country's organisation unit). Identifiers are the mapped DHIS2 uids, else our
    own codes (listed as unmapped)."""
    mapping = dhis2_mappings()
    unmapped: set[tuple[str, str]] = set()

    def uid(kind: str, key: str, fallback: str) -> str:
        found = mapping.get((kind, key))
        if found is None:
            unmapped.add((kind, key))
        return found or fallback

    root = etree.Element(f"{{{ADX_NAMESPACE}}}adx", nsmap={None: ADX_NAMESPACE})
    root.set("exported", timezone.now().replace(microsecond=0).isoformat())
    groups: dict[tuple[str, str], Any] = {}
    count = 0
    for row in rollup.rows:
        if row.value is None:
            continue
        key = _org_unit_key(rollup, row)
        org_unit = uid(MappingKind.ORG_UNIT, key, key.split(":", 1)[1])
        group = groups.get((org_unit, row.period.code))
        if group is None:
            group = etree.SubElement(root, f"{{{ADX_NAMESPACE}}}group")
            group.set("orgUnit", org_unit)
            group.set("period", row.period.iso)
            group.set("dataSet", rollup.programme.slug)
            groups[(org_unit, row.period.code)] = group
        value = etree.SubElement(group, f"{{{ADX_NAMESPACE}}}dataValue")
        value.set("dataElement", uid(MappingKind.DATA_ELEMENT, row.code, row.code))
        if row.dimension in ("sex", "cadre"):
            value.set(row.dimension.upper(), row.category)
        value.set("value", number(row.value))
        count += 1
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return Export(content, sorted(unmapped), count)


def adx_errors(content: bytes) -> list[str]:
    """What the ADX schema finds wrong with a message (none: valid)."""
    schema = etree.XMLSchema(etree.parse(str(ADX_SCHEMA)))
    document = etree.fromstring(content)
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def dhis2(rollup: RollUp) -> Export:
    """DHIS2 dataValueSets JSON: totals and the sex and cadre splits at the programme's organisation unit (the
    splits as category option combinations), the country splits at each country's. A value whose data element,
    organisation unit or category option combination has no uid is left out and listed."""
    mapping = dhis2_mappings()
    unmapped: set[tuple[str, str]] = set()
    values: list[dict[str, str]] = []
    for row in rollup.rows:
        if row.value is None:
            continue
        needed = {
            "dataElement": (MappingKind.DATA_ELEMENT, row.code),
            "orgUnit": (MappingKind.ORG_UNIT, _org_unit_key(rollup, row)),
        }
        if row.dimension in ("sex", "cadre"):
            needed["categoryOptionCombo"] = (MappingKind.CATEGORY_OPTION_COMBO, f"{row.dimension}:{row.category}")
        found = {name: mapping.get(key) for name, key in needed.items()}
        missing = [needed[name] for name, uid in found.items() if uid is None]
        if missing:
            unmapped.update(missing)
            continue
        value: dict[str, str] = {"dataElement": found["dataElement"] or "", "period": row.period.dhis2}
        value["orgUnit"] = found["orgUnit"] or ""
        combo = found.get("categoryOptionCombo") or mapping.get((MappingKind.CATEGORY_OPTION_COMBO, "total"))
        if combo:
            value["categoryOptionCombo"] = combo
        value["value"] = number(row.value)
        values.append(value)
    content = json.dumps({"dataValues": values}, indent=2).encode()
    return Export(content, sorted(unmapped), len(values))


def unmapped_in_words(unmapped: Sequence[tuple[str, str]]) -> list[str]:
    """The keys with no DHIS2 uid, as a reader would name them."""
    kinds = dict(MappingKind.choices)
    countries = labels.labeller("country", [k.split(":", 1)[1] for _kind, k in unmapped if k.startswith("country:")])
    cadres = labels.labeller("cadre", [k.split(":", 1)[1] for _kind, k in unmapped if k.startswith("cadre:")])
    sexes = labels.labeller("sex")
    out = []
    for kind, key in unmapped:
        prefix, _sep, code = key.partition(":")
        words = {
            "country": lambda c: countries(c),
            "cadre": lambda c: cadres(c),
            "sex": lambda c: sexes(c),
            "programme": lambda c: _("this programme"),
            "institution": lambda c: _("institution {id}").format(id=c),
        }
        if kind == MappingKind.DATA_ELEMENT:
            text = indicator_label(key)
        elif key == "total":
            text = _("Total")
        else:
            text = words[prefix](code) if prefix in words else key
        out.append(f"{kinds.get(kind, kind)}: {text}")
    return out


def export(rollup: RollUp, fmt: str) -> Export:
    if fmt in ("csv", "xlsx"):
        columns, rows = table(rollup)
        return Export(write_table(columns, rows, fmt), [], len(rows))
    if fmt == "adx":
        return adx(rollup)
    if fmt == "dhis2":
        return dhis2(rollup)
    raise ValueError(fmt)


def filename(rollup: RollUp, fmt: str) -> str:
    return f"{rollup.programme.slug}-{rollup.granularity}.{EXTENSIONS[fmt]}"
