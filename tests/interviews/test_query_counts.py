"""Pages and API cost a fixed number of queries however many segments there are (no N+1)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from healthlinks.interviews import services


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_segments(coded_world, client_for):
    client = client_for(coded_world["member"])
    researcher = client_for(coded_world["researcher"])
    source = coded_world["source"]
    urls = [
        (client, f"/interviews/sources/{source.pk}/"),
        (client, "/api/v1/segments/"),
        (researcher, "/api/v1/segments/"),
        (client, f"/interviews/codes/{coded_world['funding'].pk}/"),
        (client, "/interviews/analysis/?by=country"),
    ]
    before = [_queries(c, u) for c, u in urls]
    for i in range(12):
        services.segment_create(by=None, source=source, code=coded_world["funding"], start=i, end=i + 5)
    after = [_queries(c, u) for c, u in urls]
    assert after == before
