"""Codes are shown as words: healthlinks.labels is the one place that turns them into labels, and the pages that
showed raw codes (typology, value for money, results, outcomes) now show the words."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from healthlinks import labels
from healthlinks.results.services import indicator_add

pytestmark = pytest.mark.django_db


def test_every_kind_of_code_has_its_labels():
    for kind in [*labels.CHOICES, *labels.TABLES]:
        found = labels.labels(kind)
        assert found and all(isinstance(v, str) and v for v in found.values()), kind
    assert labels.label("cadre", "2221") == "Nursing professionals"
    assert labels.label("country", "UGA") == "Uganda"
    assert labels.label("continuum_class", "short_stay") == "Short stay"
    assert labels.label("intervention", "training_infrastructure") == "Training + infrastructure strengthening"
    assert labels.label("sex", "") == "not recorded"
    assert labels.label("cadre", "9999") == "9999"  # unknown: shown as it is, never hidden
    with pytest.raises(KeyError):
        labels.labels("no such kind")


def test_pages_show_words_where_they_showed_codes(client, make_partnership):
    p = make_partnership(name="Gulu Leeds", intervention="training_infrastructure", skills="generic")
    indicator_add(
        by=None, partnership=p, result_level=1, result_title="Skilled staff", start=date(2024, 1, 1),
        end=date(2024, 12, 31), library_code="TRN-01", target=Decimal(10),
        targets_by={("cadre", "2221"): Decimal(4), ("sex", "female"): Decimal(6)},
    )  # fmt: skip
    typology = client.get("/analytics/typology/").content.decode()
    outside_the_filters = re.sub(r"<select.*?</select>", "", typology, flags=re.S)
    assert "Training + infrastructure strengthening" in typology
    assert "training_infrastructure" not in outside_the_filters  # the filter's option values stay codes
    results = client.get(f"/partnerships/{p.slug}/results/").content.decode()
    table = results.split('class="list compact results-table"')[1].split("</section>")[0]
    assert "Nursing professionals" in table and "Female" in table and ">2221<" not in table
    assert "Partnership (slug)" not in client.get("/analytics/impact/").content.decode()


def test_value_for_money_ratios_carry_their_unit(settings):
    from healthlinks.web.analytics_views import vfm_unit

    settings.HEALTHLINKS_REPORTING_CURRENCY = "GBP"
    assert vfm_unit({"key": "cost_per_trained", "value": 28.5, "median": 20.0}) == {"unit": "GBP"}
    assert vfm_unit({"key": "female_share", "value": 0.7, "median": None}) == {
        "value": pytest.approx(70.0),
        "median": None,
        "unit": "%",
    }
    assert vfm_unit({"key": "leverage", "value": 2.0, "median": 1.0})["unit"] == "per unit of cash"
