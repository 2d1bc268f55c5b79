"""IATI export: valid against the shipped 2.03 schema, Healthlinks extras in their namespace, round trip."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from lxml import etree

from healthlinks.interchange.iati.exporter import export_projects, write_activities
from healthlinks.interchange.iati.importer import import_iati
from healthlinks.interchange.iati.standard import HEALTHLINKS_NS, activity_schema, safe_parser
from healthlinks.projects.models import Project
from healthlinks.projects.selectors import with_parts
from healthlinks.projects.services import ProjectParts, project_save
from healthlinks.registry.models import Institution, Partnership
from tests.interchange.iati.xmlgen import REAL_FILES, activity, document, org, write

pytestmark = pytest.mark.django_db


def _export(qs: Any = None) -> bytes:
    out = io.BytesIO()
    write_activities(with_parts((qs if qs is not None else Project.objects.all()).order_by("pk")), out)
    return out.getvalue()


def _validate(data: bytes) -> etree._ElementTree:
    tree = etree.parse(io.BytesIO(data), safe_parser())
    schema = activity_schema()
    assert schema.validate(tree), [f"line {e.line}: {e.message}" for e in schema.error_log]
    return tree


def _snapshot(project: Project) -> dict[str, Any]:
    """Every mapped field, with institutions by name (ids differ after a re-import into an empty registry)."""
    fields = {
        f.name: getattr(project, f.name)
        for f in Project._meta.get_fields()
        if f.concrete
        and f.name
        not in {"id", "partnership", "reporting_org", "created_at", "updated_at", "import_warnings", "needs_review"}
        and not f.name.startswith("source_")
    }
    fields["reporting_org"] = project.reporting_org.name if project.reporting_org else None
    fields["participants"] = [
        (
            p.role,
            p.org_type,
            p.ref,
            p.activity_id,
            p.crs_channel_code,
            p.names,
            p.institution.name if p.institution else None,
        )
        for p in project.participants.all()
    ]
    fields["budgets"] = [
        (b.budget_type, b.status, b.period_start, b.period_end, b.value, b.currency, b.value_date)
        for b in project.budgets.all()
    ]
    fields["transactions"] = [
        (
            t.ref,
            t.humanitarian,
            t.transaction_type,
            t.date,
            t.value,
            t.currency,
            t.value_date,
            t.descriptions,
            t.provider_ref,
            t.provider_type,
            t.provider_activity_id,
            t.provider_names,
            t.receiver_ref,
            t.receiver_type,
            t.receiver_activity_id,
            t.receiver_names,
        )
        for t in project.transactions.all()
    ]
    fields["results"] = [
        (
            r.result_type,
            r.aggregation_status,
            r.titles,
            r.descriptions,
            [
                (
                    i.measure,
                    i.ascending,
                    i.aggregation_status,
                    i.titles,
                    i.descriptions,
                    i.baselines,
                    [(p.period_start, p.period_end, p.targets, p.actuals) for p in i.periods.all()],
                )
                for i in r.indicators.all()
            ],
        )
        for r in project.results.all()
    ]
    fields["members"] = sorted(project.partnership.members.values_list("institution__name", flat=True))
    return fields


def _import_real_files() -> None:
    for path in REAL_FILES:
        assert import_iati(str(path)).refused is None


def test_export_validates_against_the_shipped_schema_and_carries_healthlinks_fields():
    _import_real_files()
    tree = _validate(_export())
    activities = tree.getroot().findall("iati-activity")
    assert len(activities) == Project.objects.count() == len(REAL_FILES)
    assert tree.getroot().get("version") == "2.03"
    for element in activities:
        project = Project.objects.get(iati_identifier=element.findtext("iati-identifier"))
        extra = element.find(f"{{{HEALTHLINKS_NS}}}partnership")
        assert extra is not None and extra.get("slug") == project.partnership.slug
        filed = [p.institution is not None for p in project.participants.all()]
        for participant, has_institution in zip(element.iterfind("participating-org"), filed, strict=True):
            # only an institution's country is written: an organisation whose country is unknown has none
            assert len(participant.get(f"{{{HEALTHLINKS_NS}}}country", "")) == (3 if has_institution else 0)


def test_round_trip_into_the_same_registry_is_equal_and_changes_nothing():
    _import_real_files()
    before = {p.iati_identifier: _snapshot(p) for p in Project.objects.all()}
    counts = (Institution.objects.count(), Partnership.objects.count())
    data = _export()
    Project.objects.all().delete()
    path = io.BytesIO(data)
    path.name = "export.xml"
    report = import_iati(path)
    assert report.refused is None and report.created == len(before) and not report.skipped, report
    after = {p.iati_identifier: _snapshot(p) for p in Project.objects.all()}
    assert after == before
    assert (Institution.objects.count(), Partnership.objects.count()) == counts


def test_round_trip_into_an_empty_registry_rebuilds_projects_institutions_and_partnerships():
    _import_real_files()
    before = {p.iati_identifier: _snapshot(p) for p in Project.objects.all()}
    countries = dict(Institution.objects.values_list("name", "country_id"))
    data = _export()
    Project.objects.all().delete()
    Partnership.objects.all().delete()
    Institution.objects.all().delete()
    stream = io.BytesIO(data)
    stream.name = "export.xml"
    assert import_iati(stream).created == len(before)
    after = {p.iati_identifier: _snapshot(p) for p in Project.objects.all()}
    assert after == before
    assert dict(Institution.objects.values_list("name", "country_id")) == countries


def test_partnership_export_holds_only_its_projects(tmp_path, make_partnership):
    a = make_partnership(name="Alpha")
    b = make_partnership(name="Beta")
    for p, ident in ((a, "GB-CHC-1234567-A"), (b, "GB-CHC-1234567-B")):
        names = [m.institution.name for m in p.members.all()]
        import_iati(write(tmp_path, document(activity(ident, [org(n) for n in names])), f"{ident}.xml"))
    tree = _validate(_export(Project.objects.filter(partnership=a)))
    assert [e.findtext("iati-identifier") for e in tree.getroot()] == ["GB-CHC-1234567-A"]


def test_a_project_missing_what_the_schema_requires_still_exports_valid_xml(make_partnership):
    p = make_partnership(name="Sparse")
    inst = p.members.first().institution
    project_save(
        by=None,
        partnership=p,
        fields={"iati_identifier": "GB-CHC-1-SPARSE", "reporting_org": inst},
        parts=ProjectParts(
            budgets=[{"budget_type": "1", "period_start": None, "period_end": None, "value": None}],
            results=[{"result_type": "1", "titles": [], "indicators": []}],
        ),
    )
    left_out: list[str] = []
    buffer = io.BytesIO()
    export_projects(Project.objects.all(), buffer, left_out)
    tree = _validate(buffer.getvalue())
    assert left_out == [  # nothing dropped silently
        "GB-CHC-1-SPARSE: budget 1 left out: it has no start date, end date or value",
        "GB-CHC-1-SPARSE: result 'untitled' left out: it has no indicator",
    ]
    element = tree.getroot()[0]
    assert element.find("activity-status").get("code") in {"1", "2", "4"}
    assert element.find("activity-date").get("iso-date") == str(p.start_date)
    assert len(element.findall("participating-org")) == p.members.count()


def _without_date(data: bytes) -> bytes:
    return re.sub(rb'generated-datetime="[^"]*"', b"", data)


def test_fast_export_writes_the_same_bytes_as_the_model_export(make_partnership):
    """`export_projects` (the CLI's path: light rows read in chunks) and `write_activities` over model instances
    give the same document, including the fallbacks (a project without participants, dates or description)."""
    _import_real_files()
    p = make_partnership(name="Sparse")
    project_save(
        by=None,
        partnership=p,
        fields={"iati_identifier": "GB-CHC-1-SPARSE", "reporting_org": p.members.first().institution},
        parts=ProjectParts(
            budgets=[{"budget_type": "1", "value": None}], results=[{"result_type": "1", "indicators": []}]
        ),
    )
    fast = io.BytesIO()
    assert export_projects(Project.objects.all(), fast) == len(REAL_FILES) + 1
    assert _without_date(fast.getvalue()) == _without_date(_export())
    _validate(fast.getvalue())


def test_export_of_many_projects_streams_them_in_chunks(monkeypatch):
    from healthlinks.interchange.iati import exporter
    from healthlinks.projects.selectors import iter_with_parts

    _import_real_files()
    chunks: list[int] = []

    def small_chunks(qs, chunk_size=500):
        for project in iter_with_parts(qs, chunk_size=2):
            chunks.append(project.pk)
            yield project

    monkeypatch.setattr(exporter, "iter_with_parts", small_chunks)
    out = io.BytesIO()
    count = export_projects(Project.objects.all(), out)
    assert count == len(REAL_FILES)
    identifiers = [e.findtext("iati-identifier") for e in _validate(out.getvalue()).getroot()]
    assert identifiers == list(Project.objects.order_by("pk").values_list("iati_identifier", flat=True))
    assert chunks == sorted(chunks) and len(chunks) == 3


def test_text_is_written_exactly_as_lxml_pretty_prints_it_with_every_escape(make_partnership):
    """The exporter writes XML as text: the same bytes lxml gives when it re-serialises the parsed activity,
    for awkward values (markup characters, quotes, line breaks, tabs, non-ASCII), and control characters that
    XML cannot hold are refused as lxml refuses them."""
    from healthlinks.interchange.iati.exporter import activity_element, activity_text

    p = make_partnership(name="Escapes")
    awkward = "A & B <c> \"d\" 'e'\n\tf\r g — é ✓ 𝄞 ]]>"
    project = project_save(
        by=None,
        partnership=p,
        fields={
            "iati_identifier": "GB-CHC-1-ESC&<>",
            "reporting_org": p.members.first().institution,
            "titles": [{"lang": "fr", "text": awkward}, {"lang": "", "text": "plain"}],
            "descriptions": [{"type": 'x"y', "lang": "en", "text": awkward}],
            "recipient_countries": [{"code": awkward, "percentage": "50", "names": []}],
            "sectors": [{"code": "12110", "vocabulary": "1", "percentage": None, "names": [{"text": ""}]}],
        },
        parts=ProjectParts(
            participants=[{"role": "4", "ref": awkward, "names": [{"lang": "en", "text": awkward}]}],
            transactions=[{"transaction_type": "3", "date": "2021-01-01", "value": "5", "descriptions": []}],
        ),
    )
    project = with_parts(Project.objects.filter(pk=project.pk)).get()
    text = activity_text(project)
    reserialised = etree.tostring(etree.fromstring(text.encode(), safe_parser()), pretty_print=True, encoding="unicode")
    assert text == reserialised
    assert "A &amp; B &lt;c&gt;" in text and "&#10;&#9;f&#13;" in text and "é ✓ 𝄞 ]]&gt;" in text
    element = activity_element(project)
    assert element.find("recipient-country").get("code") == awkward
    assert [n.text for n in element.findall("title/narrative")] == [awkward, "plain"]
    assert element.find("sector").findall("narrative") == []  # an empty name: an empty element
    project.titles = [{"lang": "en", "text": "bell \x07 inside"}]
    with pytest.raises(ValueError, match="XML compatible"):
        activity_text(project)


def test_transactions_the_standard_cannot_carry_are_listed_not_dropped(make_partnership, tmp_path, capsys):
    from healthlinks.cli import main

    p = make_partnership(name="Cash")
    project_save(
        by=None,
        partnership=p,
        fields={"iati_identifier": "GB-CHC-1-CASH", "reporting_org": p.members.first().institution},
        parts=ProjectParts(
            transactions=[
                {"transaction_type": "3", "date": "2024-01-02", "value": "100", "currency": "GBP"},
                {"ref": "T-2", "transaction_type": "", "date": None, "value": "50", "currency": "GBP"},
            ]
        ),
    )
    out = tmp_path / "out.xml"
    assert main(["export", "iati", "--projects", "-o", str(out)]) == 0
    assert len(_validate(out.read_bytes()).getroot()[0].findall("transaction")) == 1
    err = capsys.readouterr().err
    assert "1 parts the standard cannot carry as recorded were left out" in err
    assert "GB-CHC-1-CASH: transaction T-2 left out: no type, no date" in err
