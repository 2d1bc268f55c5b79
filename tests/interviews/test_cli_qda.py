"""`healthlinks import|export qdpx|qdc|ris|bibtex`."""

from __future__ import annotations

import zipfile

from healthlinks.cli import main
from healthlinks.evidence.models import Reference
from healthlinks.interviews.models import Code, Segment, Source
from tests.evidence.conftest import FIXTURES as BIB
from tests.interviews.conftest import FIXTURES


def test_import_and_export_qdpx(qda_world, tmp_path, capsys):
    path = FIXTURES / "qc_demo_project.qdpx"
    assert main(["import", "qdpx", str(path), "--partnership", qda_world["p"].slug]) == 0
    assert Source.objects.count() == 2 and Segment.objects.count() > 100
    out = tmp_path / "out.qdpx"
    assert main(["export", "qdpx", "-o", str(out), "--user", "othercoord"]) == 0
    with zipfile.ZipFile(out) as z:
        assert not any(n.startswith("sources/") for n in z.namelist())  # not his partnership's transcripts
    assert main(["export", "qdpx", "-o", str(out), "--partnership", qda_world["p"].slug]) == 0
    with zipfile.ZipFile(out) as z:
        assert sum(1 for n in z.namelist() if n.startswith("sources/")) == 2
    assert main(["export", "qdc", "-o", str(tmp_path / "c.qdc")]) == 0
    Code.objects.all().delete()
    assert main(["import", "qdc", str(tmp_path / "c.qdc")]) == 0
    assert Code.objects.count() > 10
    assert "codes created" in capsys.readouterr().out


def test_qdpx_needs_a_partnership_and_reports_errors(qda_world, tmp_path, capsys):
    path = FIXTURES / "qc_demo_project.qdpx"
    assert main(["import", "qdpx", str(path)]) == 2
    assert "--partnership" in capsys.readouterr().err
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"not a zip")
    assert main(["import", "qdpx", str(bad), "--partnership", qda_world["p"].slug]) == 1
    assert "not a zip archive" in capsys.readouterr().err
    assert main(["import", "qdpx", str(path), "--partnership", qda_world["p"].slug, "--user", "qmember"]) == 1
    assert "may not import" in capsys.readouterr().err
    assert Source.objects.count() == 0


def test_import_and_export_references(qda_world, tmp_path, capsys):
    ris = BIB / "ris" / "asreview_baseline_zotero.ris"
    bib = BIB / "bibtex" / "bibtexparser_multiple_entries_and_comments.bib"
    assert main(["import", "ris", str(ris), "--partnership", qda_world["p"].slug]) == 0
    assert main(["import", "bibtex", str(bib)]) == 0
    assert Reference.objects.count() == 13
    assert Reference.objects.filter(partnerships=qda_world["p"]).count() == 10
    out = tmp_path / "all.ris"
    assert main(["export", "ris", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("TY  - ") == 13
    assert main(["export", "bibtex", "-o", str(tmp_path / "all.bib")]) == 0
    assert (tmp_path / "all.bib").read_text(encoding="utf-8").count("@") == 13
    assert main(["import", "ris", str(tmp_path / "missing.ris")]) == 1
    assert "no such file" in capsys.readouterr().err
