"""API of trainees, assessments, outcomes, costs and results: who receives which rows."""

from datetime import date
from decimal import Decimal

import pytest

from healthlinks.activities.models import Activity
from healthlinks.activities.services import assessment_save, outcome_create
from healthlinks.results.services import indicator_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_world(world):
    activity = Activity.objects.get()
    assessment_save(by=None, activity=activity, person=world["bob"], pre_score=Decimal(50), post_score=Decimal(75))
    outcome_create(
        by=None,
        activity=activity,
        level=4,
        dimension="indicator",
        indicator="Sepsis deaths",
        value=Decimal(3),
        unit="per month",
        recorded_on=date(2022, 12, 1),
    )
    indicator_add(
        by=None,
        partnership=world["p"],
        result_level=1,
        result_title="Skills",
        library_code="TRN-01",
        start=date(2022, 1, 1),
        end=date(2022, 12, 31),
        target=Decimal(10),
    )
    return world


def _count(client, url):
    resp = client.get(url)
    assert resp.status_code == 200, (url, resp.content[:300])
    return resp.json()["count"]


def test_the_public_gets_counts_and_facility_outcomes_but_no_person_rows_or_costs(api_world, client):
    assert _count(client, "/api/v1/trainees/") == 0
    assert _count(client, "/api/v1/assessments/") == 0
    assert _count(client, "/api/v1/aggregate-trainees/") == 1
    outcomes = client.get("/api/v1/outcomes/").json()["results"]
    assert [o["level"] for o in outcomes] == [4] and outcomes[0]["person"] is None
    assert _count(client, "/api/v1/costs/") == 0


def test_a_researcher_sees_only_consenting_trainees(api_world, client_for, researcher):
    client = client_for(researcher)
    trainees = client.get("/api/v1/trainees/").json()["results"]
    assert trainees == []  # Bob and Dave did not consent
    assert _count(client, "/api/v1/costs/") == 4


def test_the_coordinator_sees_everything_of_the_partnership(api_world, client_for):
    client = client_for(api_world["coordinator"])
    assert _count(client, "/api/v1/trainees/") == 2
    assessment = client.get("/api/v1/assessments/").json()["results"][0]
    assert assessment["normalised_gain"] == 0.5 and assessment["person"] == api_world["bob"].pseudo_id
    assert _count(client, "/api/v1/costs/") == 4


def test_results_carry_computed_actuals(api_world, client):
    data = client.get(f"/api/v1/results/?partnership={api_world['p'].slug}").json()["results"]
    period = data[0]["indicators"][0]["periods"][0]
    assert period["computed"] and period["actual"] == "5" and period["target"] == "10.00"
