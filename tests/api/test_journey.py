"""A year's record-keeping of one partnership through the API alone, starting from an empty partnership: two
volunteers, three stays, an activity delivered during one of them with 10 named and 5 counted trainees, the class's
test scores, a 3-month follow-up, a cash cost, an in-kind gift and TRN-01 with a target; the summary and the
results framework then show exactly those figures. Every record created is usable at once by the next call."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_a_year_of_record_keeping_through_the_api(client, make_user, make_partnership):
    coordinator = make_user("apicoord", "coordinator")
    p = make_partnership(name="Gulu Leeds Nursing", coordinator=coordinator)
    host = p.members.get(role="partner").institution
    token = Token.objects.create(user=coordinator).key

    def call(method, url, body=None, expect=201):
        response = getattr(client, method)(
            f"/api/v1/{url}", body, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}"
        )
        assert response.status_code == expect, (url, response.json())
        return response.json()

    volunteers = [
        call("post", "people/", {"partnership": p.slug, "role": "volunteer", "given_name": name, "cadre": "2221"})
        for name in ("Ann", "Ben")
    ]
    stays = [
        call(
            "post",
            "stays/",
            {
                "person": v["pseudo_id"],
                "partnership": p.slug,
                "host_institution": host.pk,
                "mode": "physical",
                "start_date": start,
                "end_date": end,
            },
        )  # fmt: skip
        for v, (start, end) in zip(
            [volunteers[0], volunteers[0], volunteers[1]],
            [("2024-02-01", "2024-02-14"), ("2024-09-01", "2024-09-10"), ("2024-03-01", "2024-05-31")],
            strict=True,
        )
    ]
    activity = call(
        "post", "activities/",
        {"partnership": p.slug, "title": "Neonatal resuscitation", "kind": "training_course", "mode": "in_person",
         "start_date": "2024-02-05", "end_date": "2024-02-06", "stays": [stays[0]["id"]],
         "facilitators": [volunteers[0]["pseudo_id"]]},
    )  # fmt: skip
    trainees = []
    for i in range(10):
        sex, cadre = "female" if i < 7 else "male", "2221" if i < 6 else "3221"
        body = {"partnership": p.slug, "role": "trainee", "given_name": f"T{i}", "cadre": cadre, "sex": sex}
        person = call("post", "people/", body)
        call(
            "post",
            "trainees/",
            {"activity": activity["id"], "person": person["pseudo_id"], "facility_level": "district"},
        )
        call("post", "assessments/", {"activity": activity["id"], "person": person["pseudo_id"],
                                      "pre_score": str(40 + i), "post_score": str(70 + i)})  # fmt: skip
        trainees.append(person)
    call("post", "aggregate-trainees/", {"activity": activity["id"], "cadre": "3221", "sex": "female",
                                         "facility_level": "primary", "count": 5})  # fmt: skip
    call("post", "outcomes/", {"activity": activity["id"], "person": trainees[0]["pseudo_id"], "level": 3,
                               "dimension": "practice", "practice_changed": True, "follow_up_months": 3,
                               "method": "observed", "recorded_on": "2024-05-06"})  # fmt: skip
    call("post", "costs/", {"partnership": p.slug, "category": "travel", "amount": "1240.50", "currency": "GBP",
                            "spent_on": "2024-01-20", "activity": activity["id"]})  # fmt: skip
    call("post", "in-kind/", {"partnership": p.slug, "kind": "donated_equipment", "value": "800", "currency": "GBP",
                              "received_on": "2024-02-05", "valuation_method": "invoice"})  # fmt: skip
    indicator = call(
        "post", "indicators/",
        {"partnership": p.slug, "result_level": 1, "result_title": "Skilled staff", "library_code": "TRN-01",
         "start": "2024-01-01", "end": "2024-12-31", "target": "20",
         "targets": [{"dimension": "sex", "category": "female", "target": "14"}]},
    )  # fmt: skip

    summary = call("get", f"partnerships/{p.slug}/summary/", expect=200)
    assert summary["health_workers_trained"] == 15  # 10 named + 5 counted
    assert summary["activities"] == 1 and summary["volunteer_days"] == 14 + 10 + 92
    assert (summary["cost_total"], summary["in_kind_total"]) == ("1240.50", "800.00")  # no day rates: time unvalued
    period = call("get", f"indicators/{indicator['id']}/", expect=200)["periods"][0]
    assert period["computed"] and Decimal(period["actual"]) == 15 and Decimal(period["target"]) == 20
    women = next(d for d in period["disaggregations"] if d["category"] == "female")
    assert Decimal(women["actual"]) == 12 and Decimal(women["target"]) == 14  # 7 named + 5 counted
    scores = call("get", f"assessments/?activity={activity['id']}", expect=200)["results"]
    assert len(scores) == 10 and all(Decimal(s["gain"]) == 30 for s in scores)
    followups = call("get", f"outcomes/?activity={activity['id']}", expect=200)["results"]
    assert [(o["level"], o["follow_up_months"], o["practice_changed"]) for o in followups] == [(3, 3, True)]
