"""projects_bulk_save (many projects in a few statements, history kept) and iter_with_parts (light rows in chunks)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks.projects.models import Project, ProjectIndicator, ProjectParticipant, ProjectPeriod, ProjectTransaction
from healthlinks.projects.selectors import iter_with_parts, with_parts
from healthlinks.projects.services import ProjectParts, ProjectWrite, project_save, projects_bulk_save

pytestmark = pytest.mark.django_db


def _write(partnership, identifier: str, title: str, value: str = "10", pk: int | None = None, created_at=None):
    inst = partnership.members.order_by("pk").first().institution
    return ProjectWrite(
        partnership_id=partnership.pk,
        pk=pk,
        created_at=created_at,
        fields={
            "iati_identifier": identifier,
            "title": title,
            "titles": [{"lang": "en", "text": title}],
            "reporting_org_id": inst.pk,
            "planned_start": date(2021, 1, 1),
            "import_warnings": [{"line": 3, "rule": "schema", "message": "é ’ <x>"}],
        },
        parts=ProjectParts(
            participants=[
                {"role": "4", "names": [{"lang": "en", "text": inst.name}], "institution_id": inst.pk},
                {"role": "1", "ref": "GB-GOV-1", "names": [], "institution_id": None},
            ],
            transactions=[
                {"transaction_type": "3", "date": date(2021, 2, 1), "value": Decimal(value), "currency": "GBP"}
            ],
            results=[
                {
                    "result_type": "1",
                    "titles": [{"lang": "en", "text": "Result"}],
                    "indicators": [
                        {
                            "measure": "1",
                            "titles": [],
                            "baselines": [{"year": "2020", "value": "1"}],
                            "periods": [
                                {"period_start": date(2021, 1, 1), "period_end": date(2021, 12, 31), "targets": []},
                                {"period_start": date(2022, 1, 1), "period_end": date(2022, 12, 31), "targets": []},
                            ],
                        }
                    ],
                }
            ],
        ),
    )


def test_bulk_save_creates_then_updates_with_history(make_partnership, make_user):
    partnership = make_partnership(name="Bulk")
    user = make_user("coord", "coordinator")
    writes = [_write(partnership, "GB-1-A", "A"), _write(partnership, "GB-1-B", "B", value="12.3456")]
    projects_bulk_save(by=user, writes=writes)
    a = Project.objects.get(iati_identifier="GB-1-A")
    assert a.pk == writes[0].pk and a.partnership == partnership and a.created_at is not None
    assert a.import_warnings == [{"line": 3, "rule": "schema", "message": "é ’ <x>"}]
    assert a.planned_start == date(2021, 1, 1)
    assert [(p.position, p.role, p.institution_id is not None) for p in a.participants.all()] == [
        (0, "4", True),
        (1, "1", False),
    ]
    assert Project.objects.get(iati_identifier="GB-1-B").transactions.get().value == Decimal("12.3456")
    indicator = ProjectIndicator.objects.get(result__project=a)
    assert [p.period_start.year for p in indicator.periods.all()] == [2021, 2022]
    assert indicator.baselines == [{"year": "2020", "value": "1"}]
    for model, rows in ((Project, 2), (ProjectParticipant, 4), (ProjectPeriod, 4)):
        assert model.objects.count() == rows == model.history.filter(history_type="+", history_user=user).count()

    update = _write(partnership, "GB-1-A", "A2", value="99", pk=a.pk, created_at=a.created_at)
    projects_bulk_save(by=None, writes=[update])
    a2 = Project.objects.get(pk=a.pk)
    assert (a2.title, a2.created_at) == ("A2", a.created_at) and a2.updated_at > a.updated_at
    assert a2.transactions.get().value == Decimal("99") and ProjectTransaction.objects.count() == 2
    assert list(Project.history.filter(id=a.pk).order_by("history_id").values_list("history_type", "title")) == [
        ("+", "A"),
        ("~", "A2"),
    ]
    assert ProjectPeriod.history.filter(history_type="-").count() == 2 and ProjectPeriod.objects.count() == 4
    deleted = set(ProjectParticipant.history.filter(history_type="-").values_list("id", flat=True))
    assert len(deleted) == 2 and not ProjectParticipant.objects.filter(pk__in=deleted).exists()
    # ids handed out in bulk are never reused by the ORM
    later = project_save(
        by=None,
        partnership=partnership,
        fields={"iati_identifier": "GB-1-C", "reporting_org": a.reporting_org},
        parts=ProjectParts(),
    )
    assert later.pk > max(w.pk or 0 for w in writes)


def test_bulk_save_refuses_unknown_fields(make_partnership):
    write = _write(make_partnership(), "GB-1-X", "X")
    write.fields["secret"] = 1
    with pytest.raises(ValueError, match="secret"):
        projects_bulk_save(by=None, writes=[write])
    assert not Project.objects.exists()


def test_iter_with_parts_reads_in_chunks_what_with_parts_reads(make_partnership):
    partnership = make_partnership(name="Rows")
    projects_bulk_save(by=None, writes=[_write(partnership, f"GB-1-{i}", f"P{i}", value=str(i)) for i in range(5)])

    def shape(p):
        return (
            p.pk,
            p.iati_identifier,
            p.titles,
            p.planned_start,
            p.partnership.slug,
            p.reporting_org.name,
            [(x.role, x.names, x.institution.name if x.institution else None) for x in p.participants.all()],
            [(t.value, t.date) for t in p.transactions.all()],
            [
                (r.result_type, [(i.baselines, [q.period_end for q in i.periods.all()]) for i in r.indicators.all()])
                for r in p.results.all()
            ],
        )

    expected = [shape(p) for p in with_parts(Project.objects.order_by("pk"))]
    assert [shape(p) for p in iter_with_parts(Project.objects.all(), chunk_size=2)] == expected
    assert [p.iati_identifier for p in iter_with_parts(Project.objects.filter(title__in=["P1", "P3"]))] == [
        "GB-1-1",
        "GB-1-3",
    ]

    def queries(qs, chunk_size):
        with CaptureQueriesContext(connection) as captured:
            assert len(list(iter_with_parts(qs, chunk_size=chunk_size))) == qs.count()
        return len(captured)

    one_chunk = queries(Project.objects.all(), 5)
    assert queries(Project.objects.filter(title="P0"), 5) == one_chunk  # per chunk, not per project
    assert queries(Project.objects.all(), 2) > one_chunk



def test_bulk_json_text_is_what_json_dumps_writes():
    import json
    import math

    from healthlinks.bulk import json_text

    values = [
        [],
        {},
        [{"lang": "fr", "text": "Évaluation à mi-parcours — ç"}],
        [{"lang": "en", "text": "a \"quoted\"\nline 🙂"}, {"lang": "", "text": ""}],  # narratives, written directly
        [{"text": "text first", "lang": "en"}],  # not in the narratives' order: the encoder
        [{"lang": "en", "text": None}],
        [{"lang": "en", "text": "x"}, "not a narrative"],
        [{"lang": "en", "text": "x", "type": "1"}],
        {"a": [1, 2.5, None, True, False], "b": {"c": "line\nbreak \"quoted\" \\ tab\t"}},
        "plain",
        "🙂",
        1e300,
        math.nan,
        [math.inf, -math.inf],
    ]
    for value in values:
        assert json_text(value) == json.dumps(value), value


@pytest.mark.parametrize("extra", [0, 1])
def test_bulk_save_writes_every_row_when_a_table_takes_several_statements(make_partnership, extra):
    """SQLite writes `per_statement` rows in one INSERT and the rest one by one: a whole number of statements and
    one more row both land, in order, each with its history row."""
    from healthlinks import bulk

    partnership = make_partnership(name="Many")
    per = bulk.table(ProjectParticipant).per_statement
    count = 2 * per + extra  # two full statements, and one row left over (or none)
    write = _write(partnership, "GB-1-MANY", "Many")
    write.parts.participants = [
        {"role": "4", "ref": f"XM-{i}", "names": [{"lang": "en", "text": f"Org {i}"}], "institution_id": None}
        for i in range(count)
    ]
    projects_bulk_save(by=None, writes=[write])
    rows = ProjectParticipant.objects.filter(project_id=write.pk).order_by("position").values_list("position", "ref")
    assert list(rows) == [(i, f"XM-{i}") for i in range(count)]
    assert ProjectParticipant.history.filter(history_type="+", project_id=write.pk).count() == count


@pytest.mark.parametrize("pipeline", [True, False], ids=["pipeline", "no-pipeline"])
def test_later_writes_copy_the_history_and_leave_the_keys_deferred(make_partnership, monkeypatch, pipeline):
    """With `later_writes`, the history copies are sent after a save (PostgreSQL: in pipeline mode, with
    the check of the foreign keys), Django's next statement waits for them, what is left is sent at the end, and
    afterwards the keys are checked at the commit again, as Django declares them. Without pipeline mode (SQLite,
    a libpq older than 14) the copies run at once."""
    from django.db import IntegrityError, transaction

    from healthlinks.interchange.iati.importer import _project_tables
    from healthlinks.projects import later as later_module
    from healthlinks.projects.later import later_writes

    if not pipeline:
        monkeypatch.setattr(later_module, "_pipeline_supported", lambda: False)
    partnership = make_partnership(name="Later")
    with transaction.atomic(), later_writes(_project_tables()) as later:
        projects_bulk_save(by=None, writes=[_write(partnership, "GB-1-L", "L")], later=later)
        assert later.pipelined is (pipeline and connection.vendor == "postgresql")
        assert bool(later.statements) is later.pipelined  # collected, or already run
        later.send()
        project = Project.objects.get(iati_identifier="GB-1-L")  # this query waits for them
        assert project.history.filter(history_type="+").count() == 1
        assert ProjectPeriod.history.filter(history_type="+").count() == 2
        later.statements.append(("DELETE FROM projects_historicalproject WHERE id = %s", [project.pk]))
    assert not project.history.exists()  # what was left is sent at the end
    if not later.pipelined:
        return

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic(), connection.cursor() as cursor:
        # a participant of no project is accepted until the commit (it would raise here if the keys had been left
        # to be checked statement by statement)
        cursor.execute(
            "INSERT INTO projects_projectparticipant (position, role, org_type, ref, activity_id, crs_channel_code, "
            "names, project_id) VALUES (0, '1', '', '', '', '', '[]', %s)",
            [project.pk + 10_000],
        )
        raise Undo
    # and the keys of what a save wrote are checked when the server runs its later statements
    bad = _write(partnership, "GB-1-BAD", "Bad")
    bad.parts.participants = [{"role": "1", "names": [], "institution_id": 10**9}]
    with pytest.raises(IntegrityError), transaction.atomic(), later_writes(_project_tables()) as later:
        projects_bulk_save(by=None, writes=[bad], later=later)
        later.send()
        later.wait()
