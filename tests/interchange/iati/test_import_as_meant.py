"""Real files read as their authors meant them: every identified activity kept (held for review when its partnership
cannot be told), no institution filed under a guessed country, no orphan institution on re-import, the IATI
validator's rules reported as warnings, IATI 1.0x refused with what to do, and nothing written on a refusal."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db.models import Q

from healthlinks.interchange.iati.importer import import_iati
from healthlinks.projects.models import Project, ProjectParticipant
from healthlinks.registry.models import Institution, Partnership
from tests.interchange.iati.xmlgen import EXTERNAL, REAL_FILES, activity, document, org, write

pytestmark = pytest.mark.django_db

LEGACY = Path(__file__).resolve().parents[2] / "fixtures" / "iati" / "legacy_v1-03_written_by_healthlinks.xml"
FIND = EXTERNAL / "activities" / "find_diagnostics_aidstream_v2-03.xml"
TWO = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]


def _orphans() -> list[str]:
    """Institutions no partnership, project or project participant refers to."""
    referred = Q(memberships__isnull=False) | Q(projects_reported__isnull=False) | Q(project_roles__isnull=False)
    used = Institution.objects.filter(referred).values("pk")
    return list(Institution.objects.exclude(pk__in=used).values_list("name", flat=True))


def _nothing_written() -> bool:
    return not (Project.objects.exists() or Institution.objects.exists() or Partnership.objects.exists())


# -- every identified activity is kept ------------------------------------------------------------------------------


def test_an_activity_naming_one_organisation_is_held_for_review_not_skipped(tmp_path):
    funder = [org("Test Funder", role="1", ref="GB-CHC-1234567")]  # the reporting organisation again
    report = import_iati(
        write(tmp_path, document(activity("GB-CHC-1234567-ONE", funder), activity("GB-CHC-1234567-TWO", TWO)))
    )
    assert report.refused is None and not report.skipped and report.held == ["GB-CHC-1234567-ONE"]
    assert report.status == 3 and "1 held for review" in str(report)
    held = Project.objects.get(iati_identifier="GB-CHC-1234567-ONE")
    assert held.partnership is None and held.needs_review and held.reporting_org.iati_org_id == "GB-CHC-1234567"
    rules = [(w["line"], w["rule"]) for w in held.import_warnings]
    assert (3, "held") in rules
    assert Project.objects.get(iati_identifier="GB-CHC-1234567-TWO").partnership is not None
    assert Partnership.objects.count() == 1 and not _orphans()


def test_a_held_project_is_placed_by_a_later_import_that_can_tell_its_partnership(tmp_path):
    import_iati(write(tmp_path, document(activity("GB-CHC-1234567-P", TWO[:1])), "first.xml"))
    project = Project.objects.get()
    # the funder (reporting) and Alpha: two institutions, so a partnership is created at once
    assert project.partnership is not None
    funder_only = [org("Test Funder", role="1", ref="GB-CHC-1234567")]
    import_iati(write(tmp_path, document(activity("GB-CHC-1234567-Q", funder_only)), "second.xml"))
    held = Project.objects.get(iati_identifier="GB-CHC-1234567-Q")
    assert held.partnership is None
    report = import_iati(write(tmp_path, document(activity("GB-CHC-1234567-Q", TWO)), "third.xml"))
    assert report.updated == 1 and report.held == []
    held.refresh_from_db()
    members = set(held.partnership.members.values_list("institution__iati_org_id", flat=True))
    assert members == {"GB-NHS-AAA", "UG-NGO-123"}
    assert not any(w["rule"] == "held" for w in held.import_warnings)


def test_an_activity_whose_organisations_have_no_known_country_is_held_with_each_flagged(tmp_path):
    orgs = [org("Some Foundation", ref="DAC-1601"), org("Ministry of Health", ref="XM-DAC-701")]
    reporting = '<reporting-org ref="XM-DAC-41122" type="40"><narrative>A Multilateral</narrative></reporting-org>'
    text = document(activity("XM-DAC-41122-X", orgs, reporting=reporting, extra='<recipient-country code="MA"/>'))
    report = import_iati(write(tmp_path, text))
    assert report.held == ["XM-DAC-41122-X"] and not report.skipped
    project = Project.objects.get()
    assert project.partnership is None and project.reporting_org is None
    assert project.reporting_org_label == "A Multilateral"
    flagged = [w["message"] for w in project.import_warnings if w["rule"] == "country"]
    assert len(flagged) == 3 and all("not filed as an institution" in m for m in flagged)
    assert list(project.participants.values_list("institution", flat=True)) == [None, None]
    assert not Institution.objects.exists()  # not filed in Morocco (the recipient) nor anywhere else


# -- never a guessed country ----------------------------------------------------------------------------------------


def test_the_real_find_file_files_no_organisation_under_the_reporters_or_recipients_country():
    report = import_iati(str(FIND))
    assert report.refused is None and report.created == 1
    # the Gates Foundation (ref DAC-1601) was filed in Switzerland, FIND's country: now it is not filed at all
    assert not Institution.objects.filter(name__icontains="Gates").exists()
    gates = ProjectParticipant.objects.get(ref="DAC-1601")
    assert gates.institution is None
    flagged = [w for w in report.warnings if w.rule == "country"]
    assert any("Bill & Melinda Gates Foundation" in w.message for w in flagged)
    assert all(w.activity == "CH-FDJP-110.162.567-FIND2021" and w.line for w in flagged)
    # the countries filed are those the organisations' own identifiers give
    countries = dict(Institution.objects.values_list("iati_org_id", "country_id"))
    assert countries["CH-FDJP-110.162.567"] == "CHE" and countries["US-EIN-91-1157127"] == "USA"
    assert countries["NO-BRC-971277882"] == "NOR"


def test_healthlinks_country_and_the_identifier_prefix_are_the_only_sources_of_a_country(tmp_path):
    orgs = [
        '<participating-org role="4" xmlns:healthlinks="https://healthlinks.example/ns/iati/1" '
        'healthlinks:country="KEN"><narrative>Nairobi Clinic</narrative></participating-org>',
        org("Tokyo Ministry", ref="JP-GOV-1"),
        org("No Country Org"),
    ]
    report = import_iati(
        write(tmp_path, document(activity("GB-CHC-1234567-C", orgs, extra='<recipient-country code="MA"/>')))
    )
    assert report.created == 1
    countries = dict(Institution.objects.values_list("name", "country_id"))
    assert countries == {"Test Funder": "GBR", "Nairobi Clinic": "KEN", "Tokyo Ministry": "JPN"}
    assert "MAR" not in countries.values()


# -- no orphan on re-import -----------------------------------------------------------------------------------------


def test_reimporting_the_same_real_files_creates_no_orphan_institution():
    for path in REAL_FILES:
        import_iati(str(path))
    counts = (Institution.objects.count(), Partnership.objects.count(), Project.objects.count())
    assert not _orphans()
    for path in REAL_FILES:
        again = import_iati(str(path))
        assert again.refused is None and again.unchanged == again.activities and not again.created, again
    assert (Institution.objects.count(), Partnership.objects.count(), Project.objects.count()) == counts
    assert not _orphans()


def test_reimport_finds_organisations_without_name_or_with_a_name_longer_than_the_column(tmp_path):
    long_name = "Very Long Hospital Name " * 12  # 288 characters; institutions keep 200
    orgs = [
        '<participating-org role="4" ref="GB-1"/>',  # an old-style ref, no name: the institution is named "GB-1"
        org(long_name.strip(), ref="GB-NHS"),  # not an organisation identifier the registry keeps
    ]
    path = write(tmp_path, document(activity("GB-CHC-1234567-N", orgs)))
    import_iati(path)
    before = Institution.objects.count()
    assert before == 3 and not _orphans()
    changed = document(activity("GB-CHC-1234567-N", orgs, title="Changed title"))
    report = import_iati(write(tmp_path, changed, "changed.xml"))
    assert report.updated == 1 and Institution.objects.count() == before and not _orphans()


# -- the IATI validator's rules, as warnings ------------------------------------------------------------------------


def test_validator_rules_are_warnings_naming_the_activity_and_line(tmp_path):
    future = (date.today() + timedelta(days=30)).isoformat()
    extra = (
        '<activity-date type="1" iso-date="2021-06-01"/><activity-date type="3" iso-date="2021-01-01"/>'
        f'<activity-date type="4" iso-date="{future}"/>\n'
        '<recipient-country code="UG" percentage="60"/><recipient-country code="KE" percentage="30"/>\n'
        '<sector vocabulary="1" code="12220" percentage="50"/><sector vocabulary="1" code="12240" percentage="50"/>'
        '<sector vocabulary="2" code="121" percentage="70"/><sector vocabulary="2" code="122" percentage="20"/>\n'
        '<budget type="1"><period-start iso-date="2021-01-01"/><period-end iso-date="2022-06-30"/>'
        '<value value-date="2021-01-01">100</value></budget>\n'
        '<budget type="1"><period-start iso-date="2022-01-01"/><period-end iso-date="2021-12-31"/>'
        '<value value-date="2022-01-01">100</value></budget>\n'
        '<transaction><transaction-type code="3"/>'
        f'<transaction-date iso-date="{future}"/><value value-date="2021-02-01">10</value></transaction>'
    )
    report = import_iati(write(tmp_path, document(activity("GB-CHC-1234567-V", TWO, extra=extra))))
    assert report.refused is None and report.created == 1 and report.imported_with_warnings == 1
    found = {(w.rule, w.line) for w in report.warnings}
    assert all(w.activity == "GB-CHC-1234567-V" for w in report.warnings)
    messages = " | ".join(w.message for w in report.warnings)
    assert ("dates", 3) in found and "planned end date 2021-01-01 is before the planned start date" in messages
    assert ("future", 3) in found and f"actual end date {future} is in the future" in messages
    assert ("percentages", 4) in found and "recipient countries and regions: percentages add up to 90" in messages
    assert ("percentages", 5) in found and "sectors (vocabulary 2): percentages add up to 90" in messages
    assert "sectors (vocabulary 1)" not in messages  # 50 + 50
    assert ("budget", 6) in found and "longer than one year" in messages
    assert ("budget", 7) in found and "ends (2021-12-31) before it starts (2022-01-01)" in messages
    assert ("future", 8) in found and f"<transaction-date> {future} is in the future" in messages
    project = Project.objects.get()
    kept = {(w["rule"], w["line"]) for w in project.import_warnings}
    assert {("dates", 3), ("budget", 6), ("budget", 7), ("future", 8)} <= kept and project.needs_review


def test_the_real_files_meet_the_validator_rules_they_meet():
    """The standard's own example adds its countries and regions (all vocabularies) to 100: no warning."""
    report = import_iati(str(REAL_FILES[-1]))
    assert not [w for w in report.warnings if w.rule in ("percentages", "dates", "budget")], report.warnings


