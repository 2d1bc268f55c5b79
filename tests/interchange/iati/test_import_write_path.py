"""The IATI import writes through the services (one path in and out of the database): the institutions
and partnerships it creates are validated by their models' rules and recorded in the history with the importing
user, as `institutions_create_many` and `partnerships_create_many` record them; what a service refuses skips the
activities that needed it, and nothing of them is written. The change digest of an activity does not depend on
the Python version."""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks.accounts.models import Role
from healthlinks.interchange.iati import importer
from healthlinks.interchange.iati.importer import import_iati
from healthlinks.interchange.iati.reader import DIGEST_FORMAT, ActivityReader, data_digest
from healthlinks.projects.models import Project, ProjectParticipant
from healthlinks.registry import services as registry_services
from healthlinks.registry.models import Institution, Partnership, PartnershipAccess, PartnershipMember
from tests.interchange.iati.xmlgen import activity, document, org, write

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def _generate(path: Path, activities: int, *, real: bool) -> dict:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.iati import generate
    finally:
        sys.path.remove(str(ROOT))
    return generate(path, activities=activities, real=real)


def _new_orgs(tag: str) -> list[str]:
    return [
        org(f"Alpha {tag} Hospital", ref=f"GB-NHS-{tag}A"),
        org(f"Beta {tag} Clinic", role="2", ref=f"UG-NGO-{tag}B"),
    ]


def test_what_an_import_creates_is_in_the_history_with_the_importing_user(tmp_path, make_user):
    coordinator = make_user("coord", Role.COORDINATOR)
    text = document(*(activity(f"GB-CHC-1234567-{tag}", _new_orgs(tag), title=f"Link {tag}") for tag in "XYZ"))
    report = import_iati(write(tmp_path, text), user=coordinator)
    assert report.created == 3 and not report.skipped, report
    assert Institution.objects.count() == 7 and Partnership.objects.count() == 3  # the reporting org is shared
    for model, count in ((Institution, 7), (Partnership, 3), (PartnershipMember, 6)):
        history = model.history.filter(history_type="+")
        assert history.count() == count, model
        assert set(history.values_list("history_user", flat=True)) == {coordinator.pk}, model
    assert set(PartnershipAccess.objects.values_list("user", flat=True)) == {coordinator.pk}
    # each created record as its service makes it: flagged for review, draft, led by a participant
    assert set(Institution.objects.values_list("needs_review", flat=True)) == {True}
    assert set(Partnership.objects.values_list("publication", "needs_review")) == {("draft", True)}
    partnership = Partnership.objects.get(name="Link X")
    assert partnership.slug == "link-x" and partnership.geography_class == "north_south"
    assert set(partnership.members.values_list("institution__name", "role")) == {
        ("Alpha X Hospital", "lead"),  # the reporting organisation is not a member: the first participant leads
        ("Beta X Clinic", "partner"),
    }


def test_the_importer_creates_through_the_bulk_registry_services(tmp_path, monkeypatch):
    calls = []
    for name in ("institutions_create_many", "partnerships_create_many"):
        service = getattr(importer, name)
        monkeypatch.setattr(importer, name, lambda *a, _s=service, _n=name, **k: calls.append(_n) or _s(*a, **k))

    def refused(**_kwargs):
        raise AssertionError("one record at a time")

    monkeypatch.setattr(registry_services, "institution_create", refused)
    monkeypatch.setattr(registry_services, "partnership_create", refused)
    text = document(*(activity(f"GB-CHC-1234567-{tag}", _new_orgs(tag), title=f"Link {tag}") for tag in "XY"))
    assert import_iati(write(tmp_path, text)).created == 2
    assert calls == ["institutions_create_many", "partnerships_create_many"]  # one call each for the chunk


def test_an_institution_its_model_refuses_skips_the_activities_naming_it(tmp_path, monkeypatch):
    """The model's own rules (full_clean, Institution.clean) hold for what the import creates: the activities
    naming a refused organisation are skipped with the model's message, and nothing of them is written."""
    clean = Institution.clean

    def refusing(self):
        if self.name.startswith("Refused"):
            raise ValidationError({"name": "no institution may be called Refused"})
        clean(self)

    monkeypatch.setattr(Institution, "clean", refusing)
    text = document(
        activity("GB-CHC-1234567-A", _new_orgs("A"), title="Kept A"),
        activity("GB-CHC-1234567-R", [org("Refused Clinic", ref="KE-NGO-R1"), org("Gamma R", ref="KE-NGO-R2")]),
        activity("GB-CHC-1234567-S", [org("Refused Clinic", ref="KE-NGO-R1"), org("Beta A Clinic", ref="UG-NGO-AB")]),
        activity("GB-CHC-1234567-B", _new_orgs("B"), title="Kept B"),
    )
    report = import_iati(write(tmp_path, text))
    assert report.created == 2 and [s.identifier for s in report.skipped] == [
        "GB-CHC-1234567-R",
        "GB-CHC-1234567-S",
    ], report
    assert all("no institution may be called Refused" in s.reason for s in report.skipped)
    assert not Institution.objects.filter(name__in=["Refused Clinic", "Gamma R"]).exists()
    assert Partnership.objects.count() == 2 and not Project.objects.filter(iati_identifier__endswith="R").exists()
    assert not any("Refused" in note or "Gamma R" in note for note in report.notes)


