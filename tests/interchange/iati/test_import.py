"""IATI import: real published files, re-import, deviations reported with lines, hostile and broken XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: N817 - counting elements of trusted fixtures independently
from decimal import Decimal
from pathlib import Path

import pytest

from healthlinks.accounts.models import Role
from healthlinks.interchange.iati.importer import ImportNotAllowed, import_iati
from healthlinks.projects.models import Project, ProjectIndicator, ProjectPeriod, ProjectTransaction
from healthlinks.registry.models import Institution, Partnership
from healthlinks.registry.services import MemberSpec, institution_create, partnership_create
from tests.interchange.iati.xmlgen import EXTERNAL, INVALID, REAL_FILES, activity, document, org, write

pytestmark = pytest.mark.django_db


def _activities(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("iati-activity"))


def _nothing_written() -> bool:
    return not (Project.objects.exists() or Institution.objects.exists() or Partnership.objects.exists())


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_published_files_import_with_counts_checked_against_the_file(path):
    elements = _activities(path)
    report = import_iati(str(path))
    assert report.refused is None, report
    assert report.activities == len(elements)
    assert report.imported + report.imported_with_warnings + len(report.skipped) == len(elements)
    assert Project.objects.count() == report.created == len(elements)
    for element in elements:
        project = Project.objects.get(iati_identifier=element.findtext("iati-identifier").strip())
        assert project.budgets.count() == len(element.findall("budget"))
        assert project.transactions.count() == len(element.findall("transaction"))
        assert project.participants.count() == len(element.findall("participating-org"))
        assert len(project.recipient_countries) == len(element.findall("recipient-country"))
        assert len(project.sectors) == len(element.findall("sector"))
        assert project.results.count() == len(element.findall("result"))
        assert project.reporting_org_ref == element.find("reporting-org").get("ref")
        members = set(project.partnership.members.values_list("institution_id", flat=True))
        assert len(members) >= 2
        assert project.partnership.needs_review and project.partnership.publication == "draft"


def test_fcdo_activity_fields():
    import_iati(str(EXTERNAL / "activities" / "fcdo_GB-1-103662-101_v2-03.xml"))
    p = Project.objects.get()
    assert p.iati_identifier == "GB-1-103662-101"
    assert p.default_currency == "GBP" and p.activity_status == "4" and p.hierarchy == 2
    assert str(p.actual_start) == "2006-12-01" and str(p.actual_end) == "2010-03-31"
    assert p.recipient_countries == [{"code": "LR", "percentage": None, "names": []}]
    assert p.sectors[0]["code"] == "15110"
    assert p.reporting_org.name == "Foreign, Commonwealth and Development Office"
    assert p.reporting_org.iati_org_id == "GB-GOV-1" and p.reporting_org.needs_review
    assert sorted(p.budgets.values_list("value", flat=True)) == [
        Decimal("-9077"),
        Decimal("514717"),
        Decimal("939770"),
        Decimal("1276100"),
    ]
    first = p.transactions.first()
    assert first.transaction_type == "3" and first.value == Decimal("1232") and first.receiver_ref == "GB-COH-2732176"
    assert first.receiver == "Adam Smith International"
    # funders are not members: the implementing (Adam Smith) and accountable (FCDO) organisations are
    names = set(p.partnership.members.values_list("institution__name", flat=True))
    assert names == {"Adam Smith International", "Foreign, Commonwealth and Development Office"}
    assert p.import_warnings == [] and p.needs_review  # no warning, but its institutions are new


def test_standard_example_keeps_every_language_results_and_dimensions():
    import_iati(str(EXTERNAL / "examples" / "iati_activity_standard_example_annotated_v2-03.xml"))
    p = Project.objects.get()
    assert {t["lang"] for t in p.titles} == {"en", "fr", "es"}
    assert len(p.descriptions) == 6 and {d["type"] for d in p.descriptions} == {"1", "2", "3"}
    assert [r["vocabulary"] for r in p.recipient_regions] == ["1", "99"]
    assert [(c["code"], c["percentage"]) for c in p.recipient_countries] == [("AF", "25"), ("AG", "25")]
    indicator = ProjectIndicator.objects.get(result__project=p)
    assert indicator.measure == "1" and indicator.ascending is True
    baseline = indicator.baselines[0]
    assert baseline["year"] == "2012" and baseline["value"] == "10"
    assert baseline["dimensions"] == [{"name": "sex", "value": "female"}, {"name": "age", "value": "adult"}]
    period = ProjectPeriod.objects.get(indicator=indicator)
    assert period.targets[0]["value"] == "10" and period.actuals[0]["value"] == "11"
    assert period.actuals[0]["dimensions"][0] == {"name": "sex", "value": "female"}
    assert p.transactions.get().provider_ref == "BB-BBB-123456789"


def test_find_file_keeps_all_recipient_percentages_and_sector_vocabularies():
    path = EXTERNAL / "activities" / "find_diagnostics_aidstream_v2-03.xml"
    import_iati(str(path))
    p = Project.objects.get()
    expected = [(e.get("code"), e.get("percentage")) for e in _activities(path)[0].findall("recipient-country")]
    assert [(c["code"], c["percentage"]) for c in p.recipient_countries] == expected
    assert [(s["code"], s["vocabulary"]) for s in p.sectors] == [("3", "7"), ("32182", "1"), ("12110", "1")]


def test_reimport_is_idempotent():
    for path in REAL_FILES:
        import_iati(str(path))
    counts = [m.objects.count() for m in (Project, Institution, Partnership, ProjectTransaction, Project.history.model)]
    for path in REAL_FILES:
        report = import_iati(str(path))
        assert report.unchanged == report.activities and report.created == report.updated == 0
    assert counts == [
        m.objects.count() for m in (Project, Institution, Partnership, ProjectTransaction, Project.history.model)
    ]


def test_reimport_updates_by_identifier_never_duplicates(tmp_path, make_partnership):
    p = make_partnership(name="Leeds Gulu")
    names = [m.institution.name for m in p.members.all()]
    first = write(tmp_path, document(activity("GB-CHC-1234567-P1", [org(n) for n in names], title="Old")))
    assert import_iati(first).created == 1
    second = write(tmp_path, document(activity("GB-CHC-1234567-P1", [org(n) for n in names], title="New")), "b.xml")
    report = import_iati(second)
    assert report.updated == 1 and report.created == 0
    project = Project.objects.get()
    assert project.title == "New" and project.partnership == p
    assert Partnership.objects.count() == 1


def test_matches_existing_partnership_and_institutions_by_iati_ref_ror_and_name(tmp_path):
    a = institution_create(
        by=None, name="Leeds Teaching Hospitals", country_id="GBR", kind="hospital", iati_org_id="GB-NHS-RR8"
    )
    b = institution_create(
        by=None, name="University College London", country_id="GBR", kind="university", ror_id="02jx3x895"
    )
    c = institution_create(by=None, name="Gulu Regional Referral Hospital", country_id="UGA", kind="hospital")
    p = partnership_create(
        by=None, members=[MemberSpec(a, "lead"), MemberSpec(b), MemberSpec(c)], name="Three", start_date="2020-01-01"
    )
    orgs = [
        org("another name", ref="GB-NHS-RR8"),
        org("UCL", ref="XI-ROR-02jx3x895"),
        org("gulu regional referral hospital"),
        org("Funder", role="1", ref="GB-CHC-1234567"),
    ]
    report = import_iati(write(tmp_path, document(activity("GB-CHC-1234567-X", orgs))))
    assert report.created == 1, report
    project = Project.objects.get()
    assert project.partnership == p
    assert [x.institution_id for x in project.participants.all()][:3] == [a.pk, b.pk, c.pk]
    assert Partnership.objects.count() == 1


def test_deviations_are_reported_with_line_activity_and_rule_and_kept_on_the_project(tmp_path):
    text = document(
        activity(
            "GB-CHC-1234567-DEV",
            [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")],
            status='<activity-status code="2" vocabulary="1"/>',
            extra=(
                '\n<recipient-country code="ZZ"/>'
                '\n<transaction><transaction-type code="Disbursement"/><transaction-date iso-date="2021-02-01"/>'
                '<value value-date="2021-02-01">100</value></transaction>'
            ),
        )
    )
    path = write(tmp_path, text)
    report = import_iati(path)
    assert report.imported_with_warnings == 1 and report.status == 3
    project = Project.objects.get()
    rules = {w["rule"] for w in project.import_warnings}
    assert {"schema", "codelist TransactionType", "codelist Country"} <= rules
    lines = text.splitlines()
    for w in project.import_warnings:
        assert w["line"] and 1 <= w["line"] <= len(lines)
    schema = next(w for w in project.import_warnings if w["rule"] == "schema")
    assert "vocabulary" in schema["message"] and 'vocabulary="1"' in lines[schema["line"] - 1]
    assert project.transactions.get().transaction_type == "3"  # read from its name, reported
    assert project.recipient_countries[0]["code"] == "ZZ"  # unknown code kept, reported
    assert project.needs_review
    assert all("GB-CHC-1234567-DEV" in str(w) for w in report.warnings)


def test_only_activities_without_identifier_are_skipped_one_without_reporting_org_is_kept(tmp_path):
    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
    text = document(
        activity("GB-CHC-1234567-OK", orgs),
        activity("", orgs),
        activity("GB-CHC-1234567-NOREP", orgs, reporting=""),
    )
    report = import_iati(write(tmp_path, text))
    assert report.activities == 3 and report.imported == 1 and report.imported_with_warnings == 1
    assert report.status == 4
    assert [(s.line, s.reason) for s in report.skipped] == [(4, "no iati-identifier")]
    assert sorted(Project.objects.values_list("iati_identifier", flat=True)) == [
        "GB-CHC-1234567-NOREP",
        "GB-CHC-1234567-OK",
    ]
    kept = Project.objects.get(iati_identifier="GB-CHC-1234567-NOREP")
    assert kept.reporting_org is None and kept.partnership is not None and kept.needs_review
    assert any(w["rule"] == "required" and w["line"] == 5 for w in kept.import_warnings)


def test_invalid_validator_file_is_reported_with_lines_and_nothing_written():
    report = import_iati(str(INVALID / "validator_schema_errors_v2-03.xml"))
    assert report.refused is None and report.activities == 1
    assert [(s.line, s.reason) for s in report.skipped] == [(3, "no iati-identifier")]
    schema = [w for w in report.warnings if w.rule == "schema"]
    assert schema and schema[0].line == 18 and "iso-date" in schema[0].message
    assert {w.line for w in report.warnings if w.rule.startswith("codelist")} >= {14, 16, 18}
    assert _nothing_written()


def test_schema_test_case_with_two_reporting_orgs(tmp_path):
    original = INVALID / "schema_should_fail_20-two-reporting-orgs.xml"
    report = import_iati(str(original))
    assert report.refused is not None and report.refused.line == 3 and "'xx'" in report.refused.reason
    # the same activity in a 2.03 file: the second reporting-org is a schema error at its line
    fixed = original.read_text().replace('version="xx"', 'version="2.03"')
    report = import_iati(write(tmp_path, fixed))
    assert any(w.rule == "schema" and w.line == 9 and "reporting-org" in w.message for w in report.warnings)
    assert report.skipped and _nothing_written()


def test_strict_refuses_the_whole_file_on_the_first_schema_error(tmp_path):
    report = import_iati(str(INVALID / "validator_schema_errors_v2-03.xml"), strict=True)
    assert report.refused is not None and report.refused.line == 18 and report.status == 1
    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
    text = document(
        activity("GB-CHC-1234567-A", orgs),
        activity("GB-CHC-1234567-B", orgs, status='<activity-status code="2" vocabulary="1"/>'),
    )
    report = import_iati(write(tmp_path, text), strict=True)
    assert report.refused is not None and report.refused.line == 4 and "'vocabulary'" in report.refused.reason
    assert _nothing_written()
    assert import_iati(str(REAL_FILES[0]), strict=True).refused is None


def test_truncated_file_is_refused_with_line_and_nothing_written(tmp_path):
    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
    full = document(activity("GB-CHC-1234567-A", orgs), activity("GB-CHC-1234567-B", orgs))
    cut = full[: full.index("GB-CHC-1234567-B") + 5]  # the first activity is complete, the second is cut
    report = import_iati(write(tmp_path, cut))
    assert report.refused is not None and "not well-formed" in report.refused.reason
    assert report.refused.line == 4
    assert _nothing_written()
    half = (EXTERNAL / "activities" / "fcdo_GB-1-103662-101_v2-03.xml").read_bytes()[:4000]
    (tmp_path / "half.xml").write_bytes(half)
    assert import_iati(str(tmp_path / "half.xml")).refused is not None
    assert _nothing_written()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<iati-activities xmlns="http://example.org/iati" version="2.03"><iati-activity/></iati-activities>',
            "namespace",
        ),
        ('<activities version="2.03"><iati-activity/></activities>', "not <iati-activities>"),
        ('<iati-organisations version="2.03"/>', "organisation file"),
        ('<iati-activities version="1.03"><iati-activity/></iati-activities>', "IATI 1.0x"),
        ("<iati-activities><iati-activity/></iati-activities>", "no version attribute"),
        ('<iati-activities version="2.03"></iati-activities>', "no iati-activity"),
        ("", "not well-formed"),
    ],
)
def test_wrong_root_namespace_or_version_is_refused(tmp_path, text, message):
    report = import_iati(write(tmp_path, text))
    assert report.refused is not None and message in str(report.refused)
    assert _nothing_written()


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE iati-activities [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<iati-activities version="2.03"><iati-activity><iati-identifier>&lol9;</iati-identifier>
<reporting-org ref="GB-CHC-1" type="21"><narrative>&lol9;</narrative></reporting-org></iati-activity></iati-activities>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE iati-activities [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<iati-activities version="2.03"><iati-activity><iati-identifier>GB-CHC-1-X</iati-identifier>
<reporting-org ref="GB-CHC-1" type="21"><narrative>&xxe;</narrative></reporting-org>
<title><narrative>&xxe;</narrative></title>
<participating-org role="4" ref="GB-NHS-AAA"><narrative>A</narrative></participating-org>
<participating-org role="4" ref="GB-NHS-BBB"><narrative>B</narrative></participating-org>
</iati-activity></iati-activities>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE iati-activities SYSTEM "http://127.0.0.1:9/evil.dtd">
<iati-activities version="2.03"><iati-activity/></iati-activities>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "xxe", "dtd"])
def test_hostile_xml_is_refused_safely_with_nothing_written(tmp_path, text):
    report = import_iati(write(tmp_path, text))
    assert report.refused is not None and "DOCTYPE" in report.refused.reason
    assert _nothing_written()


def test_only_coordinators_and_hub_admins_import(tmp_path, make_user, make_partnership):
    member = make_user("mem", Role.MEMBER)
    with pytest.raises(ImportNotAllowed):
        import_iati(str(REAL_FILES[0]), user=member)
    # a coordinator imports into partnerships they coordinate (or new ones), not into someone else's
    other = make_partnership(name="Someone else's")
    names = [m.institution.name for m in other.members.all()]
    coordinator = make_user("coord", Role.COORDINATOR)
    report = import_iati(
        write(tmp_path, document(activity("GB-CHC-1234567-Z", [org(n) for n in names]))), user=coordinator
    )
    assert report.skipped and "do not coordinate" in report.skipped[0].reason
    assert not Project.objects.exists() and Partnership.objects.count() == 1
    report = import_iati(str(REAL_FILES[0]), user=coordinator)
    assert report.created == 1
    created = Project.objects.get().partnership
    assert created.access.get().user == coordinator
    assert Project.history.first().history_user == coordinator


def test_reader_memory_is_flat_as_the_file_grows(tmp_path):
    """Each activity is cleared once read: the tree never holds the activities already read, and Python memory
    grows only by the identifier index used to report duplicates (about 100 bytes an activity)."""
    import tracemalloc

    from healthlinks.interchange.iati.reader import ActivityReader

    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
    one = activity("GB-CHC-1234567-{n}", orgs, extra='<recipient-country code="UG" percentage="100"/>')

    def peak(n: int) -> int:
        path = write(tmp_path, document(*(one.replace("{n}", str(i)) for i in range(n))), f"{n}.xml")
        list(ActivityReader(write(tmp_path, document(one.replace("{n}", "0")), "w.xml")))  # load schema first
        reader = ActivityReader(path)
        tracemalloc.start()
        count = 0
        for parsed in reader:
            # nothing read before is kept: the first element in the tree is the current activity (what
            # follows it is the parser's read-ahead buffer, bounded)
            assert reader.root[0].findtext("iati-identifier") == parsed.identifier and len(reader.root) < 200
            count += 1
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == n
        return result

    small, large = peak(400), peak(4000)
    assert large < small + 200 * 3600


@pytest.mark.parametrize("version", ["2.01", "2.02"])
def test_earlier_2x_versions_are_read(tmp_path, version):
    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
    report = import_iati(write(tmp_path, document(activity("GB-CHC-1234567-V", orgs), version=version)))
    assert report.refused is None and report.version == version and report.created == 1
    assert Project.objects.get().source_version == version


def test_fixture_files_are_there_and_a_missing_file_is_refused(tmp_path):
    assert [p.name for p in REAL_FILES] == [
        "fcdo_GB-1-103662-101_v2-03.xml",
        "find_diagnostics_aidstream_v2-03.xml",
        "iati_activity_standard_example_annotated_v2-03.xml",
    ]
    report = import_iati(str(tmp_path / "missing.xml"))
    assert report.refused is not None and "cannot be read" in report.refused.reason
