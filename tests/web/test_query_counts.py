"""List and dashboard pages cost a fixed number of queries, whatever the number of partnerships."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/", "/partnerships/", "/institutions/", "/api/v1/partnerships/"])
def test_query_count_does_not_grow_with_the_data(client_for, admin_user, make_partnership, url):
    client = client_for(admin_user)
    for i in range(3):
        make_partnership(name=f"first {i}", specialties=["surgery"])
    few = _queries(client, url)
    for i in range(12):
        make_partnership(name=f"more {i}", countries=("GBR", "UGA", "KEN"), specialties=["surgery", "nursing"])
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries with 3 partnerships, {many} with 15"
    assert many <= 16


@pytest.mark.parametrize(
    "url",
    [
        "/analytics/impact/",
        "/analytics/impact/?country=UGA",
        "/analytics/mobility/",
        "/analytics/network/",
        "/analytics/value-for-money/",
        "/analytics/typology/",
        "/api/v1/analytics/impact/",
    ],
)
def test_dashboard_pages_cost_a_fixed_number_of_queries(client_for, admin_user, make_partnership, url):
    """Cold (the data changed, so the tables are extracted again) and warm, the number of queries is the same
    with 3 partnerships as with 15: the analyses read whole tables in bulk, never row by row."""
    from healthlinks.analytics import engine

    client = client_for(admin_user)
    for i in range(3):
        make_partnership(name=f"first {i}", specialties=["surgery"])
    engine.clear()
    few = _queries(client, url)
    warm_few = _queries(client, url)
    for i in range(12):
        make_partnership(name=f"more {i}", countries=("GBR", "UGA", "KEN"), specialties=["surgery", "nursing"])
    engine.clear()
    many = _queries(client, url)
    warm_many = _queries(client, url)
    assert many == few, f"{url}: {few} queries with 3 partnerships, {many} with 15"
    assert warm_many == warm_few <= many
    assert many <= 40, f"{url}: {many} queries"