def test_an_institution_refused_with_its_identifier_is_created_without_it(tmp_path, monkeypatch):
    clean = Institution.clean

    def refusing(self):
        if self.iati_org_id == "GB-NHS-AA":
            raise ValidationError({"iati_org_id": "this identifier is withdrawn"})
        clean(self)

    monkeypatch.setattr(Institution, "clean", refusing)
    report = import_iati(write(tmp_path, document(activity("GB-CHC-1234567-A", _new_orgs("A")))))
    assert report.created == 1 and not report.skipped, report
    assert Institution.objects.get(name="Alpha A Hospital").iati_org_id is None
    assert Institution.objects.get(name="Beta A Clinic").iati_org_id == "UG-NGO-AB"


def test_a_partnership_its_model_refuses_skips_its_activity_and_what_it_alone_named(tmp_path, monkeypatch):
    clean = Partnership.clean

    def refusing(self):
        if self.name == "Refused link":
            raise ValidationError({"name": "no partnership may be called so"})
        clean(self)

    monkeypatch.setattr(Partnership, "clean", refusing)
    text = document(
        activity("GB-CHC-1234567-A", _new_orgs("A"), title="Kept"),
        activity("GB-CHC-1234567-R", _new_orgs("R"), title="Refused link"),
    )
    report = import_iati(write(tmp_path, text))
    assert report.created == 1 and [s.identifier for s in report.skipped] == ["GB-CHC-1234567-R"], report
    assert "no partnership may be called so" in report.skipped[0].reason
    assert list(Partnership.objects.values_list("name", flat=True)) == ["Kept"]
    assert not Institution.objects.filter(name__contains=" R ").exists()  # its own organisations are not created
    assert Institution.objects.filter(name__contains=" A ").count() == 2


def test_a_real_shaped_bench_file_creates_each_activity_its_own_institutions_and_partnership(tmp_path, make_user):
    coordinator = make_user("coord", Role.COORDINATOR)
    info = _generate(tmp_path / "real.xml", 7, real=True)
    report = import_iati(str(info["path"]), user=coordinator)
    assert report.created == 7 and not report.skipped and not report.held, report
    assert {w.rule for w in report.warnings} == {"country"}  # organisations the file gives no country for
    assert Partnership.objects.count() == 7
    assert Project.objects.values("partnership").distinct().count() == 7
    refs = set(Institution.objects.exclude(iati_org_id=None).values_list("iati_org_id", flat=True))
    assert "GB-GOV-1-HLB0000001" in refs and "GB-GOV-1-HLB0000004" in refs  # every copy has organisations of its own
    created = sum(note.endswith("to review") for note in report.notes)
    assert created == Institution.objects.count() + Partnership.objects.count()
    assert set(Institution.history.values_list("history_user", flat=True)) == {coordinator.pk}
    # re-imported: nothing new, nothing rewritten
    again = import_iati(str(info["path"]), user=coordinator)
    assert again.unchanged == 7 and Partnership.objects.count() == 7, again
    # participants without institution: exactly those the file gives no country for (flagged, never guessed)
    flagged = sum(
        w["rule"] == "country" and "participating-org" in w["message"]
        for p in Project.objects.all()
        for w in p.import_warnings
    )
    assert ProjectParticipant.objects.filter(institution=None).count() == flagged > 0


def test_queries_do_not_grow_with_the_new_organisations_of_a_chunk(tmp_path):
    def queries(n: int) -> int:
        Project.objects.all().delete()  # a first import each time
        Partnership.objects.all().delete()
        Institution.objects.all().delete()
        info = _generate(tmp_path / f"real{n}.xml", n, real=True)
        with CaptureQueriesContext(connection) as captured:
            report = import_iati(str(info["path"]))
        assert report.created == n, report
        return len(captured)

    queries(1)  # the data versions' rows are created by the first write
    # (from two copies on, the FIND activity's title, cut to a slug of 70 characters, needs a numbered slug: one
    # query more for its name)
    assert queries(6) == queries(24)


def test_the_change_digest_of_an_activity_is_its_json_text_and_stays_the_same():
    """The digest tells a re-import whether an activity changed; it hashes the JSON text of the mapped activity
    (no Python version or Unicode database changes it; a marshal dump could change with the Python version). If
    this literal changes, every project is rewritten by its next re-import: change DIGEST_FORMAT with it."""
    budget = (
        '<budget type="1" status="2"><period-start iso-date="2021-01-01"/><period-end iso-date="2021-12-31"/>'
        '<value currency="GBP" value-date="2021-01-01">1000.50</value></budget>'
    )
    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Béta Clinic", role="2", ref="UG-NGO-123")]
    text = document(activity("GB-CHC-1234567-DIGEST", orgs, title="Digest – fixed", extra=budget))
    (parsed,) = ActivityReader(io.BytesIO(text.encode()))
    assert parsed.digest == data_digest(parsed.data, "2.03")
    assert parsed.digest == "431d8380203c5294ff6077dc2c1730d293509ffa1e77832c9746e00967176dc5"
    expected = hashlib.sha256(DIGEST_FORMAT + b"2.03" + json.dumps(parsed.data).encode("ascii")).hexdigest()
    assert parsed.digest == expected
