"""Import and export of the registry: institutions, partnerships and their member institutions (CSV/XLSX).

Same rules as the people and stays import: every row is checked first and every error is reported with file,
row and column; nothing is written unless the whole file is valid (one transaction); re-importing updates
(institutions by ROR id, then exact name + country, then IATI identifier; partnerships by slug; memberships by
partnership + institution) and a row that changes nothing is counted as unchanged and not written again.
Writes go through the registry services (validation, history with who did it, derived geography, data version);
who may write what is decided by the registry selectors, as on the pages and the API."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Prefetch

from healthlinks.accounts.models import User
from healthlinks.interchange.tabular import fields as f
from healthlinks.interchange.tabular.common import ImportResult, Rows, editable_partnership_ids
from healthlinks.interchange.tabular.reader import ImportRejected, RowError, read_table
from healthlinks.reference.models import Country, DeliveryMethod, OrganisationType, Specialty
from healthlinks.registry import selectors as registry_selectors
from healthlinks.registry import services
from healthlinks.registry.models import (
    CapacityFocus,
    Delivery,
    Frequency,
    FundingScheme,
    HostEntities,
    Institution,
    InstitutionKind,
    Intervention,
    MemberRole,
    Partnership,
    PartnershipMember,
    Publication,
    Scope,
    Skills,
    VisitingGroups,
    normalise_ror,
    validate_iati_org,
    validate_ror,
)

INSTITUTION_COLUMNS = [
    "ror_id",
    "name",
    "country",
    "kind",
    "org_type",
    "city",
    "latitude",
    "longitude",
    "iati_org_id",
    "scope",
]
PARTNERSHIP_COLUMNS = [
    "slug",
    "name",
    "summary",
    "start_date",
    "end_date",
    "publication",
    "lead_institutions",
    "partner_institutions",
    "specialties",
    "delivery_methods",
    "funding_schemes",
    "capacity_focus",
    "intervention",
    "skills",
    "delivery",
    "visiting_groups",
    "host_entities",
    "frequency",
    "grant_reference",
    "contact_name",
    "contact_email",
    "internal_notes",
]
MEMBERSHIP_COLUMNS = ["partnership", "institution", "role", "joined", "left"]
COLUMNS = {
    "institutions": INSTITUTION_COLUMNS,
    "partnerships": PARTNERSHIP_COLUMNS,
    "memberships": MEMBERSHIP_COLUMNS,
}
REQUIRED = {
    "institutions": ["name", "country", "kind"],
    "partnerships": ["slug", "name", "start_date"],
    "memberships": ["partnership", "institution"],
}
EXAMPLES = {
    "institutions": [
        [
            "",
            "Gulu Regional Referral Hospital",
            "UG",
            "hospital",
            "10",
            "Gulu",
            "2.7746",
            "32.2980",
            "",
            "regional",
        ],
        [
            "",
            "Leeds Teaching Hospitals NHS Trust",
            "GBR",
            "hospital",
            "10",
            "Leeds",
            "53.8016",
            "-1.5510",
            "",
            "regional",
        ],
    ],
    "partnerships": [
        [
            "leeds-gulu-anaesthesia-partnership",
            "Leeds–Gulu Anaesthesia Partnership",
            "Safer anaesthesia in northern Uganda",
            "2023-03-01",
            "",
            "published",
            "Leeds Teaching Hospitals NHS Trust [GBR]",
            "Gulu Regional Referral Hospital [UGA]",
            "anaesthesia",
            "training-course;skill-sharing",
            "",
            "individual",
            "training",
            "specialist",
            "direct",
            "single",
            "single",
            "intermittent",
            "GR-2023-014",
            "Dr Jane Doe",
            "jane.doe@example.org",
            "",
        ]
    ],
    "memberships": [
        ["leeds-gulu-anaesthesia-partnership", "Leeds Teaching Hospitals NHS Trust [GBR]", "lead", "2023-03-01", ""],
        ["leeds-gulu-anaesthesia-partnership", "Gulu Regional Referral Hospital [UGA]", "partner", "2023-03-01", ""],
    ],
}

TYPOLOGY: dict[str, type[models.TextChoices]] = {
    "capacity_focus": CapacityFocus,
    "intervention": Intervention,
    "skills": Skills,
    "delivery": Delivery,
    "visiting_groups": VisitingGroups,
    "host_entities": HostEntities,
    "frequency": Frequency,
}
PARTNERSHIP_FIELDS = [
    "name",
    "summary",
    "start_date",
    "end_date",
    "publication",
    *TYPOLOGY,
    "grant_reference",
    "contact_name",
    "contact_email",
    "internal_notes",
]
INSTITUTION_FIELDS = [
    "name",
    "country_id",
    "kind",
    "org_type_id",
    "city",
    "latitude",
    "longitude",
    "ror_id",
    "iati_org_id",
    "scope",
]
# Model field (as named in a ValidationError) -> column of the file.
INSTITUTION_COLUMN_OF = {"country": "country", "org_type": "org_type", NON_FIELD_ERRORS: ""}
PARTNERSHIP_COLUMN_OF = {"members": "lead_institutions", NON_FIELD_ERRORS: ""}
# Partnership columns and the access level (registry.selectors.Access) needed to read them (as on the API).
HIDDEN_BELOW = {
    "grant_reference": registry_selectors.Access.RESEARCH,
    "contact_name": registry_selectors.Access.MEMBER,
    "contact_email": registry_selectors.Access.MEMBER,
    "internal_notes": registry_selectors.Access.MEMBER,
}
# "Name [GBR]": an institution by exact name within a country (ISO 3166-1 alpha-2 or alpha-3).
SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")  # Django's slug rule
NAME_IN_COUNTRY = re.compile(r"^(?P<name>.*\S)\s*\[(?P<code>[A-Za-z]{2,3})\]$")


@dataclass
class RegistryImportResult(ImportResult):
    """Counts of a registry import; rows identical to what is recorded are counted and not written."""

    unchanged: int = 0

    def __str__(self) -> str:
        total = self.created + self.updated + self.unchanged
        return (
            f"{self.file}: {total} {self.kind} imported "
            f"({self.created} new, {self.updated} updated, {self.unchanged} unchanged)"
        )


# Cell parsers (registry-specific; each returns a value or raises ValueError(reason)) ----------------------------


def _choices(enum: type[models.TextChoices]) -> dict[str, str]:
    """Codes, and their labels in lower case, to codes."""
    found = {str(value): str(value) for value in enum.values}
    found.update({str(label).lower(): str(value) for value, label in enum.choices})
    return found


def _parse_ror(value: str) -> str:
    if not value.strip():
        return ""
    ror = normalise_ror(value).lower()
    try:
        validate_ror(ror)
    except ValidationError:
        raise ValueError(
            f"{value!r} is not a valid ROR id (9 characters such as 02jx3x895, with a correct checksum)"
        ) from None
    return ror


def _parse_iati(value: str) -> str:
    if not value:
        return ""
    try:
        validate_iati_org(value)
    except ValidationError:
        raise ValueError(
            f"{value!r} is not an IATI organisation identifier (agency prefix and id, e.g. GB-CHC-1234567)"
        ) from None
    return value


def _parse_float(value: str, *, low: float, high: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not low <= number <= high:
        raise ValueError(f"{value!r} is outside {low:g} to {high:g}")
    return number


def _parse_codes(value: str, allowed: set[str], what: str) -> list[str]:
    """Codes separated by ';' (e.g. specialty slugs); each must be known."""
    codes: list[str] = []
    for part in filter(None, (p.strip() for p in value.split(";"))):
        if part not in allowed:
            raise ValueError(f"{part!r} is not a {what} (known: {', '.join(sorted(allowed)[:12])}…)")
        if part not in codes:
            codes.append(part)
    return codes


class Countries:
    """ISO 3166-1 codes, alpha-2 or alpha-3, to the alpha-3 key of the country table (one query)."""

    def __init__(self) -> None:
        self.iso3: set[str] = set()
        self.by_iso2: dict[str, str] = {}
        for iso3, iso2 in Country.objects.values_list("iso3", "iso2"):
            self.iso3.add(iso3)
            self.by_iso2[iso2] = iso3

    def get(self, value: str) -> str | None:
        code = value.strip().upper()
        return code if code in self.iso3 else self.by_iso2.get(code)

    def parse(self, value: str) -> str:
        if not value.strip():
            raise ValueError("a country is required: its ISO 3166-1 code (e.g. UG or UGA)")
        found = self.get(value)
        if found is None:
            raise ValueError(f"{value!r} is not an ISO 3166-1 country code (alpha-2 such as UG or alpha-3 such as UGA)")
        return found


def _key(name: str) -> str:
    return " ".join(name.split()).lower()


class InstitutionIndex:
    """Every institution by ROR id, IATI identifier, name + country and name (one query)."""

    def __init__(self, countries: Countries) -> None:
        self.countries = countries
        self.by_ror: dict[str, Institution] = {}
        self.by_iati: dict[str, Institution] = {}
        self.by_name_country: dict[tuple[str, str], list[Institution]] = defaultdict(list)
        self.by_name: dict[str, list[Institution]] = defaultdict(list)
        for inst in Institution.objects.all():
            if inst.ror_id:
                self.by_ror[inst.ror_id] = inst
            if inst.iati_org_id:
                self.by_iati[inst.iati_org_id] = inst
            self.by_name_country[(_key(inst.name), inst.country_id)].append(inst)
            self.by_name[_key(inst.name)].append(inst)

    def find(self, value: str) -> Institution:
        """An institution by ROR id, IATI identifier, 'exact name [country code]' or an exact name unique
        across countries."""
        ref = value.strip()
        if not ref:
            raise ValueError("an institution is required")
        ror = normalise_ror(ref).lower()
        if ror in self.by_ror:
            return self.by_ror[ror]
        if ref in self.by_iati:
            return self.by_iati[ref]
        match = NAME_IN_COUNTRY.match(ref)
        country = self.countries.get(match["code"]) if match else None
        if match and country:
            found = self.by_name_country.get((_key(match["name"]), country), [])
            if len(found) > 1:
                raise ValueError(
                    f"{len(found)} institutions in {country} are named {match['name']!r}; use the ROR id or IATI id"
                )
            if not found:
                raise ValueError(f"no institution named {match['name']!r} in {country} (import institutions first)")
            return found[0]
        found = self.by_name.get(_key(ref), [])
        if len(found) > 1:
            raise ValueError(
                f"{len(found)} institutions are named {ref!r}; add the country code, "
                f"e.g. '{ref} [{found[0].country_id}]', or use the ROR id"
            )
        if not found:
            raise ValueError(
                f"no institution {ref!r} (give the ROR id, the IATI identifier, or the exact name with the "
                "country code in brackets; import institutions first)"
            )
        return found[0]

    def ref(self, inst: Institution) -> str:
        """How the registry tables name an institution: 'Name [ISO3]', or its ROR or IATI id when several
        institutions of one country share the name (or the name holds a ';')."""
        plain = f"{inst.name} [{inst.country_id}]"
        if len(self.by_name_country[(_key(inst.name), inst.country_id)]) == 1 and ";" not in inst.name:
            return plain
        return inst.ror_id or inst.iati_org_id or plain

    def plain_ref(self, inst: Institution) -> str:
        """How the other tables name an institution (exact name, IATI id or ROR id, see common.Institutions)."""
        if len(self.by_name[_key(inst.name)]) == 1:
            return inst.name
        return inst.ror_id or inst.iati_org_id or inst.name


# Shared steps ----------------------------------------------------------------------------------------------------


def _source_name(source: str | Path | IO[bytes], name: str | None) -> str:
    if name:
        return Path(name).name
    if isinstance(source, (str, Path)):
        return Path(source).name
    return Path(str(getattr(source, "name", "upload"))).name


def _check_role(user: User | None, source: str | Path | IO[bytes], name: str | None, kind: str) -> None:
    """Whole-file refusal for roles that may not write the registry (the registry selectors decide)."""
    if user is not None and not registry_selectors.can_create_partnership(user):
        raise ImportRejected(
            [RowError(_source_name(source, name), 0, "", f"only hub admins and coordinators may import {kind}")]
        )


def _add_validation_errors(
    rows: Rows, number: int, exc: ValidationError, column_of: dict[str, str], default: str = ""
) -> None:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for field, texts in messages.items():
        rows.error(number, column_of.get(field, field if field != NON_FIELD_ERRORS else default), " ".join(texts))


def _write(rows: Rows, number: int, column_of: dict[str, str], service: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one service call; a refusal becomes a row error and rolls back the whole file."""
    try:
        return service(**kwargs)
    except ValidationError as exc:
        _add_validation_errors(rows, number, exc, column_of)
        rows.raise_if_any()  # inside the caller's transaction: nothing of the file stays written
        raise


