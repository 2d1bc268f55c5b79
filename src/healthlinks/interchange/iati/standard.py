"""The shipped IATI 2.03 activity schema and codelists, loaded once, from files inside the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
SCHEMA_DIR = HERE / "schema"
CODELIST_DIR = HERE / "codelists"
SUPPORTED_VERSIONS = ("2.01", "2.02", "2.03")
EXPORT_VERSION = "2.03"
# Healthlinks' own fields in exported activities (allowed by the schema's ##other extension points).
HEALTHLINKS_NS = "https://healthlinks.example/ns/iati/1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def safe_parser(**kwargs: object) -> etree.XMLParser:
    """No DTD loading, no entity substitution, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False, **kwargs
    )


@cache
def activity_schema() -> etree.XMLSchema:
    """The official IATI 2.03 activity schema (iati-activities-schema.xsd + iati-common.xsd + xml.xsd)."""
    doc = etree.parse(str(SCHEMA_DIR / "iati-activities-schema.xsd"), safe_parser())
    return etree.XMLSchema(doc)


@cache
def organisation_schema() -> etree.XMLSchema:
    """The official IATI 2.03 organisation schema (iati-organisations-schema.xsd + iati-common.xsd + xml.xsd)."""
    doc = etree.parse(str(SCHEMA_DIR / "iati-organisations-schema.xsd"), safe_parser())
    return etree.XMLSchema(doc)


@dataclass(frozen=True)
class Codelist:
    name: str
    codes: frozenset[str]
    withdrawn: frozenset[str]
    names: dict[str, str]  # lower-case English name -> code (to read codes given as text)
    labels: dict[str, str]  # code -> English name

    def code_for_name(self, text: str) -> str | None:
        return self.names.get(" ".join(text.lower().split()))


@cache
def codelist(name: str) -> Codelist:
    tree = etree.parse(str(CODELIST_DIR / f"{name}.xml"), safe_parser(remove_comments=True))
    codes: set[str] = set()
    withdrawn: set[str] = set()
    names: dict[str, str] = {}
    labels: dict[str, str] = {}
    for item in tree.iterfind("codelist-items/codelist-item"):
        code = (item.findtext("code") or "").strip()
        if not code:
            continue
        codes.add(code)
        if item.get("status") == "withdrawn":
            withdrawn.add(code)
        label = ""
        for narrative in item.iterfind("name/narrative"):
            if narrative.get("{http://www.w3.org/XML/1998/namespace}lang") in (None, "en"):
                label = " ".join((narrative.text or "").split())
                break
        if label:
            labels[code] = label
            names.setdefault(label.lower(), code)
    return Codelist(name, frozenset(codes), frozenset(withdrawn), names, labels)


@cache
def codelist_sources() -> dict[str, object]:
    data: dict[str, object] = json.loads((CODELIST_DIR / "SOURCES.json").read_text(encoding="utf-8"))
    return data
