"""Network evolution and social capital, year by year (issue 6 §2).

People are active in a year when one of their stays in the scope overlaps it. Ties in a year: recorded ties
(Tie) whose dates overlap the year (undated ties: any year both people are active) and co-presence ties
(physical stays at the same host overlapping within the year; computed, never stored). Per year: people,
institutions, ties, density, components and the share of the largest, mean ties per person by cadre,
brokers (highest betweenness; exact up to EXACT_BETWEENNESS people, else paths cut at BETWEENNESS_CUTOFF
steps), institutions bridging partnerships (hosting or sending stays of two or more partnerships), flows
of stays by direction (North = World Bank high income) and reciprocity ((South→North + South→South) /
North→South), and tie persistence (share of the previous year's ties present again). igraph computes the
graph measures."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

import igraph as ig

from healthlinks.analytics.engine import Snapshot

# the engine's tables this analysis reads (engine.EXTRACT)
TABLES = ("countries", "institutions", "people", "stays", "ties")

EXACT_BETWEENNESS = 3000
BETWEENNESS_CUTOFF = 4
MAX_YEARS = 40
PICTURE_NODES = 250


def _edges_by_year(snap: Snapshot, ids: list[int], first: int, last: int) -> dict[int, set[tuple[int, int]]]:
    """Co-presence and recorded ties per year. Two queries: as one statement (UNION ALL under DISTINCT) DuckDB
    chose a plan that spilled tens of GB at M scale, while each part takes a fraction of a second."""
    copresence = snap.cursor().execute(
        """
        WITH s AS (SELECT * FROM stays WHERE list_contains(?, partnership_id) AND mode = 'physical'),
        pairs AS (
            SELECT least(a.person_id, b.person_id) AS p, greatest(a.person_id, b.person_id) AS q,
                   greatest(a.start_date, b.start_date) AS lo, least(a.end_date, b.end_date) AS hi
            FROM s a JOIN s b ON a.host_institution_id = b.host_institution_id AND a.id < b.id
                AND a.person_id <> b.person_id AND a.start_date <= b.end_date AND b.start_date <= a.end_date
        )
        SELECT p, q, unnest(range(year(lo), year(hi) + 1)) AS y FROM pairs
        """,
        [ids],
    )
    recorded = snap.cursor().execute(
        """
        WITH active AS (
            SELECT DISTINCT person_id, unnest(range(year(start_date), year(end_date) + 1)) AS y
            FROM stays WHERE list_contains(?, partnership_id)
        )
        SELECT least(t.person_a_id, t.person_b_id) AS p, greatest(t.person_a_id, t.person_b_id) AS q, a.y
        FROM ties t JOIN active a ON a.person_id = t.person_a_id JOIN active b
            ON b.person_id = t.person_b_id AND b.y = a.y
        WHERE (t.start_date IS NULL OR year(t.start_date) <= a.y)
          AND (t.end_date IS NULL OR year(t.end_date) >= a.y)
        """,
        [ids],
    )
    edges: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for cursor in (copresence, recorded):
        for p, q, y in cursor.fetchall():
            if first <= y <= last:
                edges[y].add((p, q))
    return edges


def measures(graph: ig.Graph) -> dict[str, Any]:
    """Graph measures of one year's network (also checked against networkx in the tests)."""
    n = graph.vcount()
    m = graph.ecount()
    components = graph.connected_components() if n else []
    largest = max((len(c) for c in components), default=0)
    if n <= EXACT_BETWEENNESS:
        betweenness = graph.betweenness(directed=False) if n else []
        exact = True
    else:
        betweenness = graph.betweenness(directed=False, cutoff=BETWEENNESS_CUTOFF)
        exact = False
    return {
        "people": n,
        "ties": m,
        "density": (2 * m / (n * (n - 1))) if n > 1 else 0.0,
        "components": len(components),
        "largest_share": largest / n if n else 0.0,
        "mean_degree": (2 * m / n) if n else 0.0,
        "betweenness": betweenness,
        "betweenness_exact": exact,
    }


