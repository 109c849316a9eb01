"""A manager's quarterly naloxone report and the dashboard, in a real browser."""

import datetime
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core import charts
from haven.core.tests.browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_opens_the_naloxone_report_filters_a_site_and_downloads_xlsx(
    page, max_manager, program, eastside
):
    log_in(page, "max", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Naloxone program quarterly report").click()
    page.get_by_text("Period and filters").click()
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Month (1–12) or quarter (1–4)").fill("1")
    page.get_by_role("button", name="Show").click()
    nasal = page.get_by_role("table", name="Naloxone nasal spray")
    expect(nasal.get_by_role("row", name="All kits 4")).to_be_visible()
    assert_accessible(page)

    page.get_by_text("Period and filters").click()
    page.get_by_label("Site").select_option(label="Eastside")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("p.meta")).to_contain_text("Eastside")
    expect(nasal.get_by_role("row", name="All kits 0")).to_be_visible()
    injectable = page.get_by_role("table", name="Naloxone injectable")
    expect(injectable.get_by_role("row", name="First kits 1")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download XLSX").click()
    download = download_info.value
    assert download.suggested_filename == "haven-naloxone-2026-01-01-2026-03-31.xlsx"
    with open(download.path(), "rb") as downloaded:
        sheet = load_workbook(io.BytesIO(downloaded.read())).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0]]
    assert ("All kits", 1) in rows  # injectable, Eastside only
    assert ("Filters", "Eastside") in rows


def shown_charts(page):
    """For each chart: the picture drawn (desk or phone), its width on the screen, and
    where the period's numbers sit relative to it."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".chart-panel")].map((panel) => {
          const img = panel.querySelector(".chart img");
          const source = panel.querySelector(".chart source");
          const chart = img.getBoundingClientRect();
          const figures = panel.querySelector(".figures.now").getBoundingClientRect();
          return {
            phone: img.currentSrc === new URL(source.srcset, location.href).href,
            loaded: img.complete && img.naturalWidth > 0,
            width: chart.width,
            beside: figures.left >= chart.right,
            below: figures.top >= chart.bottom,
          };
        })"""
    )


def pin_the_clock(monkeypatch):
    # The program's contacts are in early 2026; seen on 20 March 2026, March is partial.
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args: datetime.date(2026, 3, 20))


def test_dashboard_on_a_phone_is_legible_and_accessible(page, sue, program, monkeypatch):
    pin_the_clock(monkeypatch)
    log_in(page, "sue", PASSWORD)
    drawings = []
    page.on(
        "requestfinished",
        lambda request: "/reports/dashboard/chart/" in request.url and drawings.append(request),
    )
    page.goto("/reports/dashboard/")
    expect(page.get_by_role("heading", name="Contacts and people")).to_be_visible()
    page.wait_for_load_state("load")
    expect(page.get_by_text("The last point, 2026-03 (so far), is partial")).to_be_visible()
    expect(page.locator(".figures.now dt").first).to_have_text("Contacts, 2026-03 (so far)")
    shown = shown_charts(page)
    assert len(shown) == 4
    # Only the phone's drawings were fetched, one a chart.
    assert len(drawings) == 4 and all(chart["loaded"] for chart in shown)
    for chart in shown:
        # The phone drawing, shown at about its own width: its text stays page-sized.
        assert chart["phone"] and chart["below"]
        scale = chart["width"] / charts.SIZES["phone"]["width"]
        assert charts.SIZES["phone"]["text"] * scale >= 12
    page.get_by_text("The numbers: Contacts and people").click()
    expect(page.get_by_role("table", name="Contacts and people")).to_be_visible()
    assert_accessible(page)


def test_dashboard_on_a_desk_has_large_charts_with_their_numbers_beside(
    browser, live_server, max_manager, program, monkeypatch
):
    pin_the_clock(monkeypatch)
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    log_in(page, "max", PASSWORD)
    page.goto("/reports/dashboard/")
    expect(page.get_by_role("heading", name="Naloxone and reversals")).to_be_visible()
    page.wait_for_load_state("load")
    for chart in shown_charts(page):
        assert not chart["phone"] and chart["beside"] and chart["loaded"]
        assert chart["width"] >= 0.85 * charts.SIZES["desk"]["width"]
    assert_accessible(page)
    context.close()


def periods_offered(page):
    return page.eval_on_selector_all(
        "select[name=period] option:not([disabled]):not([hidden])", "os => os.map(o => o.value)"
    )


def test_analyst_is_offered_quarters_only(page, ana, program):
    log_in(page, "ana", PASSWORD)
    page.goto("/reports/ssp/")
    page.get_by_text("Period and filters").click()
    assert periods_offered(page) == ["quarter"]
    expect(page.get_by_label("Quarter (1–4)")).to_be_visible()
    expect(page.get_by_label("From")).to_have_count(0)
    expect(
        page.get_by_text("With small counts hidden, a report covers one quarter.")
    ).to_be_visible()
    assert_accessible(page)


def test_manager_hiding_small_counts_is_offered_quarters_only(page, max_manager, program):
    log_in(page, "max", PASSWORD)
    page.goto("/reports/ssp/?period=year&year=2026")
    page.get_by_text("Period and filters").click()
    assert periods_offered(page) == ["month", "quarter", "year", "custom"]
    page.get_by_label("Hide small counts (for sharing outside the program)").check()
    assert periods_offered(page) == ["quarter"]
    expect(page.get_by_label("Period")).to_have_value("quarter")
    expect(page.get_by_label("From")).to_be_hidden()
    assert_accessible(page)
    page.get_by_label("Month (1–12) or quarter (1–4)").fill("1")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("p.meta")).to_contain_text("From 2026-01-01 to 2026-03-31")
    expect(page.locator(".figures-status")).to_be_visible()

    # Exact figures, for use inside the program, come for any period again.
    page.get_by_text("Period and filters").click()
    page.get_by_label("Hide small counts (for sharing outside the program)").uncheck()
    assert periods_offered(page) == ["month", "quarter", "year", "custom"]
    page.get_by_label("Period").select_option("custom")
    expect(page.get_by_label("From")).to_be_visible()


def test_manager_asks_for_a_revised_release_after_late_changes(page, max_manager, quarter, catalog):
    from .test_released_figures import late_edits

    log_in(page, "max", PASSWORD)
    page.goto("/reports/ssp/?period=quarter&year=2026&number=1&suppress=on")
    expect(page.get_by_text("Figures as released on")).to_be_visible()
    expect(page.get_by_role("button", name="Ask for a revised release")).to_have_count(0)
    late_edits(quarter, catalog)
    page.reload()
    expect(page.get_by_text("do not include those late changes")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ask for a revised release").click()
    expect(page.get_by_text("A revised release of this period is made")).to_be_visible()
    expect(page.get_by_text("Figures as revised on")).to_be_visible()
    expect(page.get_by_role("button", name="Ask for a revised release")).to_have_count(0)
    assert_accessible(page)
