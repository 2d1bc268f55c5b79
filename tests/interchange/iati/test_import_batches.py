"""The batched IATI import: activities decided and written a chunk at a time (small chunks here), history rows
written in bulk, the queries per chunk fixed, a skipped activity leaving nothing behind, a late refusal undoing
every chunk, the data versions bumped once, the reading in a second process for large files."""

from __future__ import annotations

import gc
import io
import weakref
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks import bulk
from healthlinks.analytics.models import DataVersion
from healthlinks.api.models import ApiVersion
from healthlinks.interchange.iati import importer
from healthlinks.interchange.iati.importer import import_iati
from healthlinks.projects.models import (
    Project,
    ProjectBudget,
    ProjectIndicator,
    ProjectParticipant,
    ProjectPeriod,
    ProjectResult,
    ProjectTransaction,
)
from healthlinks.registry.models import Institution, Partnership
from tests.interchange.iati.xmlgen import REAL_FILES, activity, document, org, write

pytestmark = pytest.mark.django_db

PARTS = (ProjectParticipant, ProjectBudget, ProjectTransaction, ProjectResult, ProjectIndicator, ProjectPeriod)
ORGS = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
OTHER_ORGS = [org("Gamma Clinic", ref="KE-NGO-777"), org("Delta University", ref="GB-EDU-999")]


def _transaction(value: str, day: str = "2021-02-01") -> str:
    return (
        f'<transaction><transaction-type code="3"/><transaction-date iso-date="{day}"/>'
        f'<value value-date="{day}">{value}</value></transaction>'
    )


def _many(n: int, prefix: str = "GB-CHC-1234567-N", title: str = "Project", transactions: int = 2) -> list[str]:
    return [
        activity(
            f"{prefix}{i}",
            ORGS if i % 2 else OTHER_ORGS,
            title=f"{title} {i}",
            extra="".join(_transaction(str(100 * i + t)) for t in range(transactions)),
        )
        for i in range(n)
    ]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_SIZE", 4)


def _history(model, kind: str) -> int:
    return model.history.filter(history_type=kind).count()


def test_chunks_write_every_activity_with_its_parts_and_history(tmp_path, small_chunks, make_user):
    admin = make_user("hub", "hub_admin")
    report = import_iati(write(tmp_path, document(*_many(10))), user=admin)
    assert report.refused is None and report.created == 10 and report.imported == 10, report
    assert Partnership.objects.count() == 2 and Institution.objects.count() == 5  # + the reporting organisation
    for project in Project.objects.all():
        assert project.transactions.count() == 2 and project.participants.count() == 2
    p7 = Project.objects.get(iati_identifier="GB-CHC-1234567-N7")
    assert p7.title == "Project 7" and sorted(p7.transactions.values_list("value", flat=True)) == [700, 701]
    members = {i.name for i in Institution.objects.filter(project_roles__project=p7)}
    assert members == {"Alpha Hospital", "Beta Hospital"}
    # every row has its '+' history row, by the importing user
    for model in (Project, ProjectParticipant, ProjectTransaction):
        assert _history(model, "+") == model.objects.count() > 0
        assert set(model.history.values_list("history_user", flat=True)) == {admin.pk}
    history = Project.history.get(iati_identifier="GB-CHC-1234567-N7")
    assert history.title == "Project 7" and history.id == p7.pk and history.partnership_id == p7.partnership_id
    # new projects created later through the ORM do not collide with the ids given in bulk
    ids = set(Project.objects.values_list("pk", flat=True))
    import_iati(write(tmp_path, document(activity("GB-CHC-1234567-LATE", ORGS)), "late.xml"))
    assert Project.objects.get(iati_identifier="GB-CHC-1234567-LATE").pk > max(ids)


def test_queries_do_not_grow_with_the_activities_of_a_chunk(tmp_path):
    import_iati(write(tmp_path, document(*_many(2, prefix="GB-CHC-1234567-W")), "warm.xml"))  # institutions exist

    def queries(n: int, prefix: str) -> int:
        path = write(tmp_path, document(*_many(n, prefix=prefix)), f"{prefix}.xml")
        with CaptureQueriesContext(connection) as captured:
            report = import_iati(path)
        assert report.created == n, report
        return len(captured)

    few, many = queries(3, "GB-CHC-1234567-F"), queries(30, "GB-CHC-1234567-M")
    assert many == few < 60