def evolution(
    snap: Snapshot, ids: list[int], year_from: int | None, year_to: int | None, picture_year: int | None = None
) -> dict[str, Any]:
    span = snap.rows(
        """SELECT min(year(start_date)) AS lo, max(year(end_date)) AS hi FROM stays
           WHERE list_contains(?, partnership_id)""",
        [ids],
    )[0]
    empty: dict[str, Any] = {
        "years": [],
        "cadres": [],
        "brokers": [],
        "bridges": [],
        "picture": None,
        "note": "No stays in scope.",
    }
    if span["lo"] is None:
        return empty
    first = max(span["lo"], year_from or span["lo"])
    last = min(span["hi"], year_to or date.today().year)
    first = max(first, last - MAX_YEARS + 1)
    if first > last:  # the years asked for hold no stays
        return empty | {"note": "No stays in the years chosen."}
    active_rows = snap.rows(
        """SELECT DISTINCT s.person_id, unnest(range(year(s.start_date), year(s.end_date) + 1)) AS y,
                  coalesce(p.cadre_id, 'not recorded') AS cadre
           FROM stays s LEFT JOIN people p ON p.id = s.person_id WHERE list_contains(?, s.partnership_id)""",
        [ids],
    )
    active: dict[int, set[int]] = defaultdict(set)
    cadre: dict[int, str] = {}
    for row in active_rows:
        if first <= row["y"] <= last:
            active[row["y"]].add(row["person_id"])
        cadre[row["person_id"]] = row["cadre"]
    edges = _edges_by_year(snap, ids, first, last)
    flows = snap.rows(
        """SELECT year(s.start_date) AS y,
             CASE WHEN cs.income_group = 'HIC' THEN 'North' ELSE 'South' END || '→' ||
             CASE WHEN ch.income_group = 'HIC' THEN 'North' ELSE 'South' END AS direction, count(*) AS n
           FROM stays s JOIN institutions hs ON hs.id = s.sending_institution_id
             JOIN institutions hh ON hh.id = s.host_institution_id
             JOIN countries cs ON cs.iso3 = hs.country_id JOIN countries ch ON ch.iso3 = hh.country_id
           WHERE list_contains(?, s.partnership_id) GROUP BY ALL""",
        [ids],
    )
    flow: dict[int, Counter[str]] = defaultdict(Counter)
    for row in flows:
        flow[row["y"]][row["direction"]] += row["n"]
    bridge_rows = snap.rows(
        """WITH ends AS (
             SELECT year(start_date) AS y, host_institution_id AS inst, partnership_id FROM stays
             WHERE list_contains(?, partnership_id)
             UNION ALL SELECT year(start_date), sending_institution_id, partnership_id FROM stays
             WHERE list_contains(?, partnership_id) AND sending_institution_id IS NOT NULL)
           SELECT e.y, e.inst, i.name, count(DISTINCT e.partnership_id) AS partnerships
           FROM ends e JOIN institutions i ON i.id = e.inst GROUP BY ALL
           HAVING count(DISTINCT e.partnership_id) >= 2""",
        [ids, ids],
    )
    institutions = {
        row["y"]: row["n"]
        for row in snap.rows(
            """WITH ends AS (
                 SELECT unnest(range(year(start_date), year(end_date) + 1)) AS y, host_institution_id AS inst
                 FROM stays WHERE list_contains(?, partnership_id)
                 UNION ALL SELECT unnest(range(year(start_date), year(end_date) + 1)), sending_institution_id
                 FROM stays WHERE list_contains(?, partnership_id) AND sending_institution_id IS NOT NULL)
               SELECT y, count(DISTINCT inst) AS n FROM ends GROUP BY y""",
            [ids, ids],
        )
    }
    bridges_by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in bridge_rows:
        bridges_by_year[row["y"]].append(row)
    years: list[dict[str, Any]] = []
    cadre_rows: list[dict[str, Any]] = []
    previous: set[tuple[int, int]] | None = None
    graphs: dict[int, tuple[ig.Graph, list[int]]] = {}
    for y in range(first, last + 1):
        people = active.get(y, set())
        year_edges = {e for e in edges.get(y, set()) if e[0] in people and e[1] in people}
        nodes = sorted(people)
        index = {pid: i for i, pid in enumerate(nodes)}
        graph = ig.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in year_edges])
        graphs[y] = (graph, nodes)
        figures = measures(graph)
        f = flow.get(y, Counter())
        north_south = f.get("North→South", 0)
        persistence = (len(previous & year_edges) / len(previous)) if previous else None
        years.append(
            {
                "year": y,
                **{k: v for k, v in figures.items() if k != "betweenness"},
                "institutions": institutions.get(y, 0),
                "flows": dict(f),
                "reciprocity": ((f.get("South→North", 0) + f.get("South→South", 0)) / north_south)
                if north_south
                else None,
                "persistence": persistence,
                "bridging_institutions": len(bridges_by_year.get(y, [])),
            }
        )
        degree = graph.degree()
        by_cadre: dict[str, list[int]] = defaultdict(list)
        for i, pid in enumerate(nodes):
            by_cadre[cadre.get(pid, "not recorded")].append(degree[i])
        for c, degrees in sorted(by_cadre.items()):
            cadre_rows.append({"year": y, "cadre": c, "people": len(degrees), "mean_ties": sum(degrees) / len(degrees)})
        previous = year_edges
    shown = picture_year if picture_year in graphs else last
    graph, nodes = graphs[shown]
    betweenness = measures(graph)["betweenness"]
    ranked = sorted(range(len(nodes)), key=lambda i: -betweenness[i])[:10]
    brokers = [
        {"person_id": nodes[i], "cadre": cadre.get(nodes[i]), "betweenness": betweenness[i], "ties": graph.degree(i)}
        for i in ranked
        if betweenness[i] > 0
    ]
    bridges = sorted(bridges_by_year.get(shown, []), key=lambda b: -b["partnerships"])[:10]
    return {
        "years": years,
        "cadres": cadre_rows,
        "year_shown": shown,
        "brokers": brokers,
        "bridges": [{"institution": b["name"], "partnerships": b["partnerships"]} for b in bridges],
        "picture": _picture(graph, nodes, cadre, betweenness),
        "note": "",
    }


