"""A chart's figures as a table written by the server: what a page shows where a chart cannot be drawn
(JavaScript off or failed) and what a screen-reader user reads instead of the drawing."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import translation

from healthlinks.web.templatetags.figures import SHOWN, figures


def _bars(n: int) -> dict:
    return {
        "title": "Trainees by cadre",
        "data": {"values": [{"cadre": f"Nurse {i}", "n": i + 0.256} for i in range(n)]},
        "layer": [
            {
                "mark": "bar",
                "encoding": {"x": {"field": "n", "type": "quantitative"}, "y": {"field": "cadre", "title": "Cadre"}},
            },
            {"mark": "text", "encoding": {"text": {"field": "n", "title": "Health workers"}}},
        ],
    }


def test_the_figures_are_the_charts_data_under_its_own_titles():
    html = figures(_bars(3))
    assert "<caption>Trainees by cadre</caption>" in html
    assert '<th scope="col">Cadre</th><th scope="col">Number</th>' in html  # the first title given to a field wins
    assert "<td>Nurse 2</td><td>2.26</td>" in html and '<details class="figures" open>' in html


@override_settings(USE_THOUSAND_SEPARATOR=True)
def test_numbers_follow_the_readers_language_and_long_data_are_cut_with_a_count():
    with translation.override("fr"):
        html = figures(_bars(SHOWN + 5))
    assert "<td>2,26</td>" in html and html.count("<tr>") == SHOWN + 1 and "5" in html.split("</table>")[1]


@pytest.mark.parametrize("spec", [{}, {"data": {"url": "world.json"}, "mark": "geoshape"}, {"data": {"values": []}}])
def test_a_chart_without_inline_data_has_no_table(spec):
    assert figures(spec) == ""


@pytest.mark.django_db
def test_the_dashboard_writes_its_charts_figures(client, make_partnership):
    make_partnership(name="Leeds Gulu")
    page = client.get("/").content.decode()
    assert page.count('class="figures"') >= 2 and 'class="no-js"' in page  # by geography, by specialty
