"""Rebuild the shipped reference tables in src/healthlinks/reference/data/ from their sources.

Run from the repository root with the shared data folder beside it:
    python tools/build_reference.py ../shared/data
The output files are committed; this script documents (and repeats) how they were made.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from lxml import etree

OUT = Path(__file__).resolve().parents[1] / "src" / "healthlinks" / "reference" / "data"

# WHO Member States by WHO region, from the six regional offices' member-state lists (2025:
# Indonesia moved from SEAR to WPR by decision of WHA78, May 2025). PSE is an associate of EMR.
WHO_REGIONS = {
    "AFR": "DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG CIV COD GNQ ERI SWZ ETH GAB GMB GHA GIN GNB "
    "KEN LSO LBR MDG MWI MLI MRT MUS MOZ NAM NER NGA RWA STP SEN SYC SLE ZAF SSD TGO UGA TZA ZMB ZWE",
    "AMR": "ATG ARG BHS BRB BLZ BOL BRA CAN CHL COL CRI CUB DMA DOM ECU SLV GRD GTM GUY HTI HND JAM MEX "
    "NIC PAN PRY PER KNA LCA VCT SUR TTO USA URY VEN",
    "SEAR": "BGD BTN PRK IND MDV MMR NPL LKA THA TLS",
    "EUR": "ALB AND ARM AUT AZE BLR BEL BIH BGR HRV CYP CZE DNK EST FIN FRA GEO DEU GRC HUN ISL IRL ISR "
    "ITA KAZ KGZ LVA LTU LUX MLT MCO MNE NLD MKD NOR POL PRT MDA ROU RUS SMR SRB SVK SVN ESP SWE CHE "
    "TJK TUR TKM UKR GBR UZB",
    "EMR": "AFG BHR DJI EGY IRN IRQ JOR KWT LBN LBY MAR OMN PAK QAT SAU SOM SDN SYR TUN ARE YEM PSE",
    "WPR": "AUS BRN KHM CHN COK FJI JPN KIR LAO MYS MHL FSM MNG NRU NZL NIU PLW PNG PHL KOR WSM SGP SLB "
    "TON TUV VUT VNM IDN",
}
# UK Code of Practice for international recruitment: amber = recruitment only under a
# government-to-government agreement (DHSC, 2023-25). Every other SSL country is red.
UK_AMBER = {"KEN", "NPL"}
INCOME_FY = "FY26"  # the countries_master snapshot (2026-08-21) carries the FY26 classification


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def build_countries(shared: Path) -> None:
    iso = {r["alpha-3"]: r for r in read_csv(shared / "external/countries/iso3166_all.csv")}
    master = {
        r["iso3"]: r
        for r in read_csv(shared / "external/countries/country_classification_commons_countries_master.csv")
    }
    ssl = {r["iso3"] for r in read_csv(shared / "reference/who_ssl_2023.csv")}
    region_of = {code: region for region, codes in WHO_REGIONS.items() for code in codes.split()}
    assert len(ssl) == 55, len(ssl)
    rows = []
    for iso3, r in sorted(iso.items()):
        m = master.get(iso3, {})
        income = m.get("wb_income_code", "") or ""
        rows.append(
            {
                "iso3": iso3,
                "iso2": r["alpha-2"],
                "numeric": r["country-code"],
                "name": r["name"],
                "who_region": region_of.get(iso3, ""),
                "income_group": income if income in {"LIC", "LMC", "UMC", "HIC"} else "",
                "income_fy": INCOME_FY if income in {"LIC", "LMC", "UMC", "HIC"} else "",
                "ssl2023": "1" if iso3 in ssl else "0",
                "uk_code_status": "amber" if iso3 in UK_AMBER else ("red" if iso3 in ssl else "none"),
                "latitude": m.get("latitude", ""),
                "longitude": m.get("longitude", ""),
                "capital": m.get("capital_city", ""),
            }
        )
    missing = ssl - {row["iso3"] for row in rows}
    assert not missing, missing
    with open(OUT / "countries.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def codelist(path: Path) -> list[dict[str, str]]:
    tree = etree.parse(str(path))
    out = []
    for item in tree.iter("codelist-item"):
        if item.get("status") == "withdrawn":
            continue
        code = item.findtext("code") or ""
        name = item.findtext("name/narrative") or ""
        category = item.findtext("category") or ""
        out.append({"code": code.strip(), "name": name.strip(), "category": category.strip()})
    return out


def build_codelists(shared: Path) -> None:
    base = shared / "external/iati/codelists/xml"
    org = codelist(base / "OrganisationType.xml")
    with open(OUT / "iati_organisation_type.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["code", "name"])
        w.writeheader()
        w.writerows({"code": r["code"], "name": r["name"]} for r in org)
    # DAC purpose codes of health (121, 122, 123), population & reproductive health (130) and
    # the education codes partnerships use for training (111, 113, 114).
    keep = ("121", "122", "123", "130", "111", "113", "114")
    sectors = [r for r in codelist(base / "Sector.xml") if r["code"][:3] in keep]
    with open(OUT / "dac_purpose_codes.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["code", "name", "category"])
        w.writeheader()
        w.writerows(sectors)


if __name__ == "__main__":
    shared_data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    build_countries(shared_data)
    build_codelists(shared_data)
    print("written to", OUT)
