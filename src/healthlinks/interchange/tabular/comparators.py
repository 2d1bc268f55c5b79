"""Import and export of comparator programmes (CSV/XLSX): training programmes that are not partnerships, with their
costs and outcomes, for the value-for-money comparison. Same rules as the other tables: every row is checked first
and every error is reported with file, row and column; nothing is written unless the whole file is valid;
re-importing updates a programme by its name. Only hub admins (and the command line) may import them."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import IO, Any

from healthlinks.accounts.models import User
from healthlinks.interchange.tabular import fields as f
from healthlinks.interchange.tabular.common import ImportResult, Rows, write_rows
from healthlinks.interchange.tabular.reader import read_table
from healthlinks.reference.models import Country
from healthlinks.registry import selectors as registry_selectors
from healthlinks.results import services as results_services
from healthlinks.results.models import ComparatorKind, ComparatorProgramme

COLUMNS = {
    "comparators": [
        "name",
        "kind",
        "country",
        "year",
        "currency",
        "cash_cost",
        "economic_cost",
        "trainees",
        "followed_up",
        "practice_changed",
        "source",
        "notes",
    ]
}
REQUIRED = {
    "comparators": ["name", "kind", "year", "currency", "cash_cost", "trainees", "followed_up", "practice_changed"]
}
EXAMPLES = {
    "comparators": [
        [
            "National ETAT in-service course",
            "national_inservice",
            "UGA",
            "2024",
            "UGX",
            "180000000",
            "240000000",
            "400",
            "120",
            "54",
            "Ministry of Health training report 2024",
            "",
        ]
    ]
}
KINDS = {k.value: k.value for k in ComparatorKind} | {
    "national in-service course": "national_inservice",
    "e-learning": "e_learning",
    "fly-in course": "fly_in",
}


def _int(value: str, *, low: int = 0) -> int:
    text = value.strip()
    if not text:
        raise ValueError("a whole number is required")
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < low:
        raise ValueError(f"{value!r} must be {low} or more")
    return number


def _amount(value: str, *, required: bool = True) -> Any:
    if not value.strip() and required:
        raise ValueError("an amount is required")
    return f.parse_decimal(value.strip())


def import_comparators(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    table = read_table(source, columns=COLUMNS["comparators"], required=REQUIRED["comparators"], name=name)
    rows = Rows(table)
    allowed = user is None or registry_selectors.is_hub_admin(user)
    countries = set(Country.objects.values_list("iso3", flat=True))
    existing = {c.name: c for c in ComparatorProgramme.objects.filter(name__in=[v["name"] for _n, v in table.rows])}
    seen: dict[str, int] = {}
    parsed: list[tuple[int, ComparatorProgramme | None, dict[str, Any]]] = []
    for number, v in table.rows:
        if not allowed:
            rows.error(number, "name", "only hub admins record comparator programmes")
            continue
        title = v["name"].strip()
        if title in seen:
            rows.error(number, "name", f"{title!r} already appears on row {seen[title]}")
            continue
        seen[title] = number
        country = v["country"].strip().upper()
        if country and country not in countries:
            rows.error(number, "country", f"{v['country']!r} is not an ISO 3166 alpha-3 country code such as UGA")
        currency = v["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            rows.error(number, "currency", f"{v['currency']!r} is not an ISO 4217 code such as GBP or UGX")
        fields = {
            "kind": rows.cell(number, v, "kind", f.parse_choice, choices=KINDS),
            "year": rows.cell(number, v, "year", _int, low=1950),
            "cash_cost": rows.cell(number, v, "cash_cost", _amount),
            "economic_cost": rows.cell(number, v, "economic_cost", _amount, required=False),
            "trainees": rows.cell(number, v, "trainees", _int, low=1),
            "followed_up": rows.cell(number, v, "followed_up", _int),
            "practice_changed": rows.cell(number, v, "practice_changed", _int),
        }
        if any(fields[k] is None for k in fields if k != "economic_cost"):
            continue
        fields |= {
            "name": title,
            "country_id": country or None,
            "currency": currency,
            "source": v["source"].strip(),
            "notes": v["notes"].strip(),
        }
        parsed.append((number, existing.get(title), fields))
    rows.raise_if_any()
    result = ImportResult("comparators", table.name)
    write_rows(
        result,
        rows,
        (
            (number, found is not None, partial(results_services.comparator_save, by=user, comparator=found, **fields))
            for number, found, fields in parsed
        ),
    )
    return result


def export_comparators(user: User | None, partnership: Any = None) -> tuple[list[str], list[list[Any]]]:
    """Every comparator programme (programme-level figures, public on the value-for-money page)."""
    out = [
        [
            c.name,
            c.kind,
            c.country_id or "",
            c.year,
            c.currency,
            str(c.cash_cost),
            "" if c.economic_cost is None else str(c.economic_cost),
            c.trainees,
            c.followed_up,
            c.practice_changed,
            c.source,
            c.notes,
        ]
        for c in ComparatorProgramme.objects.order_by("name")
    ]
    return COLUMNS["comparators"], out


IMPORTERS = {"comparators": import_comparators}
EXPORTERS = {"comparators": export_comparators}
