"""Import and export of career records (CSV/XLSX): a person's status, grade and post observed on a date, for the
retention figures (docs/careers.md). Same rules as the other tables: every row is checked first and every error is
reported with file, row and column; nothing is written unless the whole file is valid. Each row adds a record (a
record is an observation: re-importing a file adds its rows again). The person is given by pseudonymous id or
external id, and must be one of the people of the partnerships the importing user coordinates."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from healthlinks.accounts.models import User
from healthlinks.careers import services as careers_services
from healthlinks.careers.models import CareerRecord, CareerSource, CareerStatus
from healthlinks.interchange.tabular import fields as f
from healthlinks.interchange.tabular.common import ImportResult, Institutions, Rows
from healthlinks.interchange.tabular.reader import read_table
from healthlinks.network import selectors as network_selectors
from healthlinks.network.models import Person
from healthlinks.records import RowInvalid
from healthlinks.reference.models import Country
from healthlinks.registry import selectors as registry_selectors

COLUMNS = {
    "careers": ["pseudo_id", "external_id", "recorded_on", "status", "grade", "post", "institution", "country", "note"]
}
REQUIRED = {"careers": ["recorded_on", "status"]}
EXAMPLES = {
    "careers": [
        ["", "V-001", "2025-06-30", "promoted", "Senior Nursing Officer", "Ward in charge", "", "UGA", ""],
    ]
}
STATUSES = {s.value: s.value for s in CareerStatus} | {str(s.label).lower(): s.value for s in CareerStatus}
LIMITS = {"grade": 60, "post": 120}  # CareerRecord.grade, CareerRecord.post


def _people(values: list[dict[str, str]], user: User | None) -> tuple[dict[str, Person], dict[str, Person]]:
    """The people named by pseudonymous or external id whom `user` may change (None: anyone)."""
    qs = network_selectors.live_people()
    if user is not None and not registry_selectors.is_hub_admin(user):
        qs = network_selectors.people_editable_by(user)
    pseudo = {v["pseudo_id"].strip() for v in values} - {""}
    external = {v["external_id"].strip() for v in values} - {""}
    by_pseudo = {p.pseudo_id: p for p in qs.filter(pseudo_id__in=pseudo)}
    by_external = {p.external_id: p for p in qs.filter(external_id__in=external) if p.external_id}
    return by_pseudo, by_external


def import_careers(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> ImportResult:
    table = read_table(source, columns=COLUMNS["careers"], required=REQUIRED["careers"], name=name)
    rows = Rows(table)
    by_pseudo, by_external = _people([v for _n, v in table.rows], user)
    countries = set(Country.objects.values_list("iso3", flat=True))
    institutions = Institutions()
    records: list[CareerRecord] = []
    numbers: list[int] = []
    for number, v in table.rows:
        pseudo, external = v["pseudo_id"].strip(), v["external_id"].strip()
        person: Person | None = None
        if pseudo:
            person = by_pseudo.get(pseudo)
            if person is None:
                rows.error(
                    number, "pseudo_id", f"no person {pseudo!r} among the people of the partnerships you coordinate"
                )
        elif external:
            person = by_external.get(external)
            if person is None:
                rows.error(number, "external_id", network_selectors.not_yours_message(external))
        else:
            rows.error(number, "pseudo_id", "give the person's pseudonymous id or external id")
        recorded_on = rows.cell(number, v, "recorded_on", f.parse_date)
        status = rows.cell(number, v, "status", f.parse_choice, choices=STATUSES)
        for column, limit in LIMITS.items():
            if len(v[column].strip()) > (limit or 0):
                rows.error(number, column, f"longer than {limit} characters")
        country = v["country"].strip().upper()
        if country and country not in countries:
            rows.error(number, "country", f"{v['country']!r} is not an ISO 3166 alpha-3 country code such as UGA")
        institution = rows.cell(number, v, "institution", institutions.find) if v["institution"].strip() else None
        if person is None or recorded_on is None or status is None:
            continue
        records.append(
            CareerRecord(
                person=person,
                recorded_on=recorded_on,
                status=status,
                grade=v["grade"].strip(),
                post=v["post"].strip(),
                institution=institution,
                country_id=country or None,
                source=CareerSource.IMPORT,
                note=v["note"].strip(),
            )
        )
        numbers.append(number)
    rows.raise_if_any()
    try:
        careers_services.career_records_save_many(by=user, records=records, rows=numbers)
    except RowInvalid as exc:
        for column, texts in exc.message_dict.items():
            rows.error(exc.index, "row" if column == "__all__" else column, " ".join(texts))
        rows.raise_if_any()
    result = ImportResult("careers", table.name)
    result.created = len(records)
    return result


def export_careers(user: User | None, partnership: Any = None) -> tuple[list[str], list[list[Any]]]:
    """The career records of the people `user` may see (None: everyone), optionally of one partnership's people.
    The external id and the note are personal data: given only for the people whose personal data the user may
    see (a researcher gets the pseudonymous id alone, as in every research table)."""
    people = network_selectors.live_people() if user is None else network_selectors.people_visible_to(user)
    personal = (
        None if user is None else set(network_selectors.people_with_personal_access(user).values_list("pk", flat=True))
    )
    if partnership is not None:
        ids = {pid for pid, found in _partnership_people(people).items() if partnership.pk in found}
        people = people.filter(pk__in=ids)
    qs = (
        CareerRecord.objects.filter(person__in=people)
        .select_related("person", "institution")
        .order_by("person__pseudo_id", "recorded_on", "pk")
    )
    out = []
    for r in qs:
        own = personal is None or r.person_id in personal
        out.append(
            [
                r.person.pseudo_id,
                (r.person.external_id or "") if own else "",
                r.recorded_on.isoformat(),
                r.status,
                r.grade,
                r.post,
                r.institution.name if r.institution else "",
                r.country_id or "",
                r.note if own else "",
            ]
        )
    return COLUMNS["careers"], out


def _partnership_people(people: Any) -> dict[int, set[int]]:
    return network_selectors.partnership_ids_by_person(people.values_list("pk", flat=True))


IMPORTERS = {"careers": import_careers}
EXPORTERS = {"careers": export_careers}
