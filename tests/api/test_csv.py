"""`?format=csv` on every analytics and results endpoint: text/csv, a header row, labelled columns beside the codes,
and the same rows as the JSON."""

import csv
import io

import pytest

from healthlinks.analytics import engine
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/analytics/mobility/": ["outcome", "outcome_label", "dimension", "group", "group_label", "n", "words"],
    "/api/v1/analytics/network/": ["year", "people", "ties", "density"],
    "/api/v1/analytics/impact/": ["partnership_id", "name", "trained", "geography_class", "geography_class_label"],
    "/api/v1/analytics/value-for-money/": ["partnership_id", "name"],
    "/api/v1/analytics/typology/": ["group", "partnerships"],
    "/api/v1/costs/": ["id", "partnership", "category", "category_label", "amount", "currency"],
    "/api/v1/in-kind/": ["id", "partnership", "kind", "kind_label", "value", "currency"],
    "/api/v1/currency-rates/": ["id", "currency", "year", "rate"],
    "/api/v1/day-rates/": ["id", "grade", "cadre", "cadre_label", "year", "day_rate"],
    "/api/v1/results/": ["id", "partnership", "level", "title"],
    "/api/v1/indicators/": ["id", "partnership", "title", "measure"],
}


def _table(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("url", list(ENDPOINTS))
def test_every_analytics_and_results_endpoint_answers_csv(url, world, client_for, admin_user):  # noqa: F811
    engine.clear()
    client = client_for(admin_user)
    rows = _table(client.get(url, {"format": "csv"}))
    header = rows[0]
    for column in ENDPOINTS[url]:
        assert column in header, (url, column, header)
    if url.startswith("/api/v1/analytics/") and "value-for-money" not in url and "typology" not in url:
        assert len(rows) > 1, url


def test_codes_keep_their_column_and_their_label_follows(world, client_for, admin_user):  # noqa: F811
    rows = list(csv.DictReader(io.StringIO(client_for(admin_user).get("/api/v1/costs/?format=csv").content.decode())))
    assert {r["category"] for r in rows} == {"travel"}
    assert {r["category_label"] for r in rows} == {"Travel"}
    json_ids = [r["id"] for r in client_for(admin_user).get("/api/v1/costs/").json()["results"]]
    assert [int(r["id"]) for r in rows] == json_ids


def test_csv_keeps_the_permissions_and_the_checks(world, client_for):  # noqa: F811
    anonymous = _table(client_for(None).get("/api/v1/costs/", {"format": "csv"}))
    assert anonymous[0][:3] == ["id", "external_id", "partnership"] and len(anonymous) == 1  # costs are not public
    assert client_for(None).get("/api/v1/analytics/mobility/", {"format": "xml"}).status_code in (400, 404)
    bad = client_for(None).get("/api/v1/analytics/mobility/", {"format": "csv", "year_from": "soon"})
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/json") and "year_from" in bad.json()
