"""A manager imports a directory file and watches the background import finish."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.overdose.tests.test_tasks import run_worker
from haven.resources.models import ImportBatch, Resource

from .test_import import GOOD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_import_runs_in_the_background_and_the_page_follows_it(page, max_manager, tmp_path):
    upload = tmp_path / "clinics.csv"
    upload.write_text(GOOD)
    log_in(page, "max", PASSWORD)
    page.goto("/resources/import/")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Desert Clinic").first).to_be_visible()
    page.get_by_role("button", name="Import 2 new entries").click()

    # Queued: a progress bar, and no import button to press twice.
    expect(page.get_by_role("status")).to_contain_text("Waiting to start: 0 of 2 rows.")
    expect(page.get_by_role("button", name=re.compile("Import"))).to_have_count(0)
    assert_accessible(page)
    assert not Resource.objects.exists()

    run_worker()  # what `manage.py db_worker` does in production

    # The page notices by itself, and shows the outcome.
    expect(page.locator("#import-result")).to_contain_text("2")
    assert ImportBatch.objects.get().status == "done"
    assert Resource.objects.count() == 2
