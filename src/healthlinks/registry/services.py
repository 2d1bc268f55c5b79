"""Writes to the registry: validated, atomic, recorded in the history with who did it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from healthlinks import bulk, changes
from healthlinks.accounts.models import User
from healthlinks.records import RowInvalid, record_delete, record_save
from healthlinks.reference.models import Country, IncomeGroup
from healthlinks.registry.models import (
    AccessRole,
    FundingScheme,
    GeographyClass,
    Institution,
    MemberRole,
    Partnership,
    PartnershipAccess,
    PartnershipMember,
    PrinciplesAssessment,
    normalise_ror,
)


@dataclass(frozen=True)
class MemberSpec:
    institution: Institution
    role: str = MemberRole.PARTNER
    joined: date | None = None
    left: date | None = None


def geography_class_of(countries: Sequence[Country]) -> str:
    """North = World Bank high income; South = every other classified country.
    Three or more countries make a multi-country partnership."""
    distinct = {c.iso3: c for c in countries}
    if len(distinct) >= 3:
        return GeographyClass.MULTI_COUNTRY
    groups = {c.income_group for c in distinct.values() if c.income_group}
    if not groups:
        return GeographyClass.UNKNOWN
    north = IncomeGroup.HIC in groups
    south = bool(groups - {IncomeGroup.HIC})
    if north and south:
        return GeographyClass.NORTH_SOUTH
    return GeographyClass.NORTH_NORTH if north else GeographyClass.SOUTH_SOUTH


def partnership_refresh_derived(*, partnership: Partnership) -> None:
    countries = [m.institution.country for m in partnership.members.select_related("institution__country")]
    value = geography_class_of(countries)
    if value != partnership.geography_class:
        Partnership.objects.filter(pk=partnership.pk).update(geography_class=value)
        partnership.geography_class = value


def make_slug(name: str) -> str:
    """Slug from a name; dashes of any kind (Leeds–Gulu) separate words."""
    return slugify(name.replace("\u2013", " ").replace("\u2014", " "))[:70]


def _unique_slug(name: str, exclude_pk: int | None = None) -> str:
    base = make_slug(name) or "partnership"
    slug, n = base, 2
    others = Partnership.objects.all() if exclude_pk is None else Partnership.objects.exclude(pk=exclude_pk)
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


MEMBER_ROLES = frozenset(MemberRole.values)  # (the enum builds its list of values at each use)


def _check_members(members: Sequence[MemberSpec]) -> None:
    institutions = [m.institution.pk for m in members]
    if len(set(institutions)) != len(institutions):
        raise ValidationError({"members": _("an institution is listed twice")})
    if len(set(institutions)) < 2:
        raise ValidationError({"members": _("a partnership needs at least two member institutions")})
    for m in members:
        if m.role not in MEMBER_ROLES:
            raise ValidationError({"members": _("unknown member role %(role)s") % {"role": m.role}})
        if m.joined and m.left and m.left < m.joined:
            raise ValidationError(
                {"members": _("%(name)s: leaving date before joining date") % {"name": m.institution.name}}
            )


def _set_members(partnership: Partnership, members: Sequence[MemberSpec], by: User | None) -> None:
    keep = {m.institution.pk for m in members}
    for old in partnership.members.exclude(institution_id__in=keep):
        record_delete(old, by=by)
    for spec in members:
        member, created = PartnershipMember.objects.get_or_create(
            partnership=partnership,
            institution=spec.institution,
            defaults={"role": spec.role, "joined": spec.joined or partnership.start_date, "left": spec.left},
        )
        if not created and (member.role, member.joined, member.left) != (spec.role, spec.joined, spec.left):
            member.role, member.joined, member.left = spec.role, spec.joined or member.joined, spec.left
            record_save(member, by=by, validate=False)


def _set_relations(
    partnership: Partnership,
    specialties: Iterable[Any] | None,
    delivery_methods: Iterable[Any] | None,
    funding_schemes: Iterable[Any] | None,
) -> None:
    if specialties is not None:
        partnership.specialties.set(list(specialties))
    if delivery_methods is not None:
        partnership.delivery_methods.set(list(delivery_methods))
    if funding_schemes is not None:
        partnership.funding_schemes.set(list(funding_schemes))


EDITABLE_FIELDS = {
    "name",
    "slug",
    "summary",
    "start_date",
    "end_date",
    "publication",
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
    "needs_review",
}


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})


@transaction.atomic
def partnership_create(
    *,
    by: User | None,
    members: Sequence[MemberSpec],
    specialties: Iterable[Any] = (),
    delivery_methods: Iterable[Any] = (),
    funding_schemes: Iterable[Any] = (),
    **fields: Any,
) -> Partnership:
    _check_fields(fields)
    if not fields.get("slug"):
        fields["slug"] = _unique_slug(fields.get("name", ""))
    partnership = Partnership(**fields)
    partnership.full_clean()
    _check_members(members)
    record_save(partnership, by=by, validate=False)
    _set_members(partnership, members, by)
    _set_relations(partnership, specialties, delivery_methods, funding_schemes)
    partnership_refresh_derived(partnership=partnership)
    if by is not None and not by.is_hub_admin:
        PartnershipAccess.objects.get_or_create(
            user=by, partnership=partnership, defaults={"role": AccessRole.COORDINATOR}
        )
    return partnership


@transaction.atomic
def partnership_update(
    *,
    by: User | None,
    partnership: Partnership,
    members: Sequence[MemberSpec] | None = None,
    specialties: Iterable[Any] | None = None,
    delivery_methods: Iterable[Any] | None = None,
    funding_schemes: Iterable[Any] | None = None,
    **fields: Any,
) -> Partnership:
    _check_fields(fields)
    if "slug" in fields and not fields["slug"]:
        fields["slug"] = _unique_slug(fields.get("name", partnership.name), exclude_pk=partnership.pk)
    for name, value in fields.items():
        setattr(partnership, name, value)
    partnership.full_clean()
    if members is not None:
        _check_members(members)
    record_save(partnership, by=by, validate=False)
    if members is not None:
        _set_members(partnership, members, by)
    _set_relations(partnership, specialties, delivery_methods, funding_schemes)
    partnership_refresh_derived(partnership=partnership)
    return partnership


INSTITUTION_FIELDS = {
    "name",
    "country",
    "country_id",
    "kind",
    "org_type",
    "org_type_id",
    "city",
    "latitude",
    "longitude",
    "ror_id",
    "iati_org_id",
    "scope",
    "needs_review",
}


def _institution_normalise(institution: Institution) -> None:
    institution.ror_id = normalise_ror(institution.ror_id) if institution.ror_id else None
    institution.iati_org_id = institution.iati_org_id or None


def _institution_clean(institution: Institution) -> None:
    _institution_normalise(institution)
    institution.full_clean()


@transaction.atomic
def institution_create(*, by: User | None, **fields: Any) -> Institution:
    unknown = set(fields) - INSTITUTION_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    institution = Institution(**fields)
    _institution_clean(institution)
    record_save(institution, by=by, validate=False)
    return institution


@transaction.atomic
def institutions_create_many(
    *,
    by: User | None,
    institutions: Sequence[Mapping[str, Any]],
    later: bulk.Later | None = None,
    synthetic: bool = False,
) -> list[Institution]:
    """Create many institutions (each given as `institution_create` takes its fields) in a few statements, each
    validated as `institution_create` validates it (`full_clean`; their countries, organisation types and unique
    identifiers looked up with one query each for all of them) and recorded in the history with `by` as its
    author. A refused institution raises `RowInvalid` with its index and nothing is written. Sends no signals:
    the data versions are bumped here, once. Returns the institutions, saved, in the order given. With a pipelined
    `later` (`projects.later`, PostgreSQL), their history rows are copied when the caller sends its statements.
    `synthetic`: marked as records of the demo world."""
    records = []
    for index, fields in enumerate(institutions):
        unknown = set(fields) - INSTITUTION_FIELDS
        if unknown:
            raise RowInvalid(index, ValidationError({name: _("this field cannot be set") for name in sorted(unknown)}))
        institution = bulk.new(Institution, fields)
        _institution_normalise(institution)
        institution.is_synthetic = synthetic
        records.append(institution)
    bulk.validate(records)
    bulk.create(records, by=by, later=later)
    changes.changed([Institution])
    return records


@dataclass(frozen=True)
class NewPartnership:
    """A partnership for `partnerships_create_many`: its fields (as `partnership_create` takes them; a partnership
    without slug is given a unique one made from its name), its members, and its specialties, delivery methods and
    funding schemes (records or their keys)."""

    fields: Mapping[str, Any]
    members: Sequence[MemberSpec]
    specialties: Sequence[Any] = ()
    delivery_methods: Sequence[Any] = ()
    funding_schemes: Sequence[Any] = ()


@transaction.atomic
def partnerships_create_many(
    *,
    by: User | None,
    partnerships: Sequence[NewPartnership],
    later: bulk.Later | None = None,
    synthetic: bool = False,
) -> list[Partnership]:
    """Create many partnerships with their members in a few statements, each validated as `partnership_create`
    validates it (`full_clean`, its members, its specialties, delivery methods and funding schemes), its geography
    derived from its members' countries, recorded in the history (the partnership with its links, and each member,
    `by` as their author), and coordinated by `by` unless a hub admin. A refused partnership raises `RowInvalid`
    with its index and nothing is written. Sends no signals: the data versions are bumped here, once. Returns the
    partnerships, saved, in the order given. With a pipelined `later`, the history rows of partnerships without
    links (and of their members) are copied when the caller sends its statements. `synthetic`: marked as records of
    the demo world."""
    records = []
    for index, new in enumerate(partnerships):
        try:
            _check_fields(dict(new.fields))
            if any(m.institution.pk is None for m in new.members):
                raise ValidationError({"members": _("a member institution is not saved yet")})
            _check_members(new.members)
        except ValidationError as exc:
            raise RowInvalid(index, exc) from None
        partnership = bulk.new(Partnership, new.fields)
        partnership.is_synthetic = synthetic
        records.append(partnership)
    _unique_slugs(records)
    bulk.validate(records)
    links = _links_checked(partnerships)
    countries = Country.objects.in_bulk({m.institution.country_id for new in partnerships for m in new.members})
    for partnership, new in zip(records, partnerships, strict=True):
        partnership.geography_class = geography_class_of(
            [countries[m.institution.country_id] for m in new.members if m.institution.country_id in countries]
        )

    def link() -> None:
        for field, chosen in links.items():
            through = getattr(Partnership, field).through
            other = getattr(Partnership, field).field.m2m_reverse_field_name()
            rows = [
                {"partnership_id": partnership.pk, f"{other}_id": key}
                for partnership, keys in zip(records, chosen, strict=True)
                for key in keys
            ]
            bulk.create_rows(through, rows, by=by)

    bulk.create(records, by=by, later=later, links=link if links else None)
    bulk.create_rows(
        PartnershipMember,
        [
            {
                "partnership_id": partnership_id,
                "institution_id": spec.institution.pk,
                "role": spec.role,
                "joined": spec.joined or start,
                "left": spec.left,
            }
            for partnership, new in zip(records, partnerships, strict=True)
            for partnership_id, start in ((partnership.pk, partnership.start_date),)
            for spec in new.members
        ],
        by=by,
        later=later,
    )
    if by is not None and not by.is_hub_admin:
        bulk.create(
            [PartnershipAccess(user=by, partnership=p, role=AccessRole.COORDINATOR) for p in records],
            by=by,
        )
    changed: list[Any] = [Partnership, PartnershipMember, PartnershipAccess]
    changed += [getattr(Partnership, field).through for field in links]
    changes.changed(changed)
    return records


LINKED = ("specialties", "delivery_methods", "funding_schemes")


def _links_checked(partnerships: Sequence[NewPartnership]) -> dict[str, list[list[Any]]]:
    """The keys of each partnership's specialties, delivery methods and funding schemes, by field (only the fields
    some partnership links), each looked up with one query for all of them: an unknown one raises `RowInvalid`
    with its partnership's index, one given twice is linked once."""
    links: dict[str, list[list[Any]]] = {}
    for field in LINKED:
        chosen = [[getattr(o, "pk", o) for o in getattr(new, field)] for new in partnerships]
        if not any(chosen):
            continue
        related = getattr(Partnership, field).field.related_model
        found = bulk.existing(related, related._meta.pk.name, {key for keys in chosen for key in keys})
        for index, keys in enumerate(chosen):
            unknown = [key for key in keys if key not in found]
            if unknown:
                message = _("unknown %(what)s: %(keys)s") % {
                    "what": related._meta.verbose_name,
                    "keys": ", ".join(map(str, unknown)),
                }
                raise RowInvalid(index, ValidationError({field: message}))
        links[field] = [list(dict.fromkeys(keys)) for keys in chosen]
    return links


