"""A programme published to IATI (issue 24 §1): one command or one stable URL gives its published partnerships as
schema-valid IATI activities; its drafts are listed as left out, never published."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from healthlinks.cli import main
from healthlinks.interchange.iati.standard import activity_schema, safe_parser

pytestmark = pytest.mark.django_db


def _identifiers(root: Any) -> list[str]:
    return sorted(root.xpath("//iati-activity/iati-identifier/text()"))


def test_the_programme_is_published_with_one_command(programme_world: Any, tmp_path: Any, capsys: Any) -> None:
    from healthlinks.programmes.services import partnership_add

    world = programme_world
    partnership_add(by=None, programme=world["programme"], partnership=world["c"])  # a draft
    out = tmp_path / "programme.xml"
    assert main(["export", "iati", "--programme", "hps-3", "-o", str(out)]) == 0
    root = etree.parse(str(out), safe_parser())
    activity_schema().assertValid(root)
    slugs = _identifiers(root)
    assert any(world["a"].slug in i for i in slugs) and any(world["b"].slug in i for i in slugs)
    assert not any(world["c"].slug in i for i in slugs)
    assert world["c"].name in capsys.readouterr().err  # the draft is listed as left out
    assert main(["export", "iati", "--programme", "no-such", "-o", str(tmp_path / "x.xml")]) != 0
    assert not (tmp_path / "x.xml").exists()


def test_the_programme_has_a_stable_public_url(programme_world: Any, client_for: Any) -> None:
    answer = client_for(None).get("/iati/programmes/hps-3.xml")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/xml")
    root = etree.fromstring(answer.content, safe_parser())
    activity_schema().assertValid(root)
    assert any(programme_world["a"].slug in i for i in _identifiers(root))
    assert client_for(None).get("/iati/programmes/no-such.xml").status_code == 404
    page = client_for(None).get("/programmes/hps-3/").content.decode()
    assert "/iati/programmes/hps-3.xml" in page
