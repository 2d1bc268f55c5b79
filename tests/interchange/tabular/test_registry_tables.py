"""Institutions, partnerships and memberships as CSV/XLSX: matched by their keys, every error with its row and
column, nothing half-written, idempotent, permissions of the registry, and an export that imports back."""

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from healthlinks.accounts.models import Role
from healthlinks.analytics.signals import current as data_version
from healthlinks.cli import main
from healthlinks.interchange.tabular.catalogue import COLUMNS, IMPORTERS, export_rows
from healthlinks.interchange.tabular.reader import ImportRejected
from healthlinks.interchange.tabular.registry import (
    INSTITUTION_COLUMNS,
    MEMBERSHIP_COLUMNS,
    PARTNERSHIP_COLUMNS,
    import_institutions,
    import_memberships,
    import_partnerships,
)
from healthlinks.interchange.tabular.writer import write_table
from healthlinks.registry.models import (
    AccessRole,
    FundingScheme,
    Institution,
    Partnership,
    PartnershipAccess,
    PartnershipMember,
)
from healthlinks.registry.services import institution_update, partnership_update

pytestmark = pytest.mark.django_db

UCL, LEEDS, MAKERERE = "02jx3x895", "024mrxd33", "03dmz0111"


def write(tmp_path, name, header, rows):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def inst_row(**cells):
    return [cells.get(c, "") for c in INSTITUTION_COLUMNS]


def partnership_row(**cells):
    return [cells.get(c, "") for c in PARTNERSHIP_COLUMNS]


def errors_of(exc_info):
    return [(e.row, e.column) for e in exc_info.value.errors], "\n".join(str(e) for e in exc_info.value.errors)


# Institutions --------------------------------------------------------------------------------------------------


