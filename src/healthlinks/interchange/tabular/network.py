"""Import and export of people, stays and ties (CSV/XLSX).

Every row is checked before anything is written; all errors are reported together with file, row,
column and reason; the write is one transaction; re-importing updates rows by external id."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from healthlinks.accounts.models import User
from healthlinks.interchange.tabular import fields as f
from healthlinks.interchange.tabular.common import (
    ImportResult,
    Institutions,
    Rows,
    editable_partnership_ids,
    partnerships_by_reference,
    people_by_external_id,
)
from healthlinks.interchange.tabular.reader import ImportRejected, RowError, Table, read_table
from healthlinks.network import selectors as network_selectors
from healthlinks.network import services as network_services
from healthlinks.network.models import (
    DIRECTED_TIES,
    STAY_CONDITIONS,
    Funding,
    Mode,
    Person,
    PersonRoleKind,
    Purpose,
    Sex,
    Stay,
    Tie,
    TieKind,
)
from healthlinks.network.services import overlapping_pairs
from healthlinks.records import RowInvalid
from healthlinks.reference.models import Occupation
from healthlinks.registry.models import Partnership

PEOPLE_COLUMNS = [
    "external_id",
    "given_name",
    "family_name",
    "email",
    "cadre_isco",
    "sex",
    "home_institution",
    "grade",
    "research_consent",
]
STAY_COLUMNS = [
    "external_id",
    "person",
    "partnership",
    "sending_institution",
    "host_institution",
    "mode",
    "start_date",
    "end_date",
    "purposes",
    "virtual_hours",
    "funding",
    *STAY_CONDITIONS,
]
TIE_COLUMNS = ["person_a", "person_b", "kind", "start_date", "end_date"]
COLUMNS = {"people": PEOPLE_COLUMNS, "stays": STAY_COLUMNS, "ties": TIE_COLUMNS}
REQUIRED = {
    "people": ["external_id"],
    "stays": ["external_id", "person", "partnership", "host_institution", "mode", "start_date", "end_date"],
    "ties": ["person_a", "person_b", "kind"],
}
# Example rows for the downloadable templates.
EXAMPLES = {
    "people": [
        [
            "V-001",
            "Amina",
            "Okello",
            "amina.okello@example.org",
            "2221",
            "female",
            "Gulu Regional Referral Hospital",
            "Band 6",
            "yes",
        ]
    ],
    "stays": [
        [
            "S-2025-001",
            "V-001",
            "leeds-gulu-anaesthesia-partnership",
            "Leeds Teaching Hospitals NHS Trust",
            "Gulu Regional Referral Hospital",
            "physical",
            "2025-02-03",
            "2025-02-21",
            "teaching;mentoring",
            "",
            "partnership",
            "yes",
            "yes",
            "no",
            "",
            "yes",
        ]
    ],
    "ties": [["V-001", "V-002", "mentor_mentee", "2025-02-03", ""]],
}

SEX = {
    **{s.value: s.value for s in Sex},
    "f": Sex.FEMALE,
    "m": Sex.MALE,
    "not recorded": Sex.NOT_RECORDED,
    "": Sex.NOT_RECORDED,
    "unknown": Sex.NOT_RECORDED,
}
MODES = {"physical": Mode.PHYSICAL, "virtual": Mode.VIRTUAL, "in person": Mode.PHYSICAL, "remote": Mode.VIRTUAL}
FUNDING = {
    "partnership": Funding.PARTNERSHIP,
    "funded by partnership": Funding.PARTNERSHIP,
    "self": Funding.SELF,
    "self-funded": Funding.SELF,
    "self funded": Funding.SELF,
    "other": Funding.OTHER,
}
PURPOSES = {
    **{p.value: p.value for p in Purpose},
    "clinical service": Purpose.CLINICAL,
    "clinical": Purpose.CLINICAL,
    "curriculum development": Purpose.CURRICULUM,
    "curriculum": Purpose.CURRICULUM,
}
TIE_KINDS = {
    **{k.value: k.value for k in TieKind},
    "mentor": TieKind.MENTOR,
    "mentor-mentee": TieKind.MENTOR,
    "counterpart": TieKind.COUNTERPARTS,
    "co-trainers": TieKind.CO_TRAINERS,
    "co-authors": TieKind.CO_AUTHORS,
}


def _read(kind: str, source: str | Path | IO[bytes], name: str | None) -> Table:
    return read_table(source, columns=COLUMNS[kind], required=REQUIRED[kind], name=name)


def import_people(
    source: str | Path | IO[bytes],
    *,
    user: User | None = None,
    name: str | None = None,
    partnership: Partnership | None = None,
    role: str = PersonRoleKind.VOLUNTEER,
) -> ImportResult:
    """People, with their personal data apart; optionally registered with a role in a partnership."""
    table = _read("people", source, name)
    rows = Rows(table)
    editable = editable_partnership_ids(user)
    if editable is not None and (partnership is None or partnership.pk not in editable):
        raise ImportRejected([RowError(table.name, 0, "", "choose a partnership you coordinate for these people")])
    if role not in PersonRoleKind.values:
        raise ImportRejected([RowError(table.name, 0, "", f"unknown role {role!r}")])
    institutions = Institutions()
    cadres = set(Occupation.objects.values_list("code", flat=True))
    existing = {
        p.external_id: p
        for p in Person.objects.filter(external_id__in=[v["external_id"] for _n, v in table.rows]).select_related(
            "personal"
        )
    }
    editable_people: set[int] | None = None
    if editable is not None and user is not None:
        editable_people = set(
            network_selectors.people_editable_by(user)
            .filter(pk__in=[p.pk for p in existing.values()])
            .values_list("pk", flat=True)
        )
    seen: dict[str, int] = {}
    parsed = []
    for number, v in table.rows:
        ext = v["external_id"]
        if not ext:
            rows.error(number, "external_id", "an external id is required")
            continue
        if ext in seen:
            rows.error(number, "external_id", f"{ext!r} already appears on row {seen[ext]}")
            continue
        seen[ext] = number
        if ext in existing and editable_people is not None and existing[ext].pk not in editable_people:
            rows.error(number, "external_id", network_selectors.not_yours_message(ext))
            continue
        if v["email"]:
            try:
                validate_email(v["email"])
            except ValidationError:
                rows.error(number, "email", f"{v['email']!r} is not an email address")
        cadre = v["cadre_isco"]
        if cadre and cadre not in cadres:
            rows.error(number, "cadre_isco", f"{cadre!r} is not an ISCO-08 health occupation code (e.g. 2221)")
        sex = rows.cell(number, v, "sex", f.parse_choice, choices=SEX, required=False)
        home = rows.cell(number, v, "home_institution", institutions.find) if v["home_institution"] else None
        consent = rows.cell(number, v, "research_consent", f.parse_bool_or_date)
        for column, limit in (("given_name", 100), ("family_name", 100), ("grade", 60)):
            if len(v[column]) > limit:
                rows.error(number, column, f"longer than {limit} characters")
        parsed.append((number, v, sex, home, consent))
    rows.raise_if_any()
    result = ImportResult("people", table.name)
    people = []
    for _number, v, sex, home, consent in parsed:
        agreed, when = consent or (False, None)
        fields: dict[str, Any] = {
            "cadre_id": v["cadre_isco"] or None,
            "sex": sex or Sex.NOT_RECORDED,
            "home_institution": home,
            "grade": v["grade"],
            "research_consent": agreed,
        }
        if agreed and when:
            fields["consent_date"] = when
        personal = {"given_name": v["given_name"], "family_name": v["family_name"], "email": v["email"]}
        people.append(network_services.PersonIn(external_id=v["external_id"], fields=fields, personal=personal))
    roles = [network_services.RoleSpec(partnership_id=partnership.pk, role=role)] if partnership is not None else []
    try:
        with transaction.atomic():
            created, updated = network_services.people_save_many(by=user, people=people, roles=roles)
    except network_services.PersonInvalid as exc:
        number = parsed[exc.index][0]
        raise ImportRejected(
            [RowError(table.name, number, field, "; ".join(msgs)) for field, msgs in exc.message_dict.items()]
        ) from None
    result.created, result.updated = len(created), len(updated)
    return result


def import_stays(source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None) -> ImportResult:
    table = _read("stays", source, name)
    rows = Rows(table)
    institutions = Institutions()
    editable = editable_partnership_ids(user)
    partnerships = partnerships_by_reference(v["partnership"] for _n, v in table.rows)
    people = people_by_external_id((v["person"] for _n, v in table.rows), user)
    existing = {
        s.external_id: s for s in Stay.objects.filter(external_id__in=[v["external_id"] for _n, v in table.rows])
    }
    seen: dict[str, int] = {}
    parsed: list[tuple[int, Stay]] = []
    for number, v in table.rows:
        ext = v["external_id"]
        if not ext:
            rows.error(number, "external_id", "an external id is required")
        elif ext in seen:
            rows.error(number, "external_id", f"{ext!r} already appears on row {seen[ext]}")
        seen.setdefault(ext, number)
        person = people.get(v["person"])
        if person is None:
            rows.error(number, "person", network_selectors.not_yours_message(v["person"]) + " (import people first)")
        partnership = partnerships.get(v["partnership"])
        if partnership is None:
            rows.error(number, "partnership", f"no partnership with slug or name {v['partnership']!r}")
        elif editable is not None and partnership.pk not in editable:
            rows.error(number, "partnership", f"you do not coordinate {partnership.name!r}")
        host = rows.cell(number, v, "host_institution", institutions.find)
        sending = rows.cell(number, v, "sending_institution", institutions.find) if v["sending_institution"] else None
        mode = rows.cell(number, v, "mode", f.parse_choice, choices=MODES)
        start = rows.cell(number, v, "start_date", f.parse_date)
        end = rows.cell(number, v, "end_date", f.parse_date, required=mode != Mode.VIRTUAL)
        if mode == Mode.VIRTUAL and start and end is None:
            end = start
        if start and end and end < start:
            rows.error(number, "end_date", f"{end} is before the start date {start}")
        purposes = []
        for part in filter(None, (p.strip() for p in v["purposes"].split(";"))):
            try:
                purposes.append(f.parse_choice(part, PURPOSES))
            except ValueError as exc:
                rows.error(number, "purposes", str(exc))
        hours = rows.cell(number, v, "virtual_hours", f.parse_decimal)
        funding = rows.cell(number, v, "funding", f.parse_choice, choices=FUNDING, required=False)
        # a condition column the file does not have keeps what is recorded; a blank cell means not known
        conditions = {
            name: rows.cell(number, v, name, f.parse_yes_no_unknown) for name in STAY_CONDITIONS if name in table.header
        }
        if ext in existing and editable is not None and existing[ext].partnership_id not in editable:
            rows.error(number, "external_id", f"stay {ext!r} belongs to a partnership you do not coordinate")
        if person is None or partnership is None or None in (host, mode, start, end) or seen.get(ext) != number:
            continue
        stay = existing.get(ext) or Stay(external_id=ext)
        stay.person, stay.partnership, stay.host_institution = person, partnership, host
        stay.sending_institution, stay.mode, stay.start_date, stay.end_date = sending, mode, start, end
        stay.purposes, stay.virtual_hours, stay.funding = purposes, hours, funding or ""
        for name, value in conditions.items():
            setattr(stay, name, value)
        parsed.append((number, stay))
    # Physical stays of one person may not overlap: within the file and against stays already recorded.
    if parsed:
        row_of = {id(stay): number for number, stay in parsed}
        in_file = {stay.external_id for _n, stay in parsed}
        recorded = Stay.objects.filter(
            person_id__in={stay.person_id for _n, stay in parsed}, mode=Mode.PHYSICAL
        ).exclude(external_id__in=in_file)
        for first, second in overlapping_pairs([*recorded, *(stay for _n, stay in parsed)]):
            number = row_of.get(id(second)) or row_of.get(id(first)) or 0
            other = first if id(second) in row_of else second
            where = (
                f"row {row_of[id(other)]}" if id(other) in row_of else f"recorded stay {other.external_id or other.pk}"
            )
            rows.error(
                number,
                "start_date",
                f"physical stays of {v_person(second)} overlap: {other.start_date}–{other.end_date} ({where})",
            )
    rows.raise_if_any()
    result = ImportResult("stays", table.name)
    new, changed = _saved_many(rows, parsed, partial(network_services.stays_save_many, by=user), "stays")
    for number, stay in parsed:
        if stay.outside_partnership_dates:
            result.warnings.append(f"{table.name}, row {number}: the stay falls outside the partnership's dates")
    flagged = Stay.objects.filter(pk__in=[s.pk for _n, s in parsed], safeguard_flag=True).values_list(
        "external_id", flat=True
    )
    for flagged_id in flagged:
        result.warnings.append(
            f"{table.name}, row {seen[flagged_id or '']}: "
            "WHO Global Code flag (Safeguards-List country to a high-income host)"
        )
    result.created, result.updated = len(new), len(changed)
    return result


def _saved_many(rows: Rows, parsed: list[tuple[int, Any]], save: Any, name: str) -> tuple[list[Any], list[Any]]:
    """Run a service that saves many records; a record it refuses is reported on its row, and nothing is written."""
    try:
        created, updated = save(**{name: [record for _n, record in parsed]})
    except RowInvalid as exc:
        number = parsed[exc.index][0]
        for column, texts in exc.message_dict.items():
            rows.error(number, "row" if column == "__all__" else column, " ".join(texts))
        rows.raise_if_any()
        raise
    return created, updated


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def v_person(stay: Stay) -> str:
    return str(stay.person.external_id or stay.person.pseudo_id)


def import_ties(source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None) -> ImportResult:
    table = _read("ties", source, name)
    rows = Rows(table)
    people = people_by_external_id(
        [v["person_a"] for _n, v in table.rows] + [v["person_b"] for _n, v in table.rows], user
    )
    parsed: dict[tuple[int, int, str], tuple[int, Tie]] = {}
    for number, v in table.rows:
        a, b = people.get(v["person_a"]), people.get(v["person_b"])
        for column, person in (("person_a", a), ("person_b", b)):
            if person is None:
                rows.error(number, column, network_selectors.not_yours_message(v[column]))
        kind = rows.cell(number, v, "kind", f.parse_choice, choices=TIE_KINDS)
        start = rows.cell(number, v, "start_date", f.parse_date, required=False)
        end = rows.cell(number, v, "end_date", f.parse_date, required=False)
        if start and end and end < start:
            rows.error(number, "end_date", f"{end} is before the start date {start}")
        if a is None or b is None or not kind:
            continue
        if a.pk == b.pk:
            rows.error(number, "person_b", "a tie joins two different people")
            continue
        if kind not in DIRECTED_TIES and b.pk < a.pk:
            a, b = b, a
        key = (a.pk, b.pk, kind)
        if key in parsed:
            rows.error(number, "person_a", f"the same tie already appears on row {parsed[key][0]}")
            continue
        parsed[key] = (
            number,
            Tie(person_a=a, person_b=b, kind=kind, start_date=start, end_date=end, source=f"import {table.name}"),
        )
    rows.raise_if_any()
    result = ImportResult("ties", table.name)
    new, changed = _saved_many(rows, list(parsed.values()), partial(network_services.ties_save_many, by=user), "ties")
    result.created, result.updated = len(new), len(changed)
    return result


IMPORTERS = {"people": import_people, "stays": import_stays, "ties": import_ties}


def export_rows(
    kind: str, user: User | None, partnership: Partnership | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The same tables as the import; personal columns only for those who may see them.

    Without personal access, people are identified by their pseudonymous id and names/emails are left out."""
    personal = user is None or network_selectors.sees_all_personal_data(user)
    people = Person.objects.all() if user is None else network_selectors.people_visible_to(user)
    stays = Stay.objects.all() if user is None else network_selectors.stays_visible_to(user)
    if partnership is not None:
        people = people.filter(pk__in=Stay.objects.filter(partnership=partnership).values("person_id")) | people.filter(
            roles__partnership=partnership
        )
        stays = stays.filter(partnership=partnership)
    allowed = None if personal or user is None else network_selectors.personal_partnership_ids(user)

    def ident(person: Person, show: bool) -> str:
        return (person.external_id or person.pseudo_id) if show else person.pseudo_id

    def may_see(person_partnerships: set[int]) -> bool:
        return allowed is None or bool(person_partnerships & allowed)

    if kind == "people":
        qs = people.distinct().select_related("personal", "home_institution").order_by("pk")
        links = network_selectors.partnership_ids_by_person([p.pk for p in qs])
        columns = ["pseudo_id", *PEOPLE_COLUMNS]
        out = []
        for p in qs:
            show = may_see(links.get(p.pk, set()))
            data = getattr(p, "personal", None) if show else None
            out.append(
                [
                    p.pseudo_id,
                    p.external_id if show else "",
                    data.given_name if data else "",
                    data.family_name if data else "",
                    data.email if data else "",
                    p.cadre_id or "",
                    p.sex,
                    p.home_institution.name if p.home_institution else "",
                    p.grade,
                    p.consent_date.isoformat() if p.research_consent and p.consent_date else "no",
                ]
            )
        return columns, out
    if kind == "stays":
        stay_qs = stays.select_related("person", "partnership", "sending_institution", "host_institution").order_by(
            "start_date", "pk"
        )
        columns = [
            *STAY_COLUMNS,
            "duration_days",
            "continuum_class",
            "repeat_index",
            "days_since_previous",
            "safeguard_flag",
        ]
        out = []
        for s in stay_qs:
            show = may_see({s.partnership_id})
            out.append(
                [
                    s.external_id or "",
                    ident(s.person, show),
                    s.partnership.slug,
                    s.sending_institution.name if s.sending_institution else "",
                    s.host_institution.name,
                    s.mode,
                    s.start_date.isoformat(),
                    s.end_date.isoformat(),
                    ";".join(s.purposes),
                    s.virtual_hours if s.virtual_hours is not None else "",
                    s.funding,
                    *(_yes_no(getattr(s, name)) for name in STAY_CONDITIONS),
                    s.duration_days,
                    s.continuum_class,
                    s.repeat_index,
                    "" if s.days_since_previous is None else s.days_since_previous,
                    "yes" if s.safeguard_flag else "no",
                ]
            )
        return columns, out
    if kind == "ties":
        visible = set(people.values_list("pk", flat=True))
        ties = (
            Tie.objects.filter(person_a_id__in=visible, person_b_id__in=visible)
            .select_related("person_a", "person_b")
            .order_by("pk")
        )
        links = network_selectors.partnership_ids_by_person(
            {t.person_a_id for t in ties} | {t.person_b_id for t in ties}
        )
        out = [
            [
                ident(t.person_a, may_see(links.get(t.person_a_id, set()))),
                ident(t.person_b, may_see(links.get(t.person_b_id, set()))),
                t.kind,
                t.start_date.isoformat() if t.start_date else "",
                t.end_date.isoformat() if t.end_date else "",
            ]
            for t in ties
        ]
        return TIE_COLUMNS, out
    raise ValueError(f"unknown table {kind!r}; use people, stays or ties")