# -- refusals -------------------------------------------------------------------------------------------------------


def test_a_legacy_1_0x_file_is_refused_naming_iati_1_0x_and_what_to_do():
    assert 'version="1.03"' in LEGACY.read_text()
    report = import_iati(str(LEGACY))
    assert report.refused is not None and report.status == 1
    reason = str(report.refused)
    assert "IATI 1.0x" in reason and "version 1.03" in reason
    assert "re-publish" in reason and "IATI converter" in reason and "2.03" in reason
    assert _nothing_written()


def test_a_file_not_well_formed_is_refused_with_the_parsers_error_and_line_and_nothing_written(tmp_path):
    funder = [org("Test Funder", role="1", ref="GB-CHC-1234567")]
    text = document(activity("GB-CHC-1234567-H", funder), activity("GB-CHC-1234567-T", TWO))
    head, _closing, tail = text.rpartition("</title>")
    broken = f"{head}</titel>{tail}"  # the second activity's title is mis-closed
    report = import_iati(write(tmp_path, broken))
    assert report.refused is not None and report.refused.line == 4
    assert "not well-formed XML" in report.refused.reason and "titel" in report.refused.reason
    assert _nothing_written()  # the held activity read before the error is not written either


def test_a_chunk_decided_again_flags_each_unknown_organisation_once(tmp_path, monkeypatch):
    """A registry refusal makes the importer decide the chunk again: the flags are not added twice."""
    from django.core.exceptions import ValidationError

    clean = Institution.clean

    def refusing(self):
        if self.iati_org_id == "GB-NHS-AAA":
            raise ValidationError({"iati_org_id": "this identifier is withdrawn"})
        clean(self)

    monkeypatch.setattr(Institution, "clean", refusing)
    orgs = [*TWO, org("Nowhere Foundation", ref="DAC-1")]
    report = import_iati(write(tmp_path, document(activity("GB-CHC-1234567-R", orgs))))
    assert report.created == 1 and Institution.objects.get(name="Alpha Hospital").iati_org_id is None
    assert [w.rule for w in report.warnings] == ["country"]
    assert [w["rule"] for w in Project.objects.get().import_warnings] == ["country"]
