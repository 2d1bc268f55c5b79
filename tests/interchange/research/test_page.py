"""The research export page and its zip download: researchers and hub admins only, small-cell warnings shown, the
zip pseudonymised."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.test import Client

from healthlinks.accounts.models import Role
from tests.interchange.research.world import SENTINELS, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_partnership: Any) -> dict[str, Any]:
    return build(make_partnership)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_page_explains_the_export_and_shows_the_small_cells(world, researcher):
    response = _client(researcher).get("/research/export/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Research export" in text and "Download the zip" in text
    assert "2 cells of country" in text  # consenting (UGA 2221 female) and peer (GBR 2211 male): one person each
    # in words (the export keeps the codes UGA, 2221, female)
    assert '<td>Uganda</td><td>Nursing professionals</td><td>Female</td><td class="num">1</td>' in text
    assert "Kenya" not in text.split("Small cells")[1].split("Tables")[0]  # the draft's person: not the researcher's
    assert "1 partnership" in text and "2 consenting people" in text
    for table in ("stays", "people", "data_dictionary", "indicator_periods"):
        assert table in text or table == "data_dictionary"
    for sentinel in SENTINELS:
        assert sentinel not in text


def test_zip_download_is_pseudonymised_and_scoped(world, researcher):
    response = _client(researcher).get("/research/export.zip", {"partnership": world["a"].slug})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"-{world['a'].slug}.zip" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        names = z.namelist()
        people = pq.read_table(io.BytesIO(z.read("parquet/people.parquet")))
        content = b"".join(z.read(n) for n in names)
    assert {"README.txt", "data_dictionary.csv", "warnings.txt", "csv/stays.csv", "parquet/ties.parquet"} <= set(names)
    assert set(people["person_id"].to_pylist()) == {world["consenting"].pseudo_id, world["peer"].pseudo_id}
    for secret in [*SENTINELS, world["refusing"].pseudo_id]:
        assert secret.encode() not in content


def test_only_researchers_and_hub_admins(world, researcher, admin_user, make_user):
    assert Client().get("/research/export/").status_code == 302
    assert Client().get("/research/export.zip").status_code == 302
    for role in (Role.MEMBER, Role.COORDINATOR):
        client = _client(make_user(f"u-{role}", role))
        assert client.get("/research/export/").status_code == 403
        assert client.get("/research/export.zip").status_code == 403
    admin = _client(admin_user)
    assert admin.get("/research/export/").status_code == 200
    assert "3 consenting people" in admin.get("/research/export/").content.decode()  # the draft's person too
    # A partnership the researcher may not see (a draft) is not found; the hub admin may export it.
    assert _client(researcher).get("/research/export.zip", {"partnership": world["draft"].slug}).status_code == 404
    assert _client(researcher).get("/research/export/", {"partnership": "no-such"}).status_code == 404
    assert admin.get("/research/export.zip", {"partnership": world["draft"].slug}).status_code == 200


def test_people_page_links_to_the_export_for_those_who_may_use_it(world, researcher, make_user):
    assert "/research/export/" in _client(researcher).get("/people/").content.decode()
    assert "/research/export/" not in _client(make_user("m1", Role.MEMBER)).get("/people/").content.decode()