def test_reimport_with_changes_updates_in_bulk_and_keeps_the_history(tmp_path, small_chunks):
    import_iati(write(tmp_path, document(*_many(6)), "v1.xml"))
    ids = dict(Project.objects.values_list("iati_identifier", "pk"))
    old_transactions = ProjectTransaction.objects.count()
    report = import_iati(write(tmp_path, document(*_many(6, title="Renamed", transactions=1)), "v2.xml"))
    assert report.updated == 6 and report.created == 0, report
    assert dict(Project.objects.values_list("iati_identifier", "pk")) == ids  # same projects, not duplicated
    assert set(Project.objects.values_list("title", flat=True)) == {f"Renamed {i}" for i in range(6)}
    assert ProjectTransaction.objects.count() == 6
    n3 = Project.objects.get(iati_identifier="GB-CHC-1234567-N3")
    assert list(n3.transactions.values_list("value", flat=True)) == [300]
    assert _history(Project, "~") == 6
    assert _history(ProjectTransaction, "-") == old_transactions
    assert _history(ProjectTransaction, "+") == old_transactions + 6
    history = Project.history.filter(id=n3.pk).order_by("history_id")
    assert list(history.values_list("history_type", "title")) == [("+", "Project 3"), ("~", "Renamed 3")]
    # the same file again: nothing rewritten
    report = import_iati(write(tmp_path, document(*_many(6, title="Renamed", transactions=1)), "v3.xml"))
    assert report.unchanged == 6 and _history(Project, "~") == 6


def test_results_indicators_and_periods_are_replaced_with_history(small_chunks):
    standard = REAL_FILES[-1]
    import_iati(str(standard))
    counts = [m.objects.count() for m in (ProjectResult, ProjectIndicator, ProjectPeriod)]
    assert counts == [1, 1, 1]
    changed = standard.read_text().replace("Activity title", "Activity title, revised")
    stream = io.BytesIO(changed.encode())
    stream.name = "revised.xml"
    assert import_iati(stream).updated == 1
    assert [m.objects.count() for m in (ProjectResult, ProjectIndicator, ProjectPeriod)] == counts
    for model in (ProjectResult, ProjectIndicator, ProjectPeriod):
        assert (_history(model, "+"), _history(model, "-")) == (2, 1)
    period = ProjectPeriod.objects.get()
    assert period.indicator.result.project.title == "Activity title, revised" and period.targets[0]["value"] == "10"


def test_the_same_identifier_twice_in_a_chunk_keeps_the_later_one(tmp_path):
    text = document(
        activity("GB-CHC-1234567-DUP", ORGS, title="First"),
        activity("GB-CHC-1234567-OTHER", ORGS),
        activity("GB-CHC-1234567-DUP", ORGS, title="Second"),
    )
    report = import_iati(write(tmp_path, text))
    assert (report.created, report.updated) == (2, 1), report
    assert Project.objects.get(iati_identifier="GB-CHC-1234567-DUP").title == "Second"
    assert any(w.rule == "duplicate" and w.line == 5 for w in report.warnings)


def test_a_skipped_activity_in_a_chunk_leaves_nothing_behind(tmp_path, small_chunks):
    long_id = "GB-CHC-1234567-" + "X" * 250
    text = document(
        activity("GB-CHC-1234567-A", ORGS),
        activity(long_id, [org("Epsilon Clinic", ref="TZ-NGO-55"), org("Zeta Hospital", ref="TZ-NGO-66")]),
        activity("GB-CHC-1234567-B", ORGS),
    )
    report = import_iati(write(tmp_path, text))
    assert report.created == 2 and len(report.skipped) == 1, report
    assert report.skipped[0].line == 4 and "at most 200 characters" in report.skipped[0].reason
    # the institutions and the partnership it created were rolled back; the others of its chunk are written
    assert not Institution.objects.filter(name__in=["Epsilon Clinic", "Zeta Hospital"]).exists()
    assert Partnership.objects.count() == 1
    assert set(Project.objects.values_list("iati_identifier", flat=True)) == {"GB-CHC-1234567-A", "GB-CHC-1234567-B"}
    assert not any("Epsilon" in note for note in report.notes)