# Institutions ----------------------------------------------------------------------------------------------------


def import_institutions(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> RegistryImportResult:
    """Institutions matched by ROR id, then by exact name + country (among those without another ROR id),
    then by IATI identifier."""
    _check_role(user, source, name, "institutions")
    table = read_table(source, columns=INSTITUTION_COLUMNS, required=REQUIRED["institutions"], name=name)
    rows = Rows(table)
    countries = Countries()
    index = InstitutionIndex(countries)
    org_types = set(OrganisationType.objects.values_list("code", flat=True))
    kinds = _choices(InstitutionKind)
    scopes = _choices(Scope)
    seen: dict[tuple[str, Any], int] = {}
    matched: dict[int, int] = {}  # institution pk -> row
    plans: list[tuple[int, Institution | None, dict[str, Any], bool]] = []
    for number, v in table.rows:
        errors_before = len(rows.errors)
        ror = rows.cell(number, v, "ror_id", _parse_ror)
        iati = rows.cell(number, v, "iati_org_id", _parse_iati)
        country = rows.cell(number, v, "country", countries.parse)
        kind = rows.cell(number, v, "kind", f.parse_choice, choices=kinds)
        scope = rows.cell(number, v, "scope", f.parse_choice, choices=scopes, required=False)
        latitude = rows.cell(number, v, "latitude", _parse_float, low=-90, high=90)
        longitude = rows.cell(number, v, "longitude", _parse_float, low=-180, high=180)
        if v["org_type"] and v["org_type"] not in org_types:
            rows.error(number, "org_type", f"{v['org_type']!r} is not an IATI organisation type code (e.g. 10, 21)")
        if not v["name"]:
            rows.error(number, "name", "a name is required")
        if len(rows.errors) > errors_before:
            continue
        duplicate = False
        # A row is known by its ROR id, else by its name and country; IATI identifiers are unique too.
        natural = ("ror_id", ror) if ror else ("name", (_key(v["name"]), country))
        for column, key in (natural, ("iati_org_id", iati)):
            if not key:
                continue
            if (column, key) in seen:
                what = "the same name and country" if column == "name" else f"{column} {key!r}"
                rows.error(number, column, f"{what} already appears on row {seen[(column, key)]}")
                duplicate = True
            seen.setdefault((column, key), number)
        if duplicate:
            continue
        existing, column = None, "name"
        if ror and ror in index.by_ror:
            existing, column = index.by_ror[ror], "ror_id"
        else:
            same = index.by_name_country.get((_key(v["name"]), country), [])
            if ror:  # a row with a ROR id is not an institution recorded with another ROR id
                same = [i for i in same if not i.ror_id]
            if len(same) > 1:
                rows.error(number, "name", f"{len(same)} institutions in {country} have this name; give the ROR id")
                continue
            if same:
                existing = same[0]
            elif iati and iati in index.by_iati:
                existing, column = index.by_iati[iati], "iati_org_id"
        for unique_column, value, by_value in (("ror_id", ror, index.by_ror), ("iati_org_id", iati, index.by_iati)):
            other = by_value.get(value) if value else None
            if other is not None and (existing is None or other.pk != existing.pk):
                rows.error(number, unique_column, f"{value!r} already identifies {other.name!r} ({other.country_id})")
                existing = None
                duplicate = True
        if duplicate:
            continue
        if existing is not None:
            if existing.pk in matched:
                rows.error(number, column, f"the same institution as row {matched[existing.pk]}")
                continue
            matched[existing.pk] = number
        fields = {
            "name": v["name"],
            "country_id": country,
            "kind": kind,
            "org_type_id": v["org_type"] or None,
            "city": v["city"],
            "latitude": latitude,
            "longitude": longitude,
            # Identifiers are keys: an empty cell keeps the recorded one (the form clears it).
            "ror_id": ror or (existing.ror_id if existing else None),
            "iati_org_id": iati or (existing.iati_org_id if existing else None),
            "scope": scope,
        }
        try:  # lengths, coordinates given together: the model's own rules (codes were checked above)
            Institution(**fields).full_clean(exclude=["country", "org_type"], validate_unique=False)
        except ValidationError as exc:
            _add_validation_errors(rows, number, exc, INSTITUTION_COLUMN_OF)
            continue
        changed = existing is None or any(getattr(existing, k) != fields[k] for k in INSTITUTION_FIELDS)
        refused = (
            changed
            and existing is not None
            and user is not None
            and not registry_selectors.can_edit_institution(user, existing)
        )
        if refused:
            assert existing is not None
            reason = f"you may not change {existing.name!r}: it belongs to partnerships you do not coordinate"
            rows.error(number, column, reason)
            continue
        plans.append((number, existing, fields, changed))
    rows.raise_if_any()
    result = RegistryImportResult("institutions", table.name)
    with transaction.atomic():
        for number, existing, fields, changed in plans:
            if not changed:
                result.unchanged += 1
            elif existing is None:
                _write(rows, number, INSTITUTION_COLUMN_OF, services.institution_create, by=user, **fields)
                result.created += 1
            else:
                _write(
                    rows,
                    number,
                    INSTITUTION_COLUMN_OF,
                    services.institution_update,
                    by=user,
                    institution=existing,
                    **fields,
                )
                result.updated += 1
    return result


# Partnerships ----------------------------------------------------------------------------------------------------


@dataclass
class PartnershipPlan:
    row: int
    slug: str
    partnership: Partnership | None  # None: a new partnership
    fields: dict[str, Any]
    relations: dict[str, list[str]]
    members: list[services.MemberSpec] | None  # None: members left as they are
    changed: bool


def _members_with_institutions() -> Prefetch:
    """Members joined to their institution in one query (a prefetch of the institutions would ask for them by an
    OR of ids on SQLite, which fails beyond 1,000)."""
    return Prefetch("members", queryset=PartnershipMember.objects.select_related("institution"))


def _existing_partnerships(slugs: Iterable[str]) -> dict[str, Partnership]:
    qs = Partnership.objects.filter(slug__in=set(slugs)).prefetch_related(
        "members", "specialties", "delivery_methods", "funding_schemes"
    )
    return {p.slug: p for p in qs}


def _refuse_partnership(
    rows: Rows, number: int, column: str, ref: str, partnership: Partnership, editable: set[int] | None
) -> bool:
    """Row error when the partnership may not be written by this user; True if refused."""
    if partnership.deleted_at is not None:
        rows.error(number, column, f"{ref!r} was deleted; a hub admin restores it on /ops/deleted/ first")
        return True
    if editable is not None and partnership.pk not in editable:
        rows.error(number, column, f"you do not coordinate {ref!r}")
        return True
    return False


def import_partnerships(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> RegistryImportResult:
    """Partnerships by slug, with their lead and partner institutions, specialties, delivery methods, funding
    schemes and typology codes. Empty member columns (and publication) of a recorded partnership leave them as
    they are; a new partnership needs two member institutions and is a draft unless publication says otherwise."""
    _check_role(user, source, name, "partnerships")
    table = read_table(source, columns=PARTNERSHIP_COLUMNS, required=REQUIRED["partnerships"], name=name)
    rows = Rows(table)
    editable = editable_partnership_ids(user)
    existing = _existing_partnerships(v["slug"] for _n, v in table.rows)
    index = InstitutionIndex(Countries())
    publications = _choices(Publication)
    typology = {column: _choices(enum) for column, enum in TYPOLOGY.items()}
    allowed = {
        "specialties": (set(Specialty.objects.values_list("slug", flat=True)), "specialty slug"),
        "delivery_methods": (set(DeliveryMethod.objects.values_list("slug", flat=True)), "delivery method slug"),
        "funding_schemes": (set(FundingScheme.objects.values_list("slug", flat=True)), "funding scheme slug"),
    }
    seen: dict[str, int] = {}
    plans: list[PartnershipPlan] = []
    for number, v in table.rows:
        errors_before = len(rows.errors)
        slug = v["slug"]
        partnership = existing.get(slug)
        if not slug:
            rows.error(number, "slug", "a slug is required (it identifies the partnership on re-import)")
        elif partnership is None and not SLUG.match(slug):
            rows.error(number, "slug", f"{slug!r} is not a slug (letters, digits, hyphens and underscores)")
        elif slug in seen:
            rows.error(number, "slug", f"{slug!r} already appears on row {seen[slug]}")
            continue
        seen.setdefault(slug, number)
        if partnership is not None and _refuse_partnership(rows, number, "slug", slug, partnership, editable):
            continue
        start = rows.cell(number, v, "start_date", f.parse_date)
        end = rows.cell(number, v, "end_date", f.parse_date, required=False)
        if start and end and end < start:
            rows.error(number, "end_date", f"{end} is before the start date {start}")
        publication = rows.cell(number, v, "publication", f.parse_choice, choices=publications, required=False)
        codes = {c: rows.cell(number, v, c, f.parse_choice, choices=typology[c], required=False) for c in TYPOLOGY}
        relations = {c: rows.cell(number, v, c, _parse_codes, allowed=ok, what=w) for c, (ok, w) in allowed.items()}
        if v["contact_email"]:
            try:
                validate_email(v["contact_email"])
            except ValidationError:
                rows.error(number, "contact_email", f"{v['contact_email']!r} is not an email address")
        if not v["name"]:
            rows.error(number, "name", "a name is required")
        members: list[services.MemberSpec] | None = None
        if v["lead_institutions"] or v["partner_institutions"] or partnership is None:
            members = _member_specs(rows, number, v, index, partnership)
        if len(rows.errors) > errors_before:
            continue
        fields: dict[str, Any] = {
            "name": v["name"],
            "summary": v["summary"],
            "start_date": start,
            "end_date": end,
            "publication": publication or (partnership.publication if partnership else Publication.DRAFT),
            **codes,
            "grant_reference": v["grant_reference"],
            "contact_name": v["contact_name"],
            "contact_email": v["contact_email"],
            "internal_notes": v["internal_notes"],
        }
        try:  # lengths and the like: the model's own rules
            Partnership(slug=slug, **fields).full_clean(validate_unique=False)
        except ValidationError as exc:
            _add_validation_errors(rows, number, exc, PARTNERSHIP_COLUMN_OF)
            continue
        changed = partnership is None or not _same_partnership(partnership, fields, relations, members)
        plans.append(PartnershipPlan(number, slug, partnership, fields, relations, members, changed))
    rows.raise_if_any()
    result = RegistryImportResult("partnerships", table.name)
    with transaction.atomic():
        for plan in plans:
            if not plan.changed:
                result.unchanged += 1
                continue
            related = {k: _objects(k, codes) for k, codes in plan.relations.items()}
            if plan.partnership is None:
                _write(
                    rows,
                    plan.row,
                    PARTNERSHIP_COLUMN_OF,
                    services.partnership_create,
                    by=user,
                    members=plan.members or [],
                    slug=plan.slug,
                    **related,
                    **plan.fields,
                )
                result.created += 1
            else:
                _write(
                    rows,
                    plan.row,
                    PARTNERSHIP_COLUMN_OF,
                    services.partnership_update,
                    by=user,
                    partnership=plan.partnership,
                    members=plan.members,
                    **related,
                    **plan.fields,
                )
                result.updated += 1
    return result


def _objects(column: str, codes: Sequence[str]) -> list[Any]:
    model: type[models.Model] = {
        "specialties": Specialty,
        "delivery_methods": DeliveryMethod,
        "funding_schemes": FundingScheme,
    }[column]
    by_slug = {obj.slug: obj for obj in model.objects.filter(slug__in=codes)}  # type: ignore[attr-defined]
    return [by_slug[c] for c in codes]


def _member_specs(
    rows: Rows, number: int, v: dict[str, str], index: InstitutionIndex, partnership: Partnership | None
) -> list[services.MemberSpec] | None:
    """Lead and partner institutions of a row; recorded members keep their joining and leaving dates."""
    recorded = {m.institution_id: m for m in partnership.members.all()} if partnership is not None else {}
    specs: list[services.MemberSpec] = []
    listed: dict[int, str] = {}
    failed = False
    for column, role in (("lead_institutions", MemberRole.LEAD), ("partner_institutions", MemberRole.PARTNER)):
        for ref in filter(None, (r.strip() for r in v[column].split(";"))):
            try:
                inst = index.find(ref)
            except ValueError as exc:
                rows.error(number, column, str(exc))
                failed = True
                continue
            if inst.pk in listed:
                rows.error(number, column, f"{inst.name!r} is already listed in {listed[inst.pk]}")
                failed = True
                continue
            listed[inst.pk] = column
            old = recorded.get(inst.pk)
            specs.append(
                services.MemberSpec(
                    institution=inst, role=role, joined=old.joined if old else None, left=old.left if old else None
                )
            )
    if failed:
        return None
    if len(specs) < 2:
        rows.error(number, "lead_institutions", "a partnership needs at least two member institutions")
        return None
    return specs


def _same_partnership(
    p: Partnership,
    fields: dict[str, Any],
    relations: dict[str, list[str]],
    members: list[services.MemberSpec] | None,
) -> bool:
    if any(getattr(p, k) != value for k, value in fields.items()):
        return False
    for column, codes in relations.items():
        if {obj.slug for obj in getattr(p, column).all()} != set(codes):
            return False
    if members is not None:
        recorded = {m.institution_id: m.role for m in p.members.all()}
        if recorded != {m.institution.pk: m.role for m in members}:
            return False
    return True


# Memberships -----------------------------------------------------------------------------------------------------


def import_memberships(
    source: str | Path | IO[bytes], *, user: User | None = None, name: str | None = None
) -> RegistryImportResult:
    """Member institutions of partnerships with their role and dates, by partnership + institution. Members
    not in the file are kept (the partnerships table sets who is a member)."""
    _check_role(user, source, name, "memberships")
    table = read_table(source, columns=MEMBERSHIP_COLUMNS, required=REQUIRED["memberships"], name=name)
    rows = Rows(table)
    editable = editable_partnership_ids(user)
    refs = {v["partnership"] for _n, v in table.rows}
    partnerships: dict[str, Partnership] = {}
    for p in (Partnership.objects.filter(slug__in=refs) | Partnership.objects.filter(name__in=refs)).prefetch_related(
        _members_with_institutions()
    ):
        partnerships.setdefault(p.slug, p)
        partnerships.setdefault(p.name, p)
    index = InstitutionIndex(Countries())
    roles = _choices(MemberRole)
    seen: dict[tuple[int, int], int] = {}
    wanted: dict[int, dict[int, tuple[int, str, date | None, date | None]]] = defaultdict(dict)
    for number, v in table.rows:
        partnership = partnerships.get(v["partnership"])
        if partnership is None:
            rows.error(number, "partnership", f"no partnership with slug or name {v['partnership']!r}")
        elif _refuse_partnership(rows, number, "partnership", v["partnership"], partnership, editable):
            partnership = None
        inst = rows.cell(number, v, "institution", index.find)
        role = rows.cell(number, v, "role", f.parse_choice, choices=roles, required=False)
        joined = rows.cell(number, v, "joined", f.parse_date, required=False)
        left = rows.cell(number, v, "left", f.parse_date, required=False)
        if joined and left and left < joined:
            rows.error(number, "left", f"{left} is before the joining date {joined}")
        if partnership is None or inst is None or role is None:
            continue
        key = (partnership.pk, inst.pk)
        if key in seen:
            rows.error(number, "institution", f"{inst.name!r} in this partnership already appears on row {seen[key]}")
            continue
        seen[key] = number
        wanted[partnership.pk][inst.pk] = (number, role, joined, left)
    rows.raise_if_any()
    by_pk = {p.pk: p for p in partnerships.values()}
    institutions = {i.pk: i for i in Institution.objects.filter(pk__in={i for w in wanted.values() for i in w})}
    result = RegistryImportResult("memberships", table.name)
    with transaction.atomic():
        for partnership_pk, rows_of in wanted.items():
            partnership = by_pk[partnership_pk]
            recorded = {m.institution_id: m for m in partnership.members.all()}
            specs = {
                pk: services.MemberSpec(institution=m.institution, role=m.role, joined=m.joined, left=m.left)
                for pk, m in recorded.items()
            }
            changed = False
            for inst_pk, (_number, role, joined, left) in rows_of.items():
                old = recorded.get(inst_pk)
                role = role or (old.role if old else MemberRole.PARTNER)  # empty: as recorded, or partner
                # The service keeps a recorded joining date when none is given, and a new member joins with the
                # partnership's start unless a date is given.
                joined = joined or (old.joined if old else partnership.start_date)
                if old is not None and (old.role, old.joined, old.left) == (role, joined, left):
                    result.unchanged += 1
                    continue
                specs[inst_pk] = services.MemberSpec(
                    institution=institutions[inst_pk], role=role, joined=joined, left=left
                )
                changed = True
                result.count(old is None)
            if changed:
                first = min(n for n, *_rest in rows_of.values())
                _write(
                    rows,
                    first,
                    {"members": "institution", NON_FIELD_ERRORS: ""},
                    services.partnership_update,
                    by=user,
                    partnership=partnership,
                    members=list(specs.values()),
                )
    return result


IMPORTERS = {
    "institutions": import_institutions,
    "partnerships": import_partnerships,
    "memberships": import_memberships,
}


# Export ----------------------------------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_institutions(user: User | None, partnership: Partnership | None = None) -> tuple[list[str], list[list[Any]]]:
    """Institutions the user may see (everyone signed in sees them all; the public those of published
    partnerships), in the import's columns."""
    qs = Institution.objects.all() if user is None else registry_selectors.institutions_visible_to(user)
    if partnership is not None:
        qs = qs.filter(memberships__partnership=partnership)
    out = [
        [
            i.ror_id or "",
            i.name,
            i.country_id,
            i.kind,
            i.org_type_id or "",
            i.city,
            _text(i.latitude),
            _text(i.longitude),
            i.iati_org_id or "",
            i.scope,
        ]
        for i in qs.order_by("name", "country_id", "pk")
    ]
    return INSTITUTION_COLUMNS, out


def _partnerships_for(user: User | None, partnership: Partnership | None) -> Any:
    qs = (
        Partnership.objects.filter(deleted_at__isnull=True)
        if user is None
        else registry_selectors.partnerships_visible_to(user)
    )
    if partnership is not None:
        qs = qs.filter(pk=partnership.pk)
    return qs.order_by("slug")


def export_partnerships(user: User | None, partnership: Partnership | None = None) -> tuple[list[str], list[list[Any]]]:
    """Partnerships the user may see; grant reference, contact and notes only at the access level that may
    read them (as on the pages and the API)."""
    qs = _partnerships_for(user, partnership).prefetch_related(
        _members_with_institutions(), "specialties", "delivery_methods", "funding_schemes"
    )
    roles = registry_selectors.access_map(user) if user is not None else {}
    index = InstitutionIndex(Countries())
    out = []
    for p in qs:
        access = (
            registry_selectors.Access.EDIT if user is None else registry_selectors.partnership_access(user, p, roles)
        )
        members = sorted(p.members.all(), key=lambda m: (m.institution.name, m.institution_id))
        row: dict[str, Any] = {
            "slug": p.slug,
            "lead_institutions": ";".join(index.ref(m.institution) for m in members if m.role == MemberRole.LEAD),
            "partner_institutions": ";".join(index.ref(m.institution) for m in members if m.role != MemberRole.LEAD),
            "specialties": ";".join(sorted(s.slug for s in p.specialties.all())),
            "delivery_methods": ";".join(sorted(d.slug for d in p.delivery_methods.all())),
            "funding_schemes": ";".join(sorted(s.slug for s in p.funding_schemes.all())),
        }
        for field in PARTNERSHIP_FIELDS:
            visible = access >= HIDDEN_BELOW.get(field, registry_selectors.Access.NONE)
            row[field] = _text(getattr(p, field)) if visible else ""
        out.append([row[c] for c in PARTNERSHIP_COLUMNS])
    return PARTNERSHIP_COLUMNS, out


def export_memberships(user: User | None, partnership: Partnership | None = None) -> tuple[list[str], list[list[Any]]]:
    members = (
        PartnershipMember.objects.filter(partnership__in=_partnerships_for(user, partnership))
        .select_related("partnership", "institution")
        .order_by("partnership__slug", "institution__name", "pk")
    )
    index = InstitutionIndex(Countries())
    out = [[m.partnership.slug, index.ref(m.institution), m.role, _text(m.joined), _text(m.left)] for m in members]
    return MEMBERSHIP_COLUMNS, out


EXPORTERS = {
    "institutions": export_institutions,
    "partnerships": export_partnerships,
    "memberships": export_memberships,
}
