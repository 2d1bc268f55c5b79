from typing import Any

from healthlinks.programmes.services import partnership_add


def test_list_detail_and_rollup(programme_world: dict[str, Any], client_for: Any) -> None:
    w = programme_world
    partnership_add(by=None, programme=w["programme"], partnership=w["c"])  # a draft: hidden from the public
    client = client_for(None)
    listed = client.get("/api/v1/programmes/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [p["slug"] for p in rows] == ["hps-3"]
    detail = client.get("/api/v1/programmes/hps-3/").json()
    assert sorted(detail["partnerships"]) == sorted([w["a"].slug, w["b"].slug])
    assert {t["period"] for t in detail["targets"]} == {"2023"}
    rollup = client.get("/api/v1/programmes/hps-3/rollup/").json()
    assert (rollup["partnerships"], rollup["partnerships_total"]) == (2, 3)
    total = next(
        r for r in rollup["rows"] if (r["library_code"], r["period"], r["dimension"]) == ("TRN-01", "2023", "")
    )
    assert (float(total["value"]), float(total["target"]), total["achieved"]) == (6.0, 10.0, 60.0)
    coordinator = client_for(w["other"]).get("/api/v1/programmes/hps-3/rollup/?period=quarter").json()
    assert coordinator["partnerships"] == 3 and coordinator["granularity"] == "quarter"
    assert client.get("/api/v1/programmes/hps-3/rollup/?period=month").status_code == 400
    assert client.get("/api/v1/programmes/nope/").status_code == 404
