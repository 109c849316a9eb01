"""A manager imports a county's EMS calls on the web page: preview, then confirm."""

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.overdose.models import OverdoseReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALLS = (
    b"year,incident_date,narcan_given,latitude,longitude\n"
    b"2021,2021-06-22,TRUE,33.4196,-111.8904\n"
    b"2021,2021-06-23,NA,33.4297,-111.9334\n"
)


def test_a_manager_previews_and_imports_ems_calls(page, max_manager):
    log_in(page, "max", PASSWORD)
    page.goto("/overdose/reports/")
    page.get_by_role("link", name="Import incident records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import incident records")
    assert_accessible(page)

    page.get_by_label("CSV file").set_input_files(
        {"name": "county-ems.csv", "mimeType": "text/csv", "buffer": CALLS}
    )
    page.get_by_label("Source").fill("County EMS")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("table")).to_contain_text("Grid 33.40, -111.90")
    assert_accessible(page)
    assert not OverdoseReport.objects.exists()

    page.get_by_role("button", name="Import 2 records").click()
    expect(page.get_by_role("status")).to_contain_text("2 reports imported from County EMS")
    assert OverdoseReport.objects.filter(source="County EMS").count() == 2