@transaction.atomic
def funding_schemes_ensure_many(*, schemes: Sequence[Mapping[str, str]]) -> list[FundingScheme]:
    """The funding schemes named by these slugs (each given as `slug`, `name`, `funder`), in the order given: a
    stored one as it is, the others validated and created (a refused one raises `RowInvalid` with its index and
    nothing is written)."""
    slugs = [fields.get("slug", "") for fields in schemes]
    stored = {s.slug: s for s in FundingScheme.objects.filter(slug__in=slugs)}
    new: dict[str, FundingScheme] = {}
    rows: list[int] = []
    for index, fields in enumerate(schemes):
        unknown = set(fields) - {"slug", "name", "funder"}
        if unknown:
            raise RowInvalid(index, ValidationError({name: _("this field cannot be set") for name in sorted(unknown)}))
        if fields.get("slug") not in stored and fields.get("slug") not in new:
            new[fields.get("slug", "")] = FundingScheme(**fields)
            rows.append(index)
    bulk.validate(list(new.values()), rows=rows)
    bulk.create(list(new.values()), by=None)
    if new:
        changes.changed([FundingScheme])
    return [stored.get(slug) or new[slug] for slug in slugs]


@transaction.atomic
def assessments_create_many(
    *, by: User | None, assessments: Sequence[PrinciplesAssessment]
) -> list[PrinciplesAssessment]:
    """Create many Principles of Partnership self-assessments, each validated as `assessment_create` validates one
    (`full_clean`; its side one of its partnership's member institutions, for all of them with one query) and
    recorded in the history with `by` as its author. A refused one raises `RowInvalid` with its index and nothing
    is written. Returns them, saved."""
    bulk.validate(assessments)
    sides = {(a.partnership_id, a.side_id) for a in assessments if a.side_id is not None}
    members: set[tuple[int, int]] = set()
    partnerships = sorted({p for p, _side in sides})
    for start in range(0, len(partnerships), 500):
        rows = PartnershipMember.objects.filter(partnership_id__in=partnerships[start : start + 500])
        members.update(rows.values_list("partnership_id", "institution_id"))
    for index, assessment in enumerate(assessments):
        if assessment.side_id is not None and (assessment.partnership_id, assessment.side_id) not in members:
            message = _("%(i)s is not a member of this partnership") % {"i": assessment.side}
            raise RowInvalid(index, ValidationError({"side": message}))
    bulk.create(assessments, by=by)
    changes.changed([PrinciplesAssessment])
    return list(assessments)


