"""Survey pages and API cost a fixed number of queries, whatever the number of responses."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks.evaluation.demo import census_demo, load_instruments

pytestmark = pytest.mark.django_db

URLS = [
    "/surveys/",
    "/surveys/partnership-census/",
    "/surveys/partnership-census/?by=country&q=benefits",
    "/surveys/partnership-census/responses.csv",
    "/surveys/partnership-census/form/",
    "/api/v1/responses/?instrument=partnership-census",
    "/api/v1/instruments/",
]


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", URLS)
def test_query_count_does_not_grow_with_responses(client_for, admin_user, make_partnership, url):
    make_partnership(name="Some link")
    load_instruments()
    client = client_for(admin_user)
    census_demo(seed=2, n=3)
    few = _queries(client, url)
    census_demo(seed=2, n=15)
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries with 3 responses, {many} with 15"
    assert many <= 40
