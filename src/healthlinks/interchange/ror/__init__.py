"""Institutions from the Research Organization Registry: ROR records as JSON, schema v1 or v2, one record, a list
(a data dump) or an API answer ({"items": [...]}). Each record becomes an institution, matched by its ROR id:
created if new, updated if known. Every record is checked first; errors name the record and the field, and nothing
is written unless all are good (one transaction, through registry.services)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from healthlinks.accounts.models import User
from healthlinks.reference.models import Country
from healthlinks.registry import services
from healthlinks.registry.models import Institution, InstitutionKind, normalise_ror

MAX_BYTES = 200 * 1024 * 1024
# ROR organisation types -> the registry's kinds (the first that maps wins; others: "other")
KINDS = {
    "healthcare": InstitutionKind.HOSPITAL,
    "education": InstitutionKind.UNIVERSITY,
    "government": InstitutionKind.GOVERNMENT,
    "nonprofit": InstitutionKind.NGO,
}


class RorRejected(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class RorResult:
    file: str
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        total = self.created + self.updated
        return f"{self.file}: {total} institutions imported ({self.created} new, {self.updated} updated)"


def _records(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RorRejected(["not ROR records: expected one record, a list of records or an API answer with items"])
    return data


def _name(record: dict[str, Any]) -> str:
    if isinstance(record.get("name"), str):  # schema v1
        return str(record["name"])
    names = [n for n in record.get("names") or [] if isinstance(n, dict)]
    for wanted in ("ror_display", "label"):
        for n in names:
            if wanted in (n.get("types") or []) and n.get("value"):
                return str(n["value"])
    return ""


def _place(record: dict[str, Any]) -> tuple[str, str, float | None, float | None]:
    """(ISO 3166-1 alpha-2 country, city, latitude, longitude), from v2 locations or v1 country and addresses."""
    for location in record.get("locations") or []:
        details = (location or {}).get("geonames_details") or {}
        if details.get("country_code"):
            return str(details["country_code"]), str(details.get("name") or ""), details.get("lat"), details.get("lng")
    country = (record.get("country") or {}).get("country_code") or ""
    address = (record.get("addresses") or [{}])[0] or {}
    return str(country), str(address.get("city") or ""), address.get("lat"), address.get("lng")


def _kind(record: dict[str, Any]) -> str:
    for ror_type in record.get("types") or []:
        kind = KINDS.get(str(ror_type).lower())
        if kind:
            return str(kind)
    return str(InstitutionKind.OTHER)


def import_ror(raw: bytes, name: str, *, user: User | None = None) -> RorResult:
    if len(raw) > MAX_BYTES:
        raise RorRejected([f"{name}: the file is larger than {MAX_BYTES // 1024 // 1024} MB"])
    try:
        records = _records(json.loads(raw.decode("utf-8-sig")))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RorRejected([f"{name}: not JSON ({exc})"]) from None
    countries = dict(Country.objects.exclude(iso2="").values_list("iso2", "iso3"))
    errors: list[str] = []
    parsed: list[tuple[str, dict[str, Any]]] = []
    for number, record in enumerate(records, start=1):
        where = f"{name}, record {number}"
        ror = normalise_ror(str(record.get("id") or ""))
        where += f" ({ror})" if ror else ""
        iso2, city, lat, lng = _place(record)
        fields: dict[str, Any] = {
            "ror_id": ror, "name": _name(record)[:300], "country_id": countries.get(iso2.upper()),
            "city": city[:100], "latitude": lat, "longitude": lng, "kind": _kind(record),
        }  # fmt: skip
        if not ror:
            errors.append(f"{where}, field id: a ROR record has an id (https://ror.org/…)")
        if not fields["name"]:
            errors.append(f"{where}, field names: no name")
        if fields["country_id"] is None:
            errors.append(f"{where}, field locations: no country, or {iso2!r} is not an ISO 3166-1 code we know")
        parsed.append((where, fields))
    if errors:
        raise RorRejected(errors)
    result = RorResult(name)
    known = {i.ror_id: i for i in Institution.objects.filter(ror_id__in=[f["ror_id"] for _w, f in parsed])}
    where = name
    with transaction.atomic():
        try:
            for where, fields in parsed:  # noqa: B007 (`where` names the record a refusal is about)
                current = known.get(fields["ror_id"])
                if current is None:
                    known[fields["ror_id"]] = services.institution_create(by=user, **fields)
                    result.created += 1
                else:
                    services.institution_update(by=user, institution=current, **fields)
                    result.updated += 1
        except ValidationError as exc:
            problems = exc.message_dict.items() if hasattr(exc, "error_dict") else [("record", exc.messages)]
            raise RorRejected([f"{where}, field {f}: {' '.join(m)}" for f, m in problems]) from None
    return result
