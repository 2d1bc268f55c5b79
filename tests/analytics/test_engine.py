"""Extraction: the tables read through ADBC, two at a time on their own connections, equal what Django's own
connection reads."""

import sqlite3

import pytest
from django.db import connection

from healthlinks import arrow
from healthlinks.analytics import engine
from tests.analytics.test_mobility import small  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)  # committed rows: ADBC reads through its own connections


def _rows(table):
    return sorted((tuple(row.values()) for row in table.to_pylist()), key=repr)


def _file_copy(monkeypatch, tmp_path):
    if arrow.connect() is None:  # SQLite tests run in memory: read a copy of it as a file instead
        assert connection.vendor == "sqlite"
        import adbc_driver_sqlite.dbapi

        copy = tmp_path / "copy.sqlite3"
        with sqlite3.connect(copy) as target:
            connection.connection.backup(target)
        monkeypatch.setattr(arrow, "open_connection", lambda: adbc_driver_sqlite.dbapi.connect(f"file:{copy}?mode=ro"))
        monkeypatch.setattr(arrow, "connect", lambda: arrow.open_connection())


def test_threaded_adbc_extraction_equals_the_django_connection(small, monkeypatch, tmp_path):  # noqa: F811
    _file_copy(monkeypatch, tmp_path)
    reads = []
    read = arrow.read
    monkeypatch.setattr(
        arrow, "read", lambda adbc, sql, params=(): reads.append((id(adbc), sql)) or read(adbc, sql, params)
    )
    progress = []
    tables = engine.extract(lambda stage, i, n: progress.append((i, n)))
    assert list(tables) == list(engine.EXTRACT)
    assert len(reads) == len(engine.EXTRACT) and 1 <= len({a for a, _ in reads}) <= engine.EXTRACT_THREADS
    assert progress[-1] == (len(engine.EXTRACT), len(engine.EXTRACT))
    for name in engine.EXTRACT:
        by_django = engine.read_table(name)  # SQLite's dates as dates there, as text through ADBC: typed alike
        assert _rows(engine.typed({name: tables[name]})[name]) == _rows(engine.typed({name: by_django})[name]), name
    assert tables["stays"].num_rows > 0 and tables["outcomes"].num_rows > 0


def test_large_tables_are_read_in_parts_that_add_up_to_the_whole(small, monkeypatch, tmp_path):  # noqa: F811
    """A large table is read as id ranges by both threads (after an edit it may be the only table read): the
    parts, put together, are the table, with no row twice or missing; a table with no rows is one part."""
    _file_copy(monkeypatch, tmp_path)
    whole = engine.extract()
    monkeypatch.setattr(engine, "PART_IDS", 2)
    reads = []
    read = arrow.read
    monkeypatch.setattr(arrow, "read", lambda adbc, sql, params=(): reads.append(sql) or read(adbc, sql, params))
    parts = engine.extract(names=["stays", "outcomes", "ties", "cascades"])
    for name in ("stays", "outcomes"):
        assert parts[name].num_rows == whole[name].num_rows > 0
        assert _rows(parts[name]) == _rows(whole[name]), name
    assert parts["ties"].num_rows == 0  # an empty table: one part
    stays = [sql for sql in reads if "FROM \"network_stay\"" in sql and "BETWEEN" in sql]
    assert len(stays) > 1
    assert not [sql for sql in reads if "activities_cascadereport" in sql and "BETWEEN" in sql]  # not split


def test_only_the_outcomes_the_analyses_read_are_extracted(small):  # noqa: F811
    """Level 3 (practice at follow-up): the reactions of level 1 are read by no analysis."""
    from healthlinks.activities.models import Outcome

    first = Outcome.objects.first()
    Outcome.objects.create(
        activity=first.activity, person=first.person, level=1, rating=4, recorded_on=first.recorded_on
    )
    assert Outcome.objects.filter(level=1).exists()
    outcomes = engine.extract(names=["outcomes"])["outcomes"]
    assert set(outcomes["level"].to_pylist()) == {3}
    assert outcomes.num_rows == Outcome.objects.filter(level=3).count()


