"""Network evolution: graph measures agree with networkx; a small world counted by hand; page, API, CLI."""

import json
from datetime import date, timedelta

import igraph as ig
import networkx as nx
import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from healthlinks.accounts.models import Role
from healthlinks.analytics import engine
from healthlinks.analytics.network import measures
from healthlinks.analytics.scope import Scope
from healthlinks.analytics.selectors import network_evolution
from healthlinks.network.services import person_save, stay_create, tie_save


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=25).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
        )
    )
)
def test_measures_match_networkx(graph_spec):
    n, pairs = graph_spec
    edges = sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
    ours = measures(ig.Graph(n=n, edges=edges))
    reference = nx.Graph()
    reference.add_nodes_from(range(n))
    reference.add_edges_from(edges)
    assert ours["ties"] == reference.number_of_edges()
    assert ours["density"] == pytest.approx(nx.density(reference))
    assert ours["components"] == nx.number_connected_components(reference)
    largest = max((len(c) for c in nx.connected_components(reference)), default=0)
    assert ours["largest_share"] == pytest.approx(largest / n)
    expected = nx.betweenness_centrality(reference, normalized=False)
    assert ours["betweenness"] == pytest.approx([expected[i] for i in range(n)])


@pytest.fixture
def small(network_world):
    """2021: Alice and Bob overlap at the Ugandan host (a co-presence tie); Carol is there alone later.
    2022: Alice and Carol overlap; Alice and Bob have a recorded mentoring tie (dated 2022)."""
    w = network_world
    engine.clear()
    carol = person_save(by=None, external_id="C1", cadre_id="2212")
    w["carol"] = carol

    def stay(person, start, days, host="ug", sending="uk"):
        stay_create(
            by=None,
            person=person,
            partnership=w["p"],
            sending_institution=w[sending],
            host_institution=w[host],
            mode="physical",
            start_date=start,
            end_date=start + timedelta(days=days - 1),
        )

    stay(w["alice"], date(2021, 3, 1), 30)
    stay(w["bob"], date(2021, 3, 20), 30)
    stay(carol, date(2021, 9, 1), 10, host="uk", sending="ug")
    stay(w["alice"], date(2022, 5, 1), 20)
    stay(carol, date(2022, 5, 10), 5)
    stay(w["bob"], date(2022, 11, 1), 5, host="uk", sending="ug")
    tie_save(by=None, person_a=w["alice"], person_b=w["bob"], kind="mentor_mentee", start_date=date(2022, 1, 1))
    return w


@pytest.mark.django_db
def test_a_small_network_counted_by_hand(small, admin_user):
    data = network_evolution(admin_user, Scope(year_to=2022))
    years = {y["year"]: y for y in data["years"]}
    assert set(years) == {2021, 2022}
    assert (years[2021]["people"], years[2021]["ties"], years[2021]["components"]) == (3, 1, 2)
    # 2022: Alice–Carol co-presence and Alice→Bob mentoring: one component of three
    assert (years[2022]["people"], years[2022]["ties"], years[2022]["components"]) == (3, 2, 1)
    # the one 2021 tie (Alice–Bob) is present again in 2022, as the mentoring tie: persistence counts pairs
    assert years[2022]["persistence"] == 1.0 and years[2021]["persistence"] is None
    # flows: UK (HIC) → Uganda is North→South; Uganda → UK is South→North
    assert years[2021]["flows"] == {"North→South": 2, "South→North": 1}
    assert years[2021]["reciprocity"] == pytest.approx(0.5)
    assert data["brokers"][0]["betweenness"] == 1.0 and data["brokers"][0]["person"] == small["alice"].pseudo_id


@pytest.mark.django_db
def test_brokers_are_anonymous_to_the_public_and_filters_apply(small, client_for):
    public = client_for(None).get("/api/v1/analytics/network/", {"year_to": "2022"}).json()
    assert public["brokers"] and all(b["person"] is None for b in public["brokers"])
    assert "Alice" not in json.dumps(public) and small["alice"].pseudo_id not in json.dumps(public)
    assert client_for(None).get("/api/v1/analytics/network/", {"country": "BRA"}).json()["years"] == []
    assert client_for(None).get("/api/v1/analytics/network/", {"year": "last"}).status_code == 400
    # years that hold no stays: an empty answer with its note, on the API and the page (was a 500)
    empty = client_for(None).get("/api/v1/analytics/network/", {"year_from": "2019", "year_to": "2019"})
    assert empty.status_code == 200 and empty.json()["years"] == [] and "years chosen" in empty.json()["note"]
    assert client_for(None).get("/analytics/network/", {"year_from": "2019", "year_to": "2019"}).status_code == 200


@pytest.mark.django_db
def test_network_page_and_cli(small, client_for, make_user, tmp_path):
    from healthlinks.cli import main

    page = client_for(make_user("r", Role.RESEARCHER)).get(reverse("analytics-network"), {"year_to": "2022"})
    assert page.status_code == 200 and "Brokers" in page.content.decode()
    out = tmp_path / "network.csv"
    assert main(["analyze", "network", "--to", "2022", "--format", "csv", "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].startswith("year,people,ties") and len(lines) == 3