def test_a_refusal_after_several_chunks_writes_nothing(tmp_path, small_chunks):
    full = document(*_many(9))
    cut = full[: full.index("GB-CHC-1234567-N8") + 5]  # eight complete activities (two chunks), then broken
    before = (DataVersion.objects.values_list("token", flat=True).first(), ApiVersion.objects.count())
    report = import_iati(write(tmp_path, cut))
    assert report.refused is not None and "not well-formed" in report.refused.reason and report.refused.line == 11
    assert report.created == 0
    assert not (Project.objects.exists() or Institution.objects.exists() or Partnership.objects.exists())
    assert not Project.history.exists() and not ProjectTransaction.history.exists()
    assert (DataVersion.objects.values_list("token", flat=True).first(), ApiVersion.objects.count()) == before


def test_strict_schema_error_in_a_later_chunk_writes_nothing(tmp_path, small_chunks):
    activities = _many(7)
    activities.append(activity("GB-CHC-1234567-BAD", ORGS, status='<activity-status code="2" vocabulary="1"/>'))
    report = import_iati(write(tmp_path, document(*activities)), strict=True)
    assert report.refused is not None and report.refused.line == 10 and "'vocabulary'" in report.refused.reason
    assert not Project.objects.exists() and not Institution.objects.exists()


def test_data_versions_are_bumped_once_by_an_import_that_writes(tmp_path):
    def tokens() -> tuple[str | None, str | None]:
        return (
            DataVersion.objects.values_list("token", flat=True).first(),
            ApiVersion.objects.values_list("token", flat=True).first(),
        )

    path = write(tmp_path, document(*_many(3)))
    start = tokens()
    import_iati(path)
    after = tokens()
    assert after[0] != start[0] and after[1] != start[1] and None not in after
    import_iati(path)  # unchanged: nothing written, nothing bumped
    assert tokens() == after


