"""A results framework kept on the web: an indicator corrected, a new year's period with its targets by sex and
cadre added, a period corrected or removed, an indicator deleted; each through results.services, with history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from healthlinks.results.models import Indicator, IndicatorDisaggregation, IndicatorPeriod, Result
from healthlinks.results.services import indicator_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def framework(network_world, client_for):
    w = network_world
    own = indicator_add(
        by=None, partnership=w["p"], result_level=2, result_title="Safer births", start=date(2023, 1, 1),
        end=date(2023, 12, 31), title="Partographs used", numerator=Decimal(3), denominator=Decimal(4),
    ).indicator  # fmt: skip
    trn = indicator_add(
        by=None, partnership=w["p"], result_level=1, result_title="Skilled staff", start=date(2023, 1, 1),
        end=date(2023, 12, 31), library_code="TRN-01", target=Decimal(10),
    ).indicator  # fmt: skip
    return {**w, "own": own, "trn": trn, "client": client_for(w["coordinator"])}


def test_a_new_years_period_with_targets_by_sex_and_cadre(framework):
    c, trn = framework["client"], framework["trn"]
    page = c.get(reverse("partnership-results", args=[framework["p"].slug])).content.decode()
    assert reverse("period-create", args=[trn.pk]) in page and reverse("indicator-edit", args=[trn.pk]) in page
    url = reverse("period-create", args=[trn.pk])
    assert 'name="actual"' not in c.get(url).content.decode()  # computed from the records: nothing to type
    body = {"start": "2024-01-01", "end": "2024-12-31", "target": "12", "target_female": "8",
            "target_cadre": "2221", "target_cadre_value": "5"}  # fmt: skip
    assert c.post(url, body).status_code == 302
    period = trn.periods.get(start=date(2024, 1, 1))
    assert period.target == 12 and period.history.get().history_user == framework["coordinator"]
    assert {(d.dimension, d.category, d.target) for d in IndicatorDisaggregation.objects.filter(period=period)} == {
        ("sex", "female", Decimal(8)),
        ("cadre", "2221", Decimal(5)),
    }
    r = c.post(url, {**body, "start": "2024-06-01", "end": "2025-05-31"})
    assert r.status_code == 200 and r.context["form"].errors["start"]  # overlaps 2024


def test_own_indicator_corrected_period_checked_and_deleted(framework):
    c, own = framework["client"], framework["own"]
    r = c.post(reverse("indicator-edit", args=[own.pk]), {"title": "Partographs completed", "unit": "%"})
    assert r.status_code == 302 and Indicator.objects.get(pk=own.pk).title == "Partographs completed"
    period = own.periods.get()
    r = c.post(
        reverse("period-edit", args=[period.pk]),
        {"start": "2023-01-01", "end": "2023-12-31", "numerator": "5", "denominator": "4"},
    )
    assert r.status_code == 200 and r.context["form"].errors["numerator"]
    assert IndicatorPeriod.objects.get(pk=period.pk).numerator == 3
    assert c.post(reverse("indicator-edit", args=[own.pk]), {"delete": "1"}).status_code == 302
    assert not Indicator.objects.filter(pk=own.pk).exists() and not Result.objects.filter(title="Safer births").exists()
    assert Indicator.history.filter(history_type="-").get().history_user == framework["coordinator"]
