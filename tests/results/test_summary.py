"""The partnership summary against a hand count: trainees, volunteer days, costs and in-kind value."""

from datetime import date

import pytest

from healthlinks.results.selectors import partnership_summary

pytestmark = pytest.mark.django_db


def test_summary_for_a_period_equals_the_hand_count(world):
    s = partnership_summary(world["p"], date(2022, 1, 1), date(2022, 12, 31))
    assert s["health_workers_trained"] == 5
    assert s["volunteer_days"] == 10 + 5 + 3
    assert s["activities"] == 1
    # 1,000,000 UGX at 0.0002 + 300 GBP; the KES cost has no rate and is reported, not guessed
    assert s["cost_total"] == "500.00" and s["missing_currency_rates"] == ["KES 2022"]
    # Alice: (10 days + 15 h / 7.5) x 200 GBP = 2400; Carol: 5 x 500 USD x 0.8 = 2000; Dave has no rate
    assert s["volunteer_time_value"] == "4400.00" and s["unvalued_volunteer_days"] == "3.0"
    assert s["in_kind_total"] == "5400.00"
    assert s["volunteer_time_methods"] == ["band_replacement", "custom"]


def test_summary_over_all_time_includes_earlier_records(world):
    s = partnership_summary(world["p"])
    assert s["volunteer_days"] == 25 and s["cost_total"] == "1499.00"


def test_the_api_serves_the_summary_with_a_period_filter(world, client):
    slug = world["p"].slug
    data = client.get(f"/api/v1/partnerships/{slug}/summary/?from=2022-01-01&to=2022-12-31").json()
    assert data["health_workers_trained"] == 5 and data["reporting_currency"] == "GBP"
    assert set(data) >= {
        "trainees_by_cadre",
        "trainees_by_sex",
        "volunteer_days",
        "activities",
        "cost_total",
        "in_kind_total",
    }
    assert client.get(f"/api/v1/partnerships/{slug}/summary/?from=last-year").status_code == 400


def test_the_partnership_page_shows_the_same_figures(world, client):
    page = client.get(f"/partnerships/{world['p'].slug}/").content.decode()
    summary = partnership_summary(world["p"])
    assert f"<strong>{summary['health_workers_trained']}</strong> health workers trained" in page
    assert "<strong>1,499.00 GBP</strong> cash costs" in page and summary["cost_total"] == "1499.00"
    assert "KES 2022" in page
