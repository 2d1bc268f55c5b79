"""A hub analyst opens the collective-impact dashboard, filters it to one country, downloads a chart as SVG
and the programme's PDF report."""

import pytest

from healthlinks.accounts.models import Role
from healthlinks.analytics import engine
from tests.browser.conftest import shot
from tests.browser.test_registry_flow import _login
from tests.results.conftest import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_filter_the_dashboard_and_download_a_chart_and_the_report(
    live_server,
    page_factory,
    make_user,
    make_partnership,
    world,  # noqa: F811
    settings,
    tmp_path,
):
    settings.TASKS_EAGER = True  # the report is made during the click (no worker thread in this test)
    settings.VAR_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = tmp_path / "media"
    engine.clear()
    make_user("analyst", Role.HUB_ADMIN)
    elsewhere = make_partnership(name="Accra Oslo Surgery Partnership", countries=("NOR", "GHA"))
    base = live_server.url
    page = page_factory()
    _login(page, base, "analyst")

    page.goto(f"{base}/analytics/impact/")
    table = page.locator("section.card", has_text="Partnerships behind these figures")
    assert elsewhere.name in table.inner_text() and world["p"].name in table.inner_text()
    page.select_option("select[name=country]", "UGA")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**country=UGA**")
    table = page.locator("section.card", has_text="Partnerships behind these figures")
    assert world["p"].name in table.inner_text() and elsewhere.name not in table.inner_text()
    page.wait_for_selector("[data-spec=trend-spec] svg, [data-spec=trend-spec] canvas")
    shot(page, "desk_impact_uganda")

    # the chart's own menu (vega-embed) saves it as SVG
    chart = page.locator(".chart[data-spec=trend-spec]")
    chart.locator("details summary").click()
    with page.expect_download() as svg_download:
        chart.get_by_text("Save as SVG").click()
    svg = tmp_path / "trend.svg"
    svg_download.value.save_as(svg)
    assert svg.read_text().lstrip().startswith("<svg") and "health workers trained" in svg.read_text()

    # one click: the report of the filtered partnerships
    page.click("button[name=format][value=pdf]")
    page.wait_for_url("**/tasks/*/")
    page.wait_for_selector("#task-download:not([hidden]) a")
    assert "done" in page.inner_text("#task-state")
    with page.expect_download() as pdf_download:
        page.click("#task-download a")
    pdf = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    shot(page, "desk_report_task")
    assert page.errors == []