@pytest.mark.parametrize(
    "analysis, module",
    [
        ("collective_impact", "impact"),
        ("value_for_money", "impact"),
        ("mobility_analysis", "mobility"),
        ("network_evolution", "network"),
        ("typology_analysis", "typology"),
    ],
)
def test_each_analysis_extracts_only_the_tables_it_reads(small, admin_user, analysis, module):  # noqa: F811
    """A fresh snapshot holds exactly the analysis's TABLES, with only the columns declared, and the analysis runs
    on them alone (a table or column it reads but does not declare would fail here: DuckDB does not know it)."""
    import importlib

    from healthlinks.analytics import selectors
    from healthlinks.analytics.scope import Scope

    engine.clear()
    result = getattr(selectors, analysis)(admin_user, Scope())
    assert result["scope"]
    declared = engine.wanted(importlib.import_module(f"healthlinks.analytics.{module}").TABLES)
    snap = engine.snapshot(tables=())
    assert snap.loaded == set(declared) < set(engine.EXTRACT)
    for name, columns in declared.items():
        assert snap.tables[name].column_names == [c for c in engine.COLUMNS[name] if c in (columns or [c])], name
    engine.snapshot()  # asking for every table adds the others, and the columns not held, to the same snapshot
    assert engine.snapshot(tables=()).loaded == set(engine.EXTRACT)
    for name, table in engine.snapshot(tables=()).tables.items():
        assert set(table.column_names) == set(engine.COLUMNS[name]), name


def test_extract_reads_only_the_tables_named(small):  # noqa: F811
    tables = engine.extract(names=["ties", "people"])
    assert list(tables) == ["people", "ties"] and tables["people"].num_rows > 0
    assert engine.extract(names=[]) == {}


def test_dates_are_typed_in_arrow_whatever_type_the_driver_gave_them():
    """ISO text becomes dates; a column SQLite's driver typed as integer because it held no date at all becomes
    null dates; other columns are left as they are. DuckDB reads the result in place."""
    import datetime

    import pyarrow as pa

    tables = {
        "cash": pa.table({"spent_on": pa.array(["2024-03-01", None]), "amount": [1.0, 2.0]}),
        "gifts": pa.table({"received_on": pa.array([None, None], pa.int64())}),
    }
    snap = engine.load(tables, None)
    assert snap.tables["cash"]["spent_on"].to_pylist() == [datetime.date(2024, 3, 1), None]
    assert snap.tables["cash"]["amount"].to_pylist() == [1.0, 2.0]
    assert snap.tables["gifts"].schema.field("received_on").type == pa.date32()
    assert snap.rows("SELECT year(spent_on) AS y FROM cash WHERE spent_on IS NOT NULL") == [{"y": 2024}]
    assert snap.loaded == {"cash", "gifts"}


def _extractions(monkeypatch):
    """The table names of every extraction from now on."""
    calls = []
    real = engine.extract

    def recording(progress=None, names=None, columns=None):
        calls.append(sorted(names) if names is not None else None)
        return real(progress, names, columns)

    monkeypatch.setattr(engine, "extract", recording)
    return calls


