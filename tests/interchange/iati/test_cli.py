"""`healthlinks import iati` and `healthlinks export iati`: summaries and exit statuses."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from lxml import etree

from healthlinks.accounts.models import Role
from healthlinks.cli import main
from healthlinks.interchange.iati.standard import activity_schema, safe_parser
from healthlinks.projects.models import Project
from tests.interchange.iati.xmlgen import EXTERNAL, INVALID, REAL_FILES, activity, document, org, write

pytestmark = pytest.mark.django_db


def test_import_prints_counts_and_exits_0_then_export_validates(tmp_path, capsys):
    fcdo = [str(p) for p in REAL_FILES if p.name.startswith("fcdo")]
    assert main(["import", "iati", *fcdo]) == 0
    assert "1 activities: 1 imported, 0 imported with warnings, 0 skipped (1 new" in capsys.readouterr().out
    # the other real files name organisations whose country they do not tell: warnings, exit status 3
    assert main(["import", "iati", *map(str, REAL_FILES)]) == 3
    out = capsys.readouterr().out
    others = len(REAL_FILES) - 1
    assert f"total: 1 imported, {others} imported with warnings, 0 skipped, 0 files refused" in out
    assert "[country] <participating-org> 'Bill & Melinda Gates Foundation' not filed as an institution" in out
    target = tmp_path / "out.xml"
    assert main(["export", "iati", "--projects", "--output", str(target)]) == 0
    assert f"{len(REAL_FILES)} IATI activities written" in capsys.readouterr().out
    assert activity_schema().validate(etree.parse(str(target), safe_parser()))
    slug = Project.objects.first().partnership.slug
    assert main(["export", "iati", "--projects", "--partnership", slug, "-o", str(target)]) == 0
    assert len(etree.parse(str(target), safe_parser()).getroot()) == 1
    assert main(["export", "iati", "--projects", "--partnership", "nope", "-o", str(target)]) == 2
    assert main(["export", "iati", "--partnership", "nope", "-o", str(target)]) == 2
    assert main(["export", "iati", "-o", str(target)]) == 2  # say what to publish


def test_exit_status_says_warnings_skips_and_refusals(tmp_path, capsys):
    orgs = [org("Alpha Hospital", ref="GB-NHS-AAA"), org("Beta Hospital", ref="UG-NGO-123")]
    warned = write(tmp_path, document(activity("GB-CHC-1-W", orgs, status='<activity-status code="77"/>')), "w.xml")
    assert main(["import", "iati", warned]) == 3
    out = capsys.readouterr().out
    assert "0 imported, 1 imported with warnings, 0 skipped" in out and "unknown code '77'" in out
    assert main(["import", "iati", str(INVALID / "validator_schema_errors_v2-03.xml")]) == 4
    out = capsys.readouterr().out
    assert "1 skipped" in out and "line 3, activity ?: skipped: no iati-identifier" in out and "line 18" in out
    assert main(["import", "iati", "--strict", str(INVALID / "validator_schema_errors_v2-03.xml")]) == 1
    assert "line 18" in capsys.readouterr().err
    assert main(["import", "iati", str(tmp_path / "missing.xml")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert Project.objects.count() == 1


def test_import_refuses_users_who_may_not_import(make_user, capsys):
    make_user("viewer", Role.RESEARCHER)
    assert main(["import", "iati", "--user", "viewer", str(REAL_FILES[0])]) == 2
    assert "only coordinators and hub admins" in capsys.readouterr().err
    assert not Project.objects.exists()


def test_import_from_an_http_url(capsys):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(EXTERNAL / "activities"))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/fcdo_GB-1-103662-101_v2-03.xml"
        assert main(["import", "iati", url]) == 0
        assert "1 imported" in capsys.readouterr().out
        assert main(["import", "iati", url.replace("fcdo", "nothing")]) == 1
    finally:
        server.shutdown()
        server.server_close()
    assert Project.objects.get().iati_identifier == "GB-1-103662-101"


def test_export_of_nothing_writes_no_invalid_file(tmp_path, capsys, make_partnership):
    p = make_partnership(name="Nothing Here")
    out = tmp_path / "empty.xml"
    assert main(["export", "iati", "--projects", "--partnership", p.slug, "-o", str(out)]) == 1
    assert not out.exists() and "nothing to publish" in capsys.readouterr().err
    # the partnership itself is published (what it does), even without imported projects
    assert main(["export", "iati", "--partnership", p.slug, "-o", str(out)]) == 0
    assert activity_schema().validate(etree.parse(str(out), safe_parser()))