def test_institutions_are_created_then_a_second_import_changes_nothing(tmp_path, admin_user):
    path = write(
        tmp_path,
        "institutions.csv",
        INSTITUTION_COLUMNS,
        [
            inst_row(ror_id=f"https://ror.org/{LEEDS}", name="University of Leeds", country="GB", kind="university"),
            inst_row(
                name="Gulu Regional Referral Hospital",
                country="uga",
                kind="Hospital",
                org_type="10",
                city="Gulu",
                latitude="2.7746",
                longitude="32.298",
                scope="regional",
            ),
            inst_row(
                name="Gulu Regional Referral Hospital", country="KEN", kind="hospital", iati_org_id="KE-RCO-12345"
            ),
        ],
    )
    result = import_institutions(path, user=admin_user)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    leeds = Institution.objects.get(ror_id=LEEDS)
    assert (leeds.name, leeds.country_id, leeds.kind) == ("University of Leeds", "GBR", "university")
    gulu = Institution.objects.get(country_id="UGA")
    assert (gulu.kind, gulu.org_type_id, gulu.city, gulu.latitude, gulu.longitude, gulu.scope) == (
        "hospital",
        "10",
        "Gulu",
        2.7746,
        32.298,
        "regional",
    )
    assert gulu.history.get().history_user == admin_user  # written through the service, with who did it
    history, version = Institution.history.count(), data_version()

    again = import_institutions(path, user=admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert "3 institutions imported (0 new, 0 updated, 3 unchanged)" in str(again)
    assert Institution.objects.count() == 3
    assert Institution.history.count() == history and data_version() == version  # nothing was written


def test_institutions_match_by_ror_then_name_and_country_then_iati(tmp_path, make_institution):
    by_ror = make_institution("GBR", name="Old name", ror_id=UCL)
    by_name = make_institution("UGA", name="Mulago Hospital", city="")
    by_iati = make_institution("KEN", name="Kenyatta", iati_org_id="KE-RCO-1")
    version = data_version()
    path = write(
        tmp_path,
        "i.csv",
        INSTITUTION_COLUMNS,
        [
            inst_row(ror_id=UCL, name="University College London", country="GBR", kind="hospital"),
            inst_row(name="  mulago   HOSPITAL ", country="UG", kind="hospital", city="Kampala"),
            inst_row(name="Kenyatta National Hospital", country="KE", kind="hospital", iati_org_id="KE-RCO-1"),
            inst_row(name="Mulago Hospital", country="KEN", kind="hospital"),  # same name, other country: new
        ],
    )
    result = import_institutions(path)
    assert (result.created, result.updated, result.unchanged) == (1, 3, 0)
    assert Institution.objects.get(pk=by_ror.pk).name == "University College London"
    assert Institution.objects.get(pk=by_name.pk).city == "Kampala"
    assert Institution.objects.get(pk=by_iati.pk).name == "Kenyatta National Hospital"
    assert Institution.objects.filter(name="Mulago Hospital", country_id="KEN").exists()
    assert data_version() != version
    # An empty identifier cell keeps the recorded identifier (identifiers are keys; the form clears them).
    path = write(
        tmp_path,
        "j.csv",
        INSTITUTION_COLUMNS,
        [inst_row(name="Kenyatta National Hospital", country="KEN", kind="hospital")],
    )
    assert import_institutions(path).unchanged == 1
    assert Institution.objects.get(pk=by_iati.pk).iati_org_id == "KE-RCO-1"


def test_bad_institution_rows_are_all_named_and_nothing_is_written(tmp_path, make_institution):
    taken = make_institution("GBR", name="Taken", ror_id=MAKERERE, iati_org_id="GB-CHC-1")
    make_institution("GBR", name="Second")
    before = list(Institution.objects.values_list("pk", "name", "ror_id"))
    path = write(
        tmp_path,
        "bad.csv",
        INSTITUTION_COLUMNS,
        [
            inst_row(name="Fine and new", country="GBR", kind="hospital"),  # valid: still not written
            inst_row(name="Nowhere", country="XX", kind="hospital"),
            inst_row(name="Nowhere 2", country="GBRR", kind="clinic"),
            inst_row(name="Bad ROR", country="GBR", kind="hospital", ror_id="02jx3x896"),
            inst_row(name="Half coordinates", country="GBR", kind="hospital", latitude="51.5"),
            inst_row(name="Bad type", country="GBR", kind="hospital", org_type="99", latitude="91", longitude="0"),
            inst_row(name="Second", country="GBR", kind="hospital", iati_org_id="GB-CHC-1"),
            inst_row(name="Duplicate", country="UGA", kind="ngo"),
            inst_row(name="duplicate", country="UG", kind="ngo"),
            inst_row(name="Other", country="UGA", kind="ngo", ror_id=LEEDS),
            inst_row(name="Another", country="UGA", kind="ngo", ror_id=LEEDS),
            inst_row(name="", country="UGA", kind="ngo"),
            inst_row(name="Bad IATI", country="UGA", kind="ngo", iati_org_id="not an id"),
        ],
    )
    with pytest.raises(ImportRejected) as exc_info:
        import_institutions(path)
    where, text = errors_of(exc_info)
    assert (3, "country") in where and "'XX' is not an ISO 3166-1 country code" in text
    assert (4, "country") in where and (4, "kind") in where
    assert (5, "ror_id") in where and "not a valid ROR id" in text
    assert (6, "longitude") in where  # the model's rule: both coordinates or neither
    assert (7, "org_type") in where and (7, "latitude") in where
    assert (8, "iati_org_id") in where and f"'GB-CHC-1' already identifies {taken.name!r} (GBR)" in text
    assert (10, "name") in where and "the same name and country already appears on row 9" in text
    assert (12, "ror_id") in where and f"ror_id {LEEDS!r} already appears on row 11" in text
    assert (13, "name") in where and (14, "iati_org_id") in where
    assert (2, "name") not in where and all(row != 2 for row, _c in where)
    assert list(Institution.objects.values_list("pk", "name", "ror_id")) == before


def test_missing_required_column_and_unknown_column(tmp_path):
    path = write(tmp_path, "i.csv", ["name", "kind", "colour"], [["X", "hospital", "red"]])
    with pytest.raises(ImportRejected) as exc_info:
        import_institutions(path)
    where, text = errors_of(exc_info)
    assert (1, "country") in where and "required column is missing" in text
    assert (1, "colour") in where
    assert not Institution.objects.exists()


def test_institution_permissions_follow_the_registry(tmp_path, make_user, make_partnership, researcher):
    coordinator = make_user("coord", Role.COORDINATOR)
    member = make_user("memb", Role.MEMBER)
    own = make_partnership(name="Own", coordinator=coordinator, member=member)
    other = make_partnership(name="Other")
    own_inst = own.members.first().institution
    other_inst = other.members.first().institution
    rows = [
        inst_row(name=own_inst.name, country=own_inst.country_id, kind="ngo"),  # own: may change
        inst_row(name="Brand new", country="UGA", kind="ngo"),  # new: a coordinator may create
    ]
    path = write(tmp_path, "i.csv", INSTITUTION_COLUMNS, rows)
    for user in (member, researcher):
        with pytest.raises(ImportRejected) as exc_info:
            import_institutions(path, user=user)
        assert "only hub admins and coordinators may import institutions" in str(exc_info.value)
    assert not Institution.objects.filter(name="Brand new").exists()

    refused = write(
        tmp_path,
        "r.csv",
        INSTITUTION_COLUMNS,
        [*rows, inst_row(name=other_inst.name, country=other_inst.country_id, kind="ngo")],
    )
    with pytest.raises(ImportRejected) as exc_info:
        import_institutions(refused, user=coordinator)
    where, text = errors_of(exc_info)
    assert where == [(4, "name")] and "you may not change" in text
    assert Institution.objects.get(pk=own_inst.pk).kind == "hospital"  # nothing of the file was written

    # An unchanged row of someone else's institution is no change, so it is allowed.
    same = inst_row(name=other_inst.name, country=other_inst.country_id, kind="hospital")
    result = import_institutions(write(tmp_path, "ok.csv", INSTITUTION_COLUMNS, [*rows, same]), user=coordinator)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert Institution.objects.get(pk=own_inst.pk).kind == "ngo"


# Partnerships ------------------------------------------------------------------------------------------------


@pytest.fixture
def institutions(make_institution):
    return {
        "leeds": make_institution("GBR", name="University of Leeds", ror_id=LEEDS),
        "gulu": make_institution("UGA", name="Gulu Hospital"),
        "mbarara": make_institution("UGA", name="Mbarara Hospital", iati_org_id="UG-NGO-77"),
        "gulu_ke": make_institution("KEN", name="Gulu Hospital"),
    }


def test_partnership_is_created_with_members_and_codes_then_reimport_is_unchanged(tmp_path, admin_user, institutions):
    FundingScheme.objects.create(slug="hpp", name="Health Partnership Programme")
    row = partnership_row(
        slug="leeds-gulu",
        name="Leeds–Gulu",
        summary="Anaesthesia",
        start_date="2023-03-01",
        publication="published",
        lead_institutions=f"https://ror.org/{LEEDS}",
        partner_institutions="Gulu Hospital [UG]; UG-NGO-77",
        specialties="anaesthesia;surgery",
        delivery_methods="training-course",
        funding_schemes="hpp",
        capacity_focus="individual",
        intervention="Training + infrastructure strengthening",
        skills="generic",
        grant_reference="G-1",
        contact_name="Dr Doe",
        contact_email="doe@example.org",
        internal_notes="private",
    )
    path = write(tmp_path, "p.csv", PARTNERSHIP_COLUMNS, [row])
    result = import_partnerships(path, user=admin_user)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    p = Partnership.objects.get(slug="leeds-gulu")
    members = {(m.institution.name, m.institution.country_id, m.role, m.joined) for m in p.members.all()}
    assert members == {
        ("University of Leeds", "GBR", "lead", date(2023, 3, 1)),
        ("Gulu Hospital", "UGA", "partner", date(2023, 3, 1)),
        ("Mbarara Hospital", "UGA", "partner", date(2023, 3, 1)),
    }
    assert p.geography_class == "north_south"  # derived by the service from the members' countries
    assert sorted(p.specialties.values_list("slug", flat=True)) == ["anaesthesia", "surgery"]
    assert (p.intervention, p.skills, p.publication, p.internal_notes) == (
        "training_infrastructure",
        "generic",
        "published",
        "private",
    )
    assert p.edwards_mobility_resilient is True
    assert p.history.first().history_user == admin_user
    history, version = Partnership.history.count(), data_version()

    again = import_partnerships(path, user=admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert Partnership.history.count() == history and data_version() == version

    row[PARTNERSHIP_COLUMNS.index("partner_institutions")] = "Gulu Hospital [UGA]"
    row[PARTNERSHIP_COLUMNS.index("skills")] = "specialist"
    changed = import_partnerships(write(tmp_path, "p2.csv", PARTNERSHIP_COLUMNS, [row]), user=admin_user)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    p.refresh_from_db()
    assert p.skills == "specialist" and p.members.count() == 2
    assert Partnership.history.count() == history + 1


def test_bad_partnership_rows_name_row_and_column(tmp_path, institutions, make_partnership):
    gone = make_partnership(name="Gone")
    Partnership.objects.filter(pk=gone.pk).update(deleted_at="2025-01-01T00:00:00Z")
    ok = {"name": "X", "start_date": "2024-01-01", "lead_institutions": LEEDS, "partner_institutions": "UG-NGO-77"}
    rows = [
        partnership_row(slug="fine", **ok),
        partnership_row(slug="bad-codes", **{**ok, "specialties": "astrology", "skills": "juggling"}),
        partnership_row(slug="bad-dates", **{**ok, "end_date": "2023-01-01"}),
        partnership_row(slug="one-member", **{**ok, "partner_institutions": ""}),
        partnership_row(slug="ambiguous", **{**ok, "partner_institutions": "Gulu Hospital"}),
        partnership_row(slug="twice", **{**ok, "partner_institutions": f"{LEEDS};Nowhere [UGA]"}),
        partnership_row(slug="fine", **ok),
        partnership_row(slug=gone.slug, **ok),
        partnership_row(slug="bad email", **{**ok, "contact_email": "nobody", "publication": "secret"}),
    ]
    with pytest.raises(ImportRejected) as exc_info:
        import_partnerships(write(tmp_path, "p.csv", PARTNERSHIP_COLUMNS, rows))
    where, text = errors_of(exc_info)
    assert (3, "specialties") in where and (3, "skills") in where
    assert (4, "end_date") in where
    assert (5, "lead_institutions") in where and "at least two member institutions" in text
    assert (6, "partner_institutions") in where and "add the country code" in text
    assert (7, "partner_institutions") in where and "already listed in lead_institutions" in text
    assert "no institution named 'Nowhere' in UGA" in text
    assert (8, "slug") in where and "already appears on row 2" in text
    assert (9, "slug") in where and "was deleted" in text
    assert (10, "contact_email") in where and (10, "publication") in where and (10, "slug") in where
    assert all(row != 2 for row, _c in where)
    assert not Partnership.objects.filter(slug="fine").exists()


def test_partnership_permissions(tmp_path, make_user, make_partnership, researcher, institutions):
    coordinator = make_user("coord", Role.COORDINATOR)
    member = make_user("memb", Role.MEMBER)
    own = make_partnership(name="Own", coordinator=coordinator, member=member)
    other = make_partnership(name="Other")
    lead, partner = (m.institution for m in own.members.order_by("role"))
    base = {
        "start_date": "2020-01-01",
        "lead_institutions": f"{lead.name} [{lead.country_id}]",
        "partner_institutions": f"{partner.name} [{partner.country_id}]",
    }
    own_row = partnership_row(slug=own.slug, name="Own renamed", **base)
    new_row = partnership_row(slug="coordinators-new", name="New", **base)
    other_row = partnership_row(slug=other.slug, name=other.name, **base)
    for user in (member, researcher):
        with pytest.raises(ImportRejected, match="only hub admins and coordinators may import partnerships"):
            import_partnerships(write(tmp_path, "p.csv", PARTNERSHIP_COLUMNS, [own_row]), user=user)
    with pytest.raises(ImportRejected) as exc_info:
        import_partnerships(write(tmp_path, "p.csv", PARTNERSHIP_COLUMNS, [own_row, other_row]), user=coordinator)
    assert errors_of(exc_info)[0] == [(3, "slug")] and "you do not coordinate" in str(exc_info.value)
    own.refresh_from_db()
    assert own.name == "Own"

    result = import_partnerships(write(tmp_path, "p.csv", PARTNERSHIP_COLUMNS, [own_row, new_row]), user=coordinator)
    assert (result.created, result.updated) == (1, 1)
    own.refresh_from_db()
    assert own.name == "Own renamed" and own.publication == "published"  # empty publication: as recorded
    new = Partnership.objects.get(slug="coordinators-new")
    assert new.publication == "draft"
    assert PartnershipAccess.objects.get(partnership=new).user == coordinator  # the creator coordinates it


# Memberships -------------------------------------------------------------------------------------------------


def test_memberships_set_role_and_dates_and_reimport_is_unchanged(tmp_path, make_partnership, institutions, make_user):
    p = make_partnership(name="Members", countries=("GBR", "UGA"))
    uk, ug = (m.institution for m in p.members.order_by("role"))
    rows = [
        [p.slug, f"{uk.name} [{uk.country_id}]", "partner", "2021-02-01", "2024-12-31"],
        [p.name, f"{ug.name} [UG]", "lead", "", ""],
        [p.slug, "UG-NGO-77", "", "2022-05-01", ""],  # a new member: partner by default
    ]
    path = write(tmp_path, "m.csv", MEMBERSHIP_COLUMNS, rows)
    result = import_memberships(path)
    assert (result.created, result.updated, result.unchanged) == (1, 2, 0)
    got = {(m.institution_id, m.role, m.joined, m.left) for m in PartnershipMember.objects.filter(partnership=p)}
    assert got == {
        (uk.pk, "partner", date(2021, 2, 1), date(2024, 12, 31)),
        (ug.pk, "lead", date(2020, 1, 1), None),  # joining date kept
        (institutions["mbarara"].pk, "partner", date(2022, 5, 1), None),
    }
    history = PartnershipMember.history.count()
    again = import_memberships(path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert PartnershipMember.history.count() == history

    coordinator = make_user("c2", Role.COORDINATOR)
    bad = write(
        tmp_path,
        "bad.csv",
        MEMBERSHIP_COLUMNS,
        [
            [p.slug, "UG-NGO-77", "boss", "2022-05-01", "2021-01-01"],
            [p.slug, "UG-NGO-77", "partner", "", ""],
            ["missing", LEEDS, "", "", ""],
        ],
    )
    with pytest.raises(ImportRejected) as exc_info:
        import_memberships(bad)
    where, _text = errors_of(exc_info)
    assert {(2, "role"), (2, "left"), (4, "partnership")} <= set(where)
    with pytest.raises(ImportRejected, match="you do not coordinate"):
        import_memberships(write(tmp_path, "c.csv", MEMBERSHIP_COLUMNS, [rows[0]]), user=coordinator)


# Round trip --------------------------------------------------------------------------------------------------


def registry_snapshot():
    institutions = sorted(
        (i.name, i.country_id, i.kind, i.org_type_id, i.city, i.latitude, i.longitude, i.ror_id, i.iati_org_id, i.scope)
        for i in Institution.objects.all()
    )
    partnerships = {}
    for p in Partnership.objects.prefetch_related("members__institution", "specialties", "delivery_methods"):
        partnerships[p.slug] = (
            tuple(
                getattr(p, c)
                for c in (
                    "name",
                    "summary",
                    "start_date",
                    "end_date",
                    "publication",
                    "skills",
                    "frequency",
                    "grant_reference",
                    "contact_email",
                    "internal_notes",
                    "geography_class",
                )
            ),
            sorted(s.slug for s in p.specialties.all()),
            sorted(d.slug for d in p.delivery_methods.all()),
            sorted((m.institution.name, m.institution.country_id, m.role, m.joined, m.left) for m in p.members.all()),
        )
    return institutions, partnerships


@pytest.fixture
def registry_world(make_institution, make_partnership):
    leeds = make_institution(
        "GBR",
        name="University of Leeds",
        ror_id=LEEDS,
        org_type_id="80",
        city="Leeds",
        latitude=53.8067,
        longitude=-1.555,
        scope="national",
    )
    make_institution("UGA", name="Gulu Hospital", iati_org_id="UG-NGO-77", scope="regional")
    twin_a = make_institution("UGA", name="Twin Clinic", ror_id=UCL)  # same name and country twice:
    twin_b = make_institution("UGA", name="Twin Clinic", ror_id=MAKERERE)  # told apart by ROR id
    p1 = make_partnership(
        name="Leeds Gulu; Twins",
        countries=("GBR", "UGA"),
        skills="generic",
        frequency="continuous",
        grant_reference="G-9",
        end_date=date(2026, 6, 30),
    )
    partnership_update(by=None, partnership=p1, specialties=["anaesthesia"], delivery_methods=["mentorship"])
    p2 = make_partnership(name="Twins", countries=("KEN", "KEN"), publication="draft")
    from healthlinks.registry.services import MemberSpec

    partnership_update(
        by=None,
        partnership=p2,
        members=[
            MemberSpec(institution=twin_a, role="lead", joined=date(2021, 1, 1)),
            MemberSpec(institution=twin_b, role="partner", joined=date(2021, 2, 1), left=date(2023, 1, 1)),
            MemberSpec(institution=leeds, role="partner", joined=date(2022, 1, 1)),
        ],
    )
    return p1, p2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_wipe_then_import_gives_the_same_registry(tmp_path, registry_world, admin_user, fmt):
    before = registry_snapshot()
    files = {}
    for kind in ("institutions", "partnerships", "memberships"):
        columns, rows = export_rows(kind, admin_user)
        files[kind] = tmp_path / f"{kind}.{fmt}"
        files[kind].write_bytes(write_table(columns, rows, fmt))
    assert len(export_rows("institutions", admin_user)[1]) == Institution.objects.count()

    Partnership.objects.all().delete()
    Institution.objects.all().delete()
    counts = {kind: IMPORTERS[kind](files[kind], user=admin_user) for kind in files}
    assert counts["institutions"].created == len(before[0])
    assert counts["partnerships"].created == 2
    assert registry_snapshot() == before

    # Changed in the application, then the same files again: the recorded values come back.
    leeds = Institution.objects.get(ror_id=LEEDS)
    institution_update(by=None, institution=leeds, city="Bradford")
    p1 = Partnership.objects.get(slug=registry_world[0].slug)
    partnership_update(by=None, partnership=p1, internal_notes="edited", specialties=[])
    PartnershipMember.objects.filter(partnership__slug=registry_world[1].slug, left__isnull=False).update(left=None)
    again = {kind: IMPORTERS[kind](files[kind], user=admin_user) for kind in files}
    assert (again["institutions"].updated, again["institutions"].unchanged) == (1, len(before[0]) - 1)
    assert (again["partnerships"].updated, again["partnerships"].unchanged) == (1, 1)
    assert again["memberships"].updated == 1
    assert registry_snapshot() == before
    third = {kind: IMPORTERS[kind](files[kind], user=admin_user) for kind in files}
    assert all(r.created == r.updated == 0 for r in third.values())


def test_export_shows_each_role_only_what_it_may_read(make_user, registry_world, researcher):
    public_p, draft_p = registry_world
    columns, rows = export_rows("partnerships", researcher)
    by_slug = {r[0]: dict(zip(columns, r, strict=True)) for r in rows}
    assert draft_p.slug not in by_slug
    seen = by_slug[public_p.slug]
    assert seen["grant_reference"] == "G-9" and seen["contact_email"] == "" and seen["internal_notes"] == ""
    member = make_user("m1", Role.MEMBER)
    PartnershipAccess.objects.create(user=member, partnership=draft_p, role=AccessRole.MEMBER)
    by_slug = {r[0]: dict(zip(columns, r, strict=True)) for r in export_rows("partnerships", member)[1]}
    assert by_slug[draft_p.slug]["internal_notes"] == draft_p.internal_notes != ""
    assert by_slug[public_p.slug]["internal_notes"] == ""
    members = export_rows("memberships", researcher)[1]
    assert {r[0] for r in members} == {public_p.slug}


def test_cli_exports_and_imports_registry_tables(tmp_path, registry_world, capsys):
    out = tmp_path / "institutions.xlsx"
    assert main(["export", "institutions", "-o", str(out)]) == 0
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert [h for h in header if not h.endswith("_label")] == COLUMNS["institutions"]
    assert header[header.index("country") + 1] == "country_label"  # the country's name beside its code
    assert main(["import", "institutions", str(out)]) == 0
    assert f"{Institution.objects.count()} institutions imported (0 new, 0 updated" in capsys.readouterr().out
    bad = write(tmp_path, "bad.csv", INSTITUTION_COLUMNS, [inst_row(name="X", country="ZZ", kind="hospital")])
    assert main(["import", "institutions", str(bad)]) == 1
    assert "bad.csv, row 2, column country" in capsys.readouterr().err


def test_shipped_templates_import_in_order_into_an_empty_registry(tmp_path, admin_user):
    from healthlinks.interchange.tabular.catalogue import EXAMPLES

    for kind in ("institutions", "partnerships", "memberships"):
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(write_table(COLUMNS[kind], EXAMPLES[kind], "xlsx"))
        result = IMPORTERS[kind](path, user=admin_user)
        assert result.created + result.updated + result.unchanged == len(EXAMPLES[kind])
    p = Partnership.objects.get(slug="leeds-gulu-anaesthesia-partnership")
    assert {(m.institution.country_id, m.role) for m in p.members.select_related("institution")} == {
        ("GBR", "lead"),
        ("UGA", "partner"),
    }


def test_import_page_takes_registry_tables(client_for, make_user, make_partnership):
    coordinator = make_user("pagecoord", Role.COORDINATOR)
    make_partnership(name="Page", coordinator=coordinator)
    client = client_for(coordinator)
    page = client.get("/import/")
    assert b'value="institutions"' in page.content and b'value="memberships"' in page.content
    template = client.get("/import/template/partnerships.csv")
    assert template.status_code == 200 and template.content.decode().startswith(",".join(PARTNERSHIP_COLUMNS))
    body = write_table(INSTITUTION_COLUMNS, [inst_row(name="Page clinic", country="KE", kind="ngo")], "csv")
    upload = io.BytesIO(body)
    upload.name = "institutions.csv"
    response = client.post("/import/", {"kind": "institutions", "file": upload})
    assert "1 institutions imported (1 new, 0 updated, 0 unchanged)" in response.content.decode()
    assert Institution.objects.get(name="Page clinic").history.get().history_user == coordinator
    bad = io.BytesIO(write_table(INSTITUTION_COLUMNS, [inst_row(name="X", country="Q", kind="ngo")], "csv"))
    bad.name = "bad.csv"
    response = client.post("/import/", {"kind": "institutions", "file": bad})
    assert "bad.csv, row 2, column country" in response.content.decode()


def test_a_refusal_while_writing_rolls_back_the_whole_file(tmp_path, monkeypatch):
    from django.core.exceptions import ValidationError

    from healthlinks.registry import services

    real = services.institution_create

    def refuse_second(**fields):
        if fields["name"] == "Second":
            raise ValidationError({"city": ["refused by the service"]})
        return real(**fields)

    monkeypatch.setattr(services, "institution_create", refuse_second)
    rows = [inst_row(name="First", country="GBR", kind="ngo"), inst_row(name="Second", country="GBR", kind="ngo")]
    with pytest.raises(ImportRejected) as exc_info:
        import_institutions(write(tmp_path, "i.csv", INSTITUTION_COLUMNS, rows))
    assert errors_of(exc_info)[0] == [(3, "city")]
    assert not Institution.objects.filter(name="First").exists()  # the first row was written, then rolled back


def test_model_rules_name_their_column(tmp_path, institutions):
    ok = {"start_date": "2024-01-01", "lead_institutions": LEEDS, "partner_institutions": "UG-NGO-77"}
    rows = [
        partnership_row(slug="s" * 81, name="Long slug", **ok),
        partnership_row(slug="long-name", name="n" * 201, **ok),
    ]
    with pytest.raises(ImportRejected) as exc_info:
        import_partnerships(write(tmp_path, "p.csv", PARTNERSHIP_COLUMNS, rows))
    assert errors_of(exc_info)[0] == [(2, "slug"), (3, "name")]
    inst = [
        inst_row(name="x" * 201, country="GBR", kind="ngo"),
        inst_row(name="Far", country="GBR", kind="ngo", latitude="nan", longitude="inf"),
    ]
    with pytest.raises(ImportRejected) as exc_info:
        import_institutions(write(tmp_path, "i.csv", INSTITUTION_COLUMNS, inst))
    assert errors_of(exc_info)[0] == [(2, "name"), (3, "latitude"), (3, "longitude")]
