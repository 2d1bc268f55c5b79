"""Publishing partnerships to IATI: the demo world's published partnerships as schema-valid IATI 2.03 that passes
the validator's date, percentage and codelist rules, re-imports with the same totals, refuses drafts in words."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from lxml import etree

from healthlinks.cli import main
from healthlinks.demo.world import world_build
from healthlinks.interchange.iati.importer import import_iati
from healthlinks.interchange.iati.publish import (
    NothingToPublish,
    partnership_identifier,
    publish_organisation,
    publish_partnerships,
    publisher_from_settings,
    shares,
)
from healthlinks.interchange.iati.standard import activity_schema, codelist, organisation_schema, safe_parser
from healthlinks.projects.models import Project
from healthlinks.registry.models import Partnership, Publication
from healthlinks.results.models import CashCost, InKindContribution
from healthlinks.results.selectors import Converter
from healthlinks.results.services import (
    disaggregation_set,
    in_kind_save,
    indicator_add,
    indicator_update,
    period_save,
)

pytestmark = pytest.mark.django_db
PUBLISHER = "GB-CHC-1234567"


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo world (scale S), with a results framework and an in-kind gift added to one published partnership,
    built once for the module inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic(), override_settings(HEALTHLINKS_IATI_PUBLISHER=PUBLISHER):
        world_build(scale="S", seed=4)
        published = list(Partnership.objects.filter(publication=Publication.PUBLISHED).order_by("slug"))
        rich = next(p for p in published if CashCost.objects.filter(partnership=p, spent_on__lte=date.today()))
        start = max(rich.start_date, date(2021, 1, 1))
        period = indicator_add(
            by=None,
            partnership=rich,
            result_level=2,
            result_title="Safer surgery",
            title="Theatre staff using the checklist",
            measure=2,
            start=start,
            end=date(start.year, 12, 31),
            target=Decimal(80),
            actual=Decimal(65),
            baseline=Decimal(20),
            targets_by={("sex", "female"): Decimal(85), ("cadre", "2221"): Decimal(90)},
        )
        indicator_update(by=None, indicator=period.indicator, baseline_year=start.year - 1)
        disaggregation_set(
            by=None, period=period, dimension="sex", category="female", target=Decimal(85), actual=Decimal(70)
        )
        period_save(
            by=None,
            indicator=period.indicator,
            start=date(start.year + 1, 1, 1),
            end=date(start.year + 1, 12, 31),
            target=Decimal(90),
        )
        indicator_add(
            by=None,
            partnership=rich,
            result_level=1,
            result_title="Skilled staff",
            library_code="TRN-01",
            start=start,
            end=date(start.year, 12, 31),
            target=Decimal(40),
            disaggregate=True,
        )
        in_kind_save(
            by=None,
            partnership=rich,
            kind="donated_equipment",
            value=Decimal(1200),
            currency="GBP",
            received_on=start,
            valuation_method="invoice",
        )
        draft = Partnership.objects.filter(publication=Publication.DRAFT).first()
        yield {"published": published, "rich": rich, "draft": draft}
        transaction.set_rollback(True)


def _publish(partnerships: Any) -> tuple[etree._Element, list[str]]:
    out = io.BytesIO()
    left_out = publish_partnerships(partnerships, publisher=publisher_from_settings(), out=out)
    return etree.fromstring(out.getvalue(), safe_parser()), left_out


def _total(values: list[str]) -> Decimal:
    return sum((Decimal(v) for v in values), Decimal(0))


def validator_problems(root: etree._Element, today: date) -> list[str]:
    """The IATI validator's rules this export can break: dates in order and not in the future when actual,
    percentages adding to 100, codes in the codelists, identifiers under the prefix and unique."""
    problems = []
    seen = set()
    lists = {
        "activity-status/@code": codelist("ActivityStatus").codes,
        "activity-date/@type": codelist("ActivityDateType").codes,
        "recipient-country/@code": codelist("Country").codes,
        "sector/@code": codelist("Sector").codes,
        "transaction/transaction-type/@code": codelist("TransactionType").codes,
        "participating-org/@role": codelist("OrganisationRole").codes,
        "participating-org/@type": codelist("OrganisationType").codes,
        "reporting-org/@type": codelist("OrganisationType").codes,
        "document-link/category/@code": codelist("DocumentCategory").codes,
        "related-activity/@type": codelist("RelatedActivityType").codes,
        "budget/@type": codelist("BudgetType").codes,
        "budget/@status": codelist("BudgetStatus").codes,
    }
    for act in root.iterfind("iati-activity"):
        ident = act.findtext("iati-identifier")
        if not ident.startswith(PUBLISHER + "-") or ident in seen:
            problems.append(f"{ident}: identifier not under the prefix, or twice")
        seen.add(ident)
        for path, codes in lists.items():
            for code in act.xpath(path):
                if code not in codes:
                    problems.append(f"{ident}: {path} {code} not in its codelist")
        dates = {d.get("type"): date.fromisoformat(d.get("iso-date")) for d in act.iterfind("activity-date")}
        for kind in ("2", "4"):
            if kind in dates and dates[kind] > today:
                problems.append(f"{ident}: actual date {kind} in the future")
        for a, b in (("1", "3"), ("2", "4"), ("2", "3")):
            if a in dates and b in dates and dates[a] > dates[b]:
                problems.append(f"{ident}: date {a} after {b}")
        for path in ("recipient-country", "sector[@vocabulary='1']"):
            found = act.xpath(f"{path}/@percentage")
            if found and _total(found) != 100:
                problems.append(f"{ident}: {path} percentages add up to {_total(found)}")
        for element in act.xpath("budget | result/indicator/period"):
            start = date.fromisoformat(element.find("period-start").get("iso-date"))
            end = date.fromisoformat(element.find("period-end").get("iso-date"))
            if start > end or (element.tag == "budget" and (end - start).days > 365):
                problems.append(f"{ident}: {element.tag} period {start}..{end}")
        for t in act.iterfind("transaction"):
            if date.fromisoformat(t.find("transaction-date").get("iso-date")) > today:
                problems.append(f"{ident}: transaction in the future")
    return problems


def test_shares_add_up_to_exactly_100():
    assert shares({"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)}) == {
        "a": Decimal("33.34"),
        "b": Decimal("33.33"),
        "c": Decimal("33.33"),
    }
    assert sum(shares({str(n): Decimal(n) for n in range(1, 8)}).values()) == 100
    assert shares({}) == {}


def test_the_demo_worlds_published_partnerships_are_valid_iati_with_results_and_transactions(demo):
    root, left_out = _publish(demo["published"])
    activity_schema().assertValid(root)
    assert validator_problems(root, timezone.localdate()) == []
    activities = root.findall("iati-activity")
    assert len(activities) == len(demo["published"])
    assert all(a.find("recipient-country") is not None and a.find("sector") is not None for a in activities)
    assert sum(len(a.findall("transaction")) for a in activities) > 10
    rich = root.xpath(
        f"iati-activity[iati-identifier='{partnership_identifier(publisher_from_settings(), demo['rich'])}']"
    )[0]
    assert rich.get("hierarchy") == "1" and rich.find("reporting-org").get("ref") == PUBLISHER
    assert {p.get("role") for p in rich.iterfind("participating-org")} >= {"4"}
    indicator = rich.xpath("result[title/narrative='Safer surgery']/indicator")[0]
    assert indicator.get("measure") == "2" and indicator.find("baseline").get("value") == "20"
    first = indicator.find("period")
    assert [t.get("value") for t in first.iterfind("target")] == ["80", "90", "85"]  # total, cadre, sex
    assert first.xpath("target[dimension/@name='sex']/dimension/@value") == ["female"]
    assert first.xpath("actual[not(dimension)]/@value") == ["65"]
    assert first.xpath("actual[dimension/@value='female']/@value") == ["70"]
    assert rich.xpath("result[title/narrative='Skilled staff']/indicator/period/actual")  # computed from records
    assert rich.xpath("document-link[category/@code='A12']/@url")[0].endswith(f"/partnerships/{demo['rich'].slug}/")
    # what could not be published is listed, not dropped
    assert any("in-kind" in note and "1200 GBP" in note for note in left_out)
    # every transaction is one cash cost up to today, in its own currency
    costs = CashCost.objects.filter(partnership=demo["rich"], spent_on__lte=timezone.localdate())
    assert len(rich.findall("transaction")) == costs.count()


def test_a_draft_is_refused_with_words_and_nothing_is_written(demo, tmp_path, capsys):
    out = io.BytesIO()
    with pytest.raises(NothingToPublish, match="draft, and drafts are never published"):
        publish_partnerships([demo["draft"]], publisher=publisher_from_settings(), out=out)
    assert out.getvalue() == b""
    target = tmp_path / "draft.xml"
    with override_settings(HEALTHLINKS_IATI_PUBLISHER=PUBLISHER):
        assert main(["export", "iati", "--partnership", demo["draft"].slug, "-o", str(target)]) == 1
    assert not target.exists() and "drafts are never published" in capsys.readouterr().err
    # among published ones a draft is named as left out
    _root, left_out = _publish([demo["draft"], demo["rich"]])
    assert any(demo["draft"].name in note and "draft" in note for note in left_out)


def test_publishing_needs_a_publisher_and_says_so(demo, tmp_path, capsys):
    with override_settings(HEALTHLINKS_IATI_PUBLISHER=""):
        assert main(["export", "iati", "--all", "-o", str(tmp_path / "x.xml")]) == 1
        assert "HEALTHLINKS_IATI_PUBLISHER" in capsys.readouterr().err
    with (
        override_settings(HEALTHLINKS_IATI_PUBLISHER="not an id"),
        pytest.raises(NothingToPublish, match="not an IATI organisation identifier"),
    ):
        publisher_from_settings()
    assert not (tmp_path / "x.xml").exists()


def test_the_cli_publishes_all_one_and_the_organisation(demo, tmp_path, capsys):
    with override_settings(HEALTHLINKS_IATI_PUBLISHER=PUBLISHER):
        assert main(["export", "iati", "--all", "-o", str(tmp_path / "all.xml")]) == 0
        assert main(["export", "iati", "--partnership", demo["rich"].slug, "-o", str(tmp_path / "one.xml")]) == 0
        assert main(["export", "iati", "--organisation", "-o", str(tmp_path / "org.xml")]) == 0
    printed = capsys.readouterr()
    assert f"{len(demo['published'])} partnerships" in printed.out and "in-kind" in printed.err
    for name in ("all.xml", "one.xml"):
        activity_schema().assertValid(etree.parse(str(tmp_path / name), safe_parser()))
    org = etree.parse(str(tmp_path / "org.xml"), safe_parser())
    organisation_schema().assertValid(org)
    assert org.findtext("iati-organisation/organisation-identifier") == PUBLISHER


def test_the_organisation_file_totals_the_published_partnerships_spending(demo):
    out = io.BytesIO()
    publish_organisation(demo["published"], publisher=publisher_from_settings(), out=out)
    root = etree.fromstring(out.getvalue(), safe_parser())
    organisation_schema().assertValid(root)
    convert = Converter()
    expected: dict[int, Decimal] = defaultdict(Decimal)
    for cost in CashCost.objects.filter(partnership__in=demo["published"], spent_on__lte=timezone.localdate()):
        value = convert(cost.amount, cost.currency, cost.spent_on.year)
        if value is not None:
            expected[cost.spent_on.year] += value
    found = {
        int(e.find("period-start").get("iso-date")[:4]): Decimal(e.findtext("value"))
        for e in root.iterfind("iati-organisation/total-expenditure")
    }
    assert found == {year: value.quantize(Decimal("0.01")) for year, value in expected.items()}


def test_a_published_partnership_reimports_with_the_same_budget_and_transaction_totals(demo, tmp_path):
    root, _left = _publish([demo["rich"]])
    path = tmp_path / "rich.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))
    report = import_iati(str(path))
    assert report.refused is None and report.imported + report.imported_with_warnings == 1, str(report)
    assert not report.held and not report.skipped, str(report)
    ident = partnership_identifier(publisher_from_settings(), demo["rich"])
    project = Project.objects.get(iati_identifier=ident)
    assert project.partnership_id == demo["rich"].pk  # our own namespace names the partnership
    budgets = _total(root.xpath("iati-activity/budget/value/text()"))
    assert budgets > 0 and sum(b.value for b in project.budgets.all()) == budgets
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for cost in CashCost.objects.filter(partnership=demo["rich"], spent_on__lte=timezone.localdate()):
        by_currency[cost.currency] += cost.amount
    imported: dict[str, Decimal] = defaultdict(Decimal)
    for t in project.transactions.all():
        imported[t.currency] += t.value
    assert imported == by_currency
    assert project.results.count() == 2
    # published again, the hub's own activity imported back is not published as a project of itself
    again, left_out = _publish([demo["rich"]])
    assert [a.findtext("iati-identifier") for a in again.iterfind("iati-activity")] == [ident]
    assert any("imported back" in note for note in left_out)


def test_no_in_kind_is_ever_a_transaction(demo):
    root, _left = _publish([demo["rich"]])
    assert InKindContribution.objects.filter(partnership=demo["rich"]).exists()
    assert not root.xpath("//transaction/description/narrative[contains(., 'Donated')]")


def test_the_public_iati_urls_serve_published_partnerships_cached_and_refuse_drafts(demo, client):
    rich, draft = demo["rich"], demo["draft"]
    response = client.get(f"/iati/partnerships/{rich.slug}.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    assert "public" in response["Cache-Control"]
    root = etree.fromstring(response.content, safe_parser())
    activity_schema().assertValid(root)
    assert root.findtext("iati-activity/iati-identifier") == f"{PUBLISHER}-{rich.slug}"
    again = client.get(f"/iati/partnerships/{rich.slug}.xml", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    # a write changes the data version: the file is built again
    in_kind_save(
        by=None,
        partnership=rich,
        kind="other",
        value=Decimal(5),
        currency="GBP",
        received_on=rich.start_date,
        valuation_method="estimate",
    )
    assert client.get(f"/iati/partnerships/{rich.slug}.xml", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200
    refused = client.get(f"/iati/partnerships/{draft.slug}.xml")
    assert refused.status_code == 404 and "Drafts are never published" in refused.content.decode()
    assert client.get("/iati/partnerships/no-such-thing.xml").status_code == 404
    everything = etree.fromstring(client.get("/iati/all.xml").content, safe_parser())
    assert len(everything.findall("iati-activity")) == len(demo["published"])
    organisation = etree.fromstring(client.get("/iati/organisation.xml").content, safe_parser())
    organisation_schema().assertValid(organisation)
    # the partnership page links its IATI file; a draft's page says it is not published
    assert f"/iati/partnerships/{rich.slug}.xml" in client.get(f"/partnerships/{rich.slug}/").content.decode()
    with override_settings(HEALTHLINKS_IATI_PUBLISHER=""):
        unset = client.get("/iati/organisation.xml")
        assert unset.status_code == 404 and "HEALTHLINKS_IATI_PUBLISHER" in unset.content.decode()


def test_a_partnerships_projects_are_published_as_its_children_under_the_hubs_prefix(make_partnership):
    from healthlinks.projects.services import ProjectParts, project_save

    p = make_partnership(name="With Grant")
    project = project_save(
        by=None,
        partnership=p,
        fields={"iati_identifier": "GB-1-999", "reporting_org": p.members.first().institution},
        parts=ProjectParts(
            transactions=[{"transaction_type": "3", "date": "2024-01-02", "value": "100", "currency": "GBP"}]
        ),
    )
    with override_settings(HEALTHLINKS_IATI_PUBLISHER=PUBLISHER):
        root, _left = _publish([p])
    activity_schema().assertValid(root)
    parent, child = root.findall("iati-activity")
    ident = f"{PUBLISHER}-{p.slug}"
    assert parent.findtext("iati-identifier") == ident and parent.get("hierarchy") == "1"
    assert parent.xpath("related-activity[@type='2']/@ref") == [f"{ident}-project-{project.pk}"]
    assert child.findtext("iati-identifier") == f"{ident}-project-{project.pk}" and child.get("hierarchy") == "2"
    assert child.find("reporting-org").get("ref") == PUBLISHER
    assert child.xpath("related-activity[@type='1']/@ref") == [ident]
    assert child.findtext("transaction/value") == "100"
    assert validator_problems(root, timezone.localdate()) == []
