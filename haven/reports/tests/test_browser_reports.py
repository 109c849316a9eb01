"""A manager's quarterly naloxone report, in a real browser."""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from conftest import PASSWORD
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


def test_dashboard_on_a_phone_is_accessible(page, sue, program):
    log_in(page, "sue", PASSWORD)
    page.goto("/reports/dashboard/")
    expect(page.get_by_role("heading", name="Contacts and people")).to_be_visible()
    page.get_by_text("The numbers: Contacts and people").click()
    expect(page.get_by_role("table", name="Contacts and people")).to_be_visible()
    assert_accessible(page)