def test_api_etag_changes_when_a_reimport_only_updates_projects(tmp_path, client_for, admin_user, small_chunks):
    """An update writes no institution or partnership (no signal at all): the explicit bump must change the ETag."""
    import_iati(write(tmp_path, document(*_many(3)), "v1.xml"))
    client = client_for(admin_user)
    first = client.get("/api/v1/projects/")
    assert first.status_code == 200
    assert client.get("/api/v1/projects/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert import_iati(write(tmp_path, document(*_many(3, title="Renamed")), "v2.xml")).updated == 3
    again = client.get("/api/v1/projects/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert {r["title"] for r in again.json()["results"]} == {"Renamed 0", "Renamed 1", "Renamed 2"}


@pytest.mark.parametrize("background", [False, True], ids=["in-process", "second-process"])
def test_real_files_read_in_process_or_by_a_second_process_give_the_same_projects(monkeypatch, background):
    monkeypatch.setattr(importer, "BACKGROUND_MIN_BYTES", 0 if background else 10**12)
    for path in REAL_FILES:
        report = import_iati(str(path))
        assert report.refused is None and report.created == 1 and report.version == "2.03", report
    rows = {
        p.iati_identifier: (p.title, p.participants.count(), p.transactions.count(), len(p.recipient_countries))
        for p in Project.objects.all()
    }
    assert rows["GB-1-103662-101"] == ("PROCOFSERVICES and P0220 for Civil Ser. Cap. Bldng. Liberia", 3, 14, 1)
    assert rows["CH-FDJP-110.162.567-FIND2021"][1:] == (20, 4, 72)
    assert rows["AA-AAA-123456789-ABC123"][1:] == (3, 1, 2)


def test_a_second_process_reports_refusals_and_strict_errors_like_the_first(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BACKGROUND_MIN_BYTES", 0)
    full = document(*_many(3))
    report = import_iati(write(tmp_path, full[: full.index("GB-CHC-1234567-N2") + 5]))
    assert report.refused is not None and report.refused.line == 5 and "not well-formed" in report.refused.reason
    bad = document(activity("GB-CHC-1234567-A", ORGS, status='<activity-status code="2" vocabulary="1"/>'))
    report = import_iati(write(tmp_path, bad, "strict.xml"), strict=True)
    assert report.refused is not None and report.refused.line == 3 and "'vocabulary'" in report.refused.reason
    report = import_iati(write(tmp_path, '<iati-activities version="1.03"><iati-activity/></iati-activities>', "v1"))
    assert report.refused is not None and "IATI 1.0x" in report.refused.reason
    assert not Project.objects.exists() and not Institution.objects.exists()
    report = import_iati(write(tmp_path, document(*_many(3)), "good.xml"))
    assert report.created == 3 and report.version == "2.03"


def test_other_databases_fall_back_to_one_save_per_project(tmp_path, monkeypatch, small_chunks):
    monkeypatch.setattr(bulk, "supported", lambda: False)
    import_iati(write(tmp_path, document(*_many(5))))
    assert Project.objects.count() == 5 and ProjectTransaction.objects.count() == 10
    assert _history(Project, "+") == 5 and _history(ProjectParticipant, "+") == 10
    assert _history(Institution, "+") == 5 and _history(Partnership, "+") == 2  # record by record too
    report = import_iati(write(tmp_path, document(*_many(5, title="Renamed")), "b.xml"))
    assert report.updated == 5 and _history(Project, "~") == 5
    assert set(Project.objects.values_list("title", flat=True)) == {f"Renamed {i}" for i in range(5)}


def test_unreadable_values_never_crash_and_are_reported(tmp_path):
    """Values that would overflow the database columns or take gigabytes to format are reported, not imported."""
    extra = (
        _transaction("123456789012345678901")  # 21 digits: more than the 16 an amount column holds
        + _transaction("1E+999999999")  # formatting it would take a gigabyte
        + _transaction("0E-999999999")
        + _transaction("12.50")
    )
    text = document(
        activity(
            "GB-CHC-1234567-ODD",
            [org("Alpha Hospital", ref="GB-NHS-AAA", role="4" * 30), org("Beta Hospital", ref="UG-NGO-123")],
            extra=extra,
        ).replace("<iati-activity ", '<iati-activity hierarchy="²" last-updated-datetime="2021-13-45T00:00:00" ')
    )
    report = import_iati(write(tmp_path, text))
    assert report.created == 1, report
    project = Project.objects.get()
    assert list(project.transactions.order_by("position").values_list("value", flat=True)) == [None, None, 0, 12.5]
    assert project.hierarchy is None and project.last_updated is None
    assert project.participants.first().role == "4" * 10  # kept as published, within the column
    messages = [w["message"] for w in project.import_warnings]
    assert any("more than 16 digits" in m for m in messages)
    assert any("'1E+999999999' is out of range" in m for m in messages)
    assert any("hierarchy '²'" in m for m in messages)


def test_only_one_chunk_of_activities_is_held(tmp_path, monkeypatch):
    """Memory stays flat: once a chunk is written, nothing keeps its activities."""
    monkeypatch.setattr(importer, "CHUNK_SIZE", 5)
    refs: list[weakref.ref] = []
    original = importer._Importer._flush

    def flush(self, chunk):
        original(self, chunk)
        refs.extend(weakref.ref(p) for p in chunk)
        gc.collect()
        assert sum(r() is not None for r in refs) <= len(chunk)  # only the chunk just written (still in hand)

    monkeypatch.setattr(importer._Importer, "_flush", flush)
    assert import_iati(write(tmp_path, document(*_many(23)))).created == 23
    assert len(refs) == 23


def test_generated_bench_file_is_valid_and_re_identified(tmp_path):
    """bench/iati.py repeats the real activities with new identifiers: the file imports without a warning."""
    import sys

    root = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root))
    try:
        from bench.iati import generate
    finally:
        sys.path.remove(str(root))
    info = generate(tmp_path / "big.xml", activities=7)
    assert info["activities"] == 7
    report = import_iati(str(info["path"]))
    # the only warnings: organisations whose country the file does not tell (the FIND and example activities)
    assert report.created == 7 and report.imported + report.imported_with_warnings == 7, report
    assert {w.rule for w in report.warnings} == {"country"} and not report.skipped and not report.held, report
    identifiers = set(Project.objects.values_list("iati_identifier", flat=True))
    assert len(identifiers) == 7 and "GB-1-103662-101-HLB0000004" in identifiers


def test_the_reading_process_is_stopped_when_the_import_fails(tmp_path, monkeypatch):
    from healthlinks.interchange.iati import background

    monkeypatch.setattr(importer, "BACKGROUND_MIN_BYTES", 0)
    started = []
    real_popen = background.subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    def fail(self, chunk):
        raise RuntimeError("disk full")

    monkeypatch.setattr(background.subprocess, "Popen", popen)
    monkeypatch.setattr(importer._Importer, "_flush", fail)
    monkeypatch.setattr(importer, "CHUNK_SIZE", 2)
    with pytest.raises(RuntimeError, match="disk full"):
        import_iati(write(tmp_path, document(*_many(400))))
    assert len(started) == 1 and started[0].poll() is not None  # killed and reaped, not left running


def test_the_reading_process_runs_ahead_of_a_slow_importer(tmp_path, monkeypatch):
    """The child reads and sends its batches while the importer is busy writing: far more than a pipe's 64 KB,
    so before the read-ahead it waited for every write and the two processes ran in turn, not side by side."""
    import time

    from healthlinks.interchange.iati import background

    started = []
    real_popen = background.subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(background.subprocess, "Popen", popen)
    path = Path(write(tmp_path, document(*_many(600))))
    assert path.stat().st_size > 4 * 64 * 1024
    activities = iter(background.BackgroundReader(str(path)))
    next(activities)  # the importer has its first activity and is busy with it
    deadline = time.monotonic() + 60
    while started[0].poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started[0].returncode == 0, "the reading process was held back by the importer"
    assert 1 + sum(1 for _ in activities) == 600


def test_an_import_keeps_the_analytics_tables_it_did_not_write(tmp_path, admin_user, monkeypatch):
    """The bulk writes are the projects' tables, which no analysis reads: after a re-import that only updates
    projects, the next analysis extracts nothing again (before, every table was extracted again)."""
    from healthlinks.analytics import engine
    from healthlinks.analytics.scope import Scope
    from healthlinks.analytics.selectors import typology_analysis

    import_iati(write(tmp_path, document(*_many(3)), "v1.xml"))
    engine.clear()
    typology_analysis(admin_user, Scope())
    calls = []
    real = engine.extract
    monkeypatch.setattr(
        engine,
        "extract",
        lambda progress=None, names=None, columns=None: calls.append(names) or real(progress, names, columns),
    )
    assert import_iati(write(tmp_path, document(*_many(3, title="Renamed")), "v2.xml")).updated == 3
    assert typology_analysis(admin_user, Scope())["partnerships"] >= 1
    assert calls == []
    import_iati(
        write(tmp_path, document(activity("GB-CHC-1234567-NEW", [org("Epsilon Hospital", ref="TZ-NGO-1")])), "v3.xml")
    )
    typology_analysis(admin_user, Scope())
    assert calls and "partnerships" in calls[0]  # a new institution and partnership: the registry tables again


def test_the_cyclic_collector_is_paused_only_when_the_caller_owns_its_process(tmp_path, monkeypatch, small_chunks):
    """The collector is process-wide: an import leaves it alone unless its caller runs it in a process of its own
    (`pause_collector=True`, the command line), and then only in the main thread; it is on again afterwards, also
    when the file is refused late, and a program that keeps it off keeps it off."""
    import threading

    seen = []
    flush = importer._Importer._flush

    def watching(self, chunk):
        seen.append(gc.isenabled())
        return flush(self, chunk)

    monkeypatch.setattr(importer._Importer, "_flush", watching)
    path = write(tmp_path, document(*[activity(f"GB-1-P{i}", orgs=ORGS) for i in range(5)]))
    assert gc.isenabled()
    assert import_iati(str(path)).refused is None
    assert seen and all(seen), "a web request's import leaves the collector on"
    seen.clear()
    in_main_thread = threading.current_thread() is threading.main_thread()
    assert import_iati(str(path), pause_collector=True).refused is None
    assert seen and (not any(seen)) == in_main_thread and gc.isenabled()
    bad = write(tmp_path, document(*[activity(f"GB-1-B{i}", orgs=ORGS) for i in range(5)])[:-40], "bad.xml")
    assert import_iati(str(bad), pause_collector=True).refused is not None and gc.isenabled()
    gc.disable()  # a program that keeps the collector off keeps it off
    try:
        import_iati(str(path), pause_collector=True)
        assert not gc.isenabled()
    finally:
        gc.enable()

    seen.clear()  # another thread (a web server's) never pauses it, even when asked

    def in_a_thread():
        with importer._collector_paused():
            seen.append(gc.isenabled())

    worker = threading.Thread(target=in_a_thread)
    worker.start()
    worker.join()
    assert seen == [True] and gc.isenabled()


def test_the_command_line_pauses_the_collector(monkeypatch):
    from healthlinks.interchange.iati import cli

    calls = []
    monkeypatch.setattr(
        importer, "import_iati", lambda *args, **kwargs: calls.append(kwargs) or (_ for _ in ()).throw(OSError("stop"))
    )
    cli.run_import(type("Args", (), {"files": [str(REAL_FILES[0])], "user": None, "strict": False})())
    assert calls and calls[0]["pause_collector"] is True


def test_the_pipe_from_the_reading_process_holds_a_batch():
    """On Linux the pipe is widened from 64 kB to hold a whole batch (or as much as the system allows)."""
    fcntl = pytest.importorskip("fcntl")
    import os

    from healthlinks.interchange.iati import background

    read, write = os.pipe()
    try:
        before = fcntl.fcntl(read, fcntl.F_GETPIPE_SZ)
        background._widen(read)
        after = fcntl.fcntl(read, fcntl.F_GETPIPE_SZ)
        limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
        assert after == min(background.PIPE_BYTES, limit) > before
    finally:
        os.close(read)
        os.close(write)


def test_the_first_chunks_are_smaller_so_that_writing_starts_early(tmp_path, monkeypatch):
    """While the first chunk is read the importer waits: the first chunks grow to CHUNK_SIZE."""
    monkeypatch.setattr(importer, "CHUNK_SIZE", 4)
    monkeypatch.setattr(importer, "FIRST_CHUNKS", (1, 2, 9))
    sizes = []
    flush = importer._Importer._flush
    monkeypatch.setattr(
        importer._Importer, "_flush", lambda self, chunk: sizes.append(len(chunk)) or flush(self, chunk)
    )
    report = import_iati(write(tmp_path, document(*_many(12))))
    assert report.created == 12 and Project.objects.count() == 12
    assert [s for s in sizes if s] == [1, 2, 4, 4, 1]


def test_a_reading_process_that_dies_mid_record_is_reported_and_nothing_is_written(tmp_path, monkeypatch):
    """The child's last record is cut short (it was killed while writing it): the import stops with the plain
    'the process reading ... stopped' error, not a decoding error, and writes nothing."""
    import sys

    from healthlinks.interchange.iati import background

    monkeypatch.setattr(importer, "BACKGROUND_MIN_BYTES", 0)
    child = (
        "import pickle, sys\n"
        "out = sys.stdout.buffer\n"
        "def send(record, cut=False):\n"
        "    data = pickle.dumps(record)\n"
        f"    out.write(len(data).to_bytes({background.SIZE}, 'big'))\n"
        "    out.write(data[: len(data) // 2] if cut else data)\n"
        "    out.flush()\n"
        "send(('version', '2.03'))\n"
        "send(('batch', [(1, 'X-1', b'{}', [], '', 'digest')]), cut=True)\n"
        "sys.exit(3)\n"
    )
    real_popen = background.subprocess.Popen
    monkeypatch.setattr(
        background.subprocess, "Popen", lambda command, **kwargs: real_popen([sys.executable, "-c", child], **kwargs)
    )
    with pytest.raises(RuntimeError, match="the process reading .* stopped"):
        import_iati(write(tmp_path, document(*_many(3))))
    assert not Project.objects.exists() and not Institution.objects.exists()
