"""Collective impact and value for money against the hand-counted partnership of tests/results (same figures
as its summary): trainees, volunteer days, cash, in kind, and the 4E ratios built from them."""

import pytest

from healthlinks.analytics import engine
from healthlinks.analytics.impact import collective, vfm
from healthlinks.registry.models import Partnership
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _ids():
    return list(Partnership.objects.values_list("pk", flat=True))


def test_collective_figures_equal_the_hand_count(world):  # noqa: F811
    snap = engine.load(engine.extract(), None)
    data = collective(snap, _ids(), 2022, 2022)
    totals = data["totals"]
    # by hand (tests/results/test_summary.py): 5 trained, 18 physical days, 500 GBP cash (KES has no rate),
    # in kind 1,000 GBP of equipment + 4,400 GBP of volunteer time
    assert totals["trained"] == 5 and totals["volunteer_days"] == 18
    assert totals["cash"] == pytest.approx(500) and totals["unconverted_costs"] == 1
    assert totals["in_kind"] == pytest.approx(5400)
    assert {r["group"]: r["trained"] for r in data["by"]["country"]} == {"GBR": 5, "UGA": 5}
    assert data["trend"] == [{"year": 2022, "volunteer_days": 18, "cash": pytest.approx(500), "trained": 5}]
    everything = collective(snap, _ids(), None, None)["totals"]
    assert everything["volunteer_days"] == 25 and everything["cash"] == pytest.approx(1499)


def test_value_for_money_ratios_and_comparison_group(world):  # noqa: F811
    snap = engine.load(engine.extract(), None)
    data = vfm(snap, _ids(), _ids(), 2022, 2022)
    row = data["partnerships"][0]
    assert row["cost_per_volunteer_day"] == pytest.approx(500 / 18)
    assert row["cost_per_trained"] == pytest.approx(100)
    assert row["in_kind_share"] == pytest.approx(5400 / 5900)
    assert row["leverage"] == pytest.approx(5400 / 500)
    assert row["female_share"] == pytest.approx(3 / 5)  # the 3 counted women; Bob and Dave not recorded
    assert row["cost_per_practice_change"] is None  # no practice change recorded: no ratio, not zero
    assert row["comparison"]["partnerships"] == 1 and row["comparison"]["medians"]["cost_per_trained"] == 100


def test_pages_api_and_cli_with_visibility(world, client_for, make_user, tmp_path):  # noqa: F811
    from django.urls import reverse

    from healthlinks.accounts.models import Role
    from healthlinks.cli import main

    engine.clear()
    public = client_for(None)
    page = public.get(reverse("analytics-impact"), {"year_from": "2022", "year_to": "2022"}).content.decode()
    assert "health workers trained (each once)" in page and world["p"].name in page
    assert public.get(reverse("analytics-vfm")).status_code == 200
    api = public.get("/api/v1/analytics/impact/", {"year_from": 2022, "year_to": 2022}).json()
    assert api["totals"]["trained"] == 5
    vfm_api = public.get("/api/v1/analytics/value-for-money/", {"year_from": 2022, "year_to": 2022}).json()
    assert vfm_api["partnerships"][0]["cost_per_trained"] == 100
    csv_text = public.get(reverse("analytics-impact"), {"format": "csv"}).content.decode()
    assert csv_text.startswith("partnership_id,slug,name")
    # a draft partnership drops out for the public and researchers, not for its coordinator
    world["p"].publication = "draft"
    world["p"].save()
    assert public.get("/api/v1/analytics/impact/").json()["totals"]["partnerships"] == 0
    researcher = client_for(make_user("r", Role.RESEARCHER))
    assert researcher.get("/api/v1/analytics/value-for-money/").json()["partnerships"] == []
    assert client_for(world["coordinator"]).get("/api/v1/analytics/impact/").json()["totals"]["partnerships"] == 1
    out = tmp_path / "vfm.csv"
    assert main(["analyze", "vfm", "--from", "2022", "--to", "2022", "--format", "csv", "-o", str(out)]) == 0
    assert "cost_per_trained" in out.read_text().splitlines()[0]


def test_each_partnership_is_compared_with_the_medians_of_its_own_group(monkeypatch):
    import duckdb

    from healthlinks.analytics import impact

    def row(pk, activity, geography, cash, trained):
        figures = dict.fromkeys(
            ("in_kind", "volunteer_days", "training_hours", "practice_changed", "female", "trainee_records"), 0
        ) | dict.fromkeys(("district_primary", "activities_ssl", "activities"), 0)
        figures |= {"partnership_id": pk, "main_activity": activity, "geography_class": geography}
        figures |= {"cash": cash, "trained": trained}
        return figures | impact.vfm_row(figures)

    rows = [row(1, "training", "north_south", 100, 10), row(2, "training", "north_south", 300, 10)]
    rows += [row(3, "training", "north_south", 900, 10), row(4, "training", "south_south", 50, 10)]
    monkeypatch.setattr(impact, "figures", lambda *args: rows)
    snapshot = engine.Snapshot(token=None, db=duckdb.connect())  # figures() is replaced: nothing is read
    data = vfm(snapshot, [1, 3, 4], [1, 2, 3, 4], None, None)
    medians = {r["partnership_id"]: r["comparison"]["medians"]["cost_per_trained"] for r in data["partnerships"]}
    assert medians == {1: 30, 3: 30, 4: 5}  # 10, 30, 90 in the first group; 5 alone in the second
    assert [r["comparison"]["partnerships"] for r in data["partnerships"]] == [3, 3, 1]


def test_value_for_money_page_shows_the_first_partnerships_and_points_to_the_csv(world, client_for, monkeypatch):  # noqa: F811
    from django.urls import reverse

    from healthlinks.web import analytics_views

    engine.clear()
    monkeypatch.setattr(analytics_views, "VFM_CARDS", 0)
    page = client_for(None).get(reverse("analytics-vfm")).content.decode()
    assert world["p"].name not in page and "The 1 other partnership is in the CSV download" in page
    csv_text = client_for(None).get(reverse("analytics-vfm"), {"format": "csv"}).content.decode()
    assert world["p"].name in csv_text
