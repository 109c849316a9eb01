"""An admin answers an auditor's question in the browser: who read this participant's record."""

import csv
import io

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core import audit
from haven.core.models import AuditEntry
from haven.core.tests.browser import assert_accessible, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_finds_and_exports_who_read_a_participants_record(page, adam, sam, sue, participant):
    audit.record(sam, AuditEntry.Action.VIEW, participant, page="participant timeline")
    audit.record(sue, AuditEntry.Action.VIEW, participant, page="participant card")
    audit.record(sue, AuditEntry.Action.LOGIN, sue)
    log_in(page, "adam", PASSWORD)
    page.goto("/audit/")
    assert_accessible(page)
    page.get_by_label("Participant card code").fill(participant.display_code.lower())
    page.get_by_label("Action").select_option("view")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    # The unfiltered log adam opened first named the participant: a read of them too.
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("audit log")
    expect(rows.nth(1)).to_contain_text("participant card")
    expect(rows.nth(1)).to_contain_text(participant.display_code)
    expect(rows.nth(2)).to_contain_text("participant timeline")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these entries (CSV)").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [(row["Who"], row["Page"]) for row in exported] == [
        ("adam", "audit log"),  # the filtered page: looking the participant up
        ("adam", "audit log"),  # the unfiltered page that named them
        ("sue", "participant card"),
        ("sam", "participant timeline"),
    ]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, user=adam).count() == 1