def _unique_slugs(partnerships: Sequence[Partnership]) -> None:
    """Give each of these partnerships that has no slug the one `partnership_create` would give it, one after the
    other: its name's, else the first of `-2`, `-3`, ... not taken (by the database or an earlier one of these);
    with a query for all of their names (and one per name taken or given twice, for the numbered slugs)."""
    bases = {id(p): make_slug(p.name) or "partnership" for p in partnerships if not p.slug}
    if not bases:
        return
    taken = bulk.existing(Partnership, "slug", set(bases.values()))
    numbered: dict[str, int] = {}  # per name taken or given twice: the next number to try
    twice = Counter(bases.values())
    slugs = {p.slug for p in partnerships if p.slug}
    for base in {b for b in bases.values() if b in taken or b in slugs or twice[b] > 1}:
        taken.update(Partnership.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True))
        numbered[base] = 2
    for partnership in partnerships:
        if partnership.slug:  # given: taken for those that follow (a duplicate is refused by its validation)
            taken.add(partnership.slug)
            continue
        base = bases[id(partnership)]
        slug = base
        if slug in taken:
            n = numbered.get(base, 2)
            while f"{base}-{n}" in taken:
                n += 1
            slug, numbered[base] = f"{base}-{n}", n + 1
        taken.add(slug)
        partnership.slug = slug