def test_after_a_write_only_the_tables_written_are_extracted_again(small, admin_user, monkeypatch):  # noqa: F811
    """One outcome changed: the next dashboard extracts the outcomes only, keeps the 16 other tables, and its
    figures include the change. A bulk write (no tables named) makes every table count as changed."""
    from healthlinks import changes
    from healthlinks.activities.models import Outcome
    from healthlinks.analytics import impact
    from healthlinks.analytics.scope import Scope
    from healthlinks.analytics.selectors import collective_impact

    before = collective_impact(admin_user, Scope())["totals"]["practice_changed"]
    calls = _extractions(monkeypatch)
    outcome = Outcome.objects.filter(level=3, practice_changed=False).first()
    outcome.practice_changed = True
    outcome.save()
    after = collective_impact(admin_user, Scope())
    assert calls == [["outcomes"]]
    assert after["totals"]["practice_changed"] == before + 1
    assert engine.snapshot(tables=()).loaded == set(engine.wanted(impact.TABLES))

    calls.clear()
    changes.changed()
    collective_impact(admin_user, Scope())
    assert calls == [sorted(engine.wanted(impact.TABLES))]

    calls.clear()
    changes.changed(["registry_partnershipaccess"])  # written, but read by no analysis: nothing to extract again
    collective_impact(admin_user, Scope())
    assert calls == []


def test_every_extracted_table_names_the_database_table_it_reads():
    from django.apps import apps

    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    assert {name: engine.source(name) for name in engine.EXTRACT if engine.source(name) not in tables} == {}
    assert (
        engine.source("stays") == "network_stay" and engine.source("funders") == "registry_partnership_funding_schemes"
    )


def test_a_table_held_with_fewer_columns_is_extracted_again_wider(small, monkeypatch):  # noqa: F811
    """The dashboard holds 6 of the stays' columns; an analysis that reads more extracts the stays again, with
    every column either asked for, and the others tables are kept."""
    engine.clear()
    engine.snapshot(tables=[("stays", ("partnership_id", "mode")), "people"])
    calls = _extractions(monkeypatch)
    snap = engine.snapshot(tables=[("stays", ("id", "mode")), "people"])
    assert calls == [["stays"]] and snap.tables["stays"].column_names == ["id", "partnership_id", "mode"]
    calls.clear()
    engine.snapshot(tables=[("stays", ("mode",)), ("people", ("id",))])  # held: nothing to extract
    assert calls == []
    with pytest.raises(ValueError, match="no column"):
        engine.queryset("stays", ["shoe_size"])


def test_extractions_are_the_selectors_querysets_and_renew_when_a_table_they_join_is_written():
    """The stays are those the network selectors call live (their people and partnership not soft-deleted): the
    query joins both tables, so a soft delete of either renews the extract."""
    sql = str(engine.queryset("stays", ["id", "start_date", "virtual_hours"]).query)
    assert '"network_person"."deleted_at" IS NULL' in sql and '"registry_partnership"."deleted_at" IS NULL' in sql
    assert engine.sources("stays") == {"network_stay", "network_person", "registry_partnership"}
    assert engine.sources("ties") == {"network_tie", "network_person"}
    assert engine.sources("outcomes") == {"activities_outcome"}
    assert engine.COLUMNS["people"] == ("id", "cadre_id", "sex", "home_institution_id", "grade")


def test_postgresql_connections_are_kept_for_the_next_extraction_and_see_new_rows(small, monkeypatch):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: an SQLite connection opens in a millisecond and is not kept")
    import adbc_driver_postgresql.dbapi as pg

    from healthlinks.reference.models import Country

    opened = []
    real = pg.connect
    monkeypatch.setattr(pg, "connect", lambda *a, **k: opened.append(1) or real(*a, **k))
    arrow._idle.clear()
    first = engine.extract(names=["people", "stays"])
    assert len(opened) == 2 and len(arrow._idle) == 2
    Country.objects.create(iso3="ZZZ", iso2="ZZ", name="Testland")  # committed: the kept connections see it
    second = engine.extract(names=["people", "stays", "countries"])
    assert len(opened) == 2 and second["stays"].num_rows == first["stays"].num_rows
    assert "ZZZ" in second["countries"]["iso3"].to_pylist()
    for _pid, _uri, adbc in arrow._idle:  # the server closed them (a restart): new ones are opened
        adbc.close()
    assert engine.extract(names=["people"])["people"].num_rows == first["people"].num_rows
    assert len(opened) == 3
