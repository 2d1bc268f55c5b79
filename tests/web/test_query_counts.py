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