def _picture(graph: ig.Graph, nodes: list[int], cadre: dict[int, str], betweenness: list[float]) -> dict[str, Any]:
    """A node-link picture of the most connected people (at most PICTURE_NODES), laid out by igraph."""
    if graph.vcount() == 0:
        return {"nodes": [], "links": []}
    keep = sorted(range(graph.vcount()), key=lambda i: (-graph.degree(i), i))[:PICTURE_NODES]
    sub = graph.induced_subgraph(keep)
    layout = sub.layout_fruchterman_reingold(seed=[(i % 17, i // 17) for i in range(sub.vcount())], niter=200)
    points = [
        {
            "x": round(x, 3),
            "y": round(y, 3),
            "type": "person",
            "label": f"cadre {cadre.get(nodes[keep[i]], 'not recorded')}",
            "detail": f"{graph.degree(keep[i])} ties, betweenness {betweenness[keep[i]]:.0f}",
            "cadre": cadre.get(nodes[keep[i]]),  # the code: pages show its label
            "ties": graph.degree(keep[i]),
            "size": round(betweenness[keep[i]], 1),
        }
        for i, (x, y) in enumerate(layout.coords)
    ]
    links = [
        {
            "x": points[a]["x"],
            "y": points[a]["y"],
            "x2": points[b]["x"],
            "y2": points[b]["y"],
            "kind": "tie",
            "label": "",
        }
        for a, b in sub.get_edgelist()
    ]
    return {"nodes": points, "links": links}