@transaction.atomic
def institution_update(*, by: User | None, institution: Institution, **fields: Any) -> Institution:
    unknown = set(fields) - INSTITUTION_FIELDS
    if unknown:
        raise ValidationError({name: _("this field cannot be set") for name in sorted(unknown)})
    country_before = institution.country_id
    for name, value in fields.items():
        setattr(institution, name, value)
    _institution_clean(institution)
    record_save(institution, by=by, validate=False)
    if institution.country_id != country_before:
        for partnership in Partnership.objects.filter(members__institution=institution):
            partnership_refresh_derived(partnership=partnership)
    return institution


@transaction.atomic
def partnership_access_grant(*, partnership: Partnership, user: User, role: str) -> PartnershipAccess:
    if role not in AccessRole.values:
        raise ValidationError({"role": _("unknown role %(role)s") % {"role": role}})
    access, _created = PartnershipAccess.objects.update_or_create(
        user=user, partnership=partnership, defaults={"role": role}
    )
    return access


@transaction.atomic
def assessment_create(
    *,
    by: User | None,
    partnership: Partnership,
    assessed_on: date,
    scores: dict[str, int],
    notes: str = "",
    side: Institution | None = None,
) -> PrinciplesAssessment:
    """A dated Principles of Partnership self-assessment (Health Check), by one side of the partnership (one of its
    member institutions) or by both together."""
    if side is not None and not partnership.members.filter(institution=side).exists():
        raise ValidationError({"side": _("%(i)s is not a member of this partnership") % {"i": side.name}})
    assessment = PrinciplesAssessment(
        partnership=partnership, side=side, assessed_on=assessed_on, scores=scores, notes=notes
    )
    return record_save(assessment, by=by)
