"""The overdose journey on a phone: a reversal at a contact, the refill, a published alert."""

import datetime
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.overdose.models import DrugAlert, NaloxoneDistribution, OverdoseReport

from .test_areas import report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reversal_at_a_contact_leads_to_a_refill_and_a_public_alert(
    page, sam, sue, downtown, participant, catalog, area
):
    # Sunny had a kit from us last month.
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=downtown,
            contact_type="fixed",
            participant=participant,
            supplies={catalog["naloxone"]: 1},
            occurred_at=timezone.now() - datetime.timedelta(days=30),
        ),
        staff=sam,
    )
    log_in(page, "sam", PASSWORD)
    page.goto(f"/outreach/log/participant/{participant.pk}/")
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("status")).to_have_text("Contact saved.")

    page.get_by_role("link", name="Report an overdose for this contact").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an overdose")
    expect(page.get_by_label("Area")).to_have_value(str(area.pk))
    expect(page.get_by_label("A participant")).to_be_checked()
    page.get_by_label("Naloxone doses given").fill("2")
    page.get_by_label("Where the naloxone came from").select_option(label="Our program")
    page.get_by_role("group", name="Emergency services called").get_by_label("Yes").check()
    page.get_by_label("Fentanyl", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Save report").tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("Naloxone handed out")
    expect(page.get_by_text("Refill: they have had naloxone from us before.")).to_be_visible()
    expect(page.get_by_label("Used it on someone")).to_be_checked()
    assert_accessible(page)
    page.get_by_role("button", name="Save naloxone details").tap()
    expect(page.get_by_role("status")).to_contain_text("Naloxone details saved.")

    report = OverdoseReport.objects.get()
    assert report.is_reversal and report.emergency_services_called is True
    detail = NaloxoneDistribution.objects.get()
    assert (detail.is_refill, detail.refill_reason, detail.doses) == (True, "used", 2)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    page.get_by_role("link", name="Write an alert").click()
    page.get_by_label("Title", exact=True).fill("Strong fentanyl downtown")
    page.get_by_label("What to look out for", exact=True).fill(
        "Several overdoses this week. Carry naloxone and don't use alone."
    )
    page.get_by_label("Urgent").check()
    page.get_by_label("Public").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save draft").tap()
    expect(page.get_by_role("status")).to_contain_text("A supervisor publishes it.")
    expect(page.get_by_role("button", name="Publish alert")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    log_in(page, "sue", PASSWORD)
    expect(page.get_by_role("link", name="1 draft alert to review")).to_be_visible()
    page.get_by_role("link", name="1 draft alert to review").click()
    page.get_by_role("link", name="Strong fentanyl downtown").click()
    page.get_by_role("button", name="Publish alert").tap()
    expect(page.get_by_role("status")).to_have_text("Alert published.")
    assert DrugAlert.objects.get().status == "published"
    page.get_by_role("button", name="Log out").click()

    page.goto("/public/alerts/")
    expect(page.get_by_role("heading", name="Strong fentanyl downtown")).to_be_visible()
    expect(page.get_by_text("Several overdoses this week.")).to_be_visible()
    assert_accessible(page)


def test_staff_overdose_pages_pass_axe(page, sam, area, downtown):
    log_in(page, "sam", PASSWORD)
    for url in (
        "/overdose/reports/",
        "/overdose/drug-checks/new/",
        "/overdose/drug-checks/",
        "/overdose/areas/",
    ):
        page.goto(url)
        assert_accessible(page)


def test_the_areas_small_multiples_are_accessible_on_a_phone(page, sue, area):
    for days in (0, 8, 15):
        report(area, days)
    log_in(page, "sue", PASSWORD)
    page.goto("/overdose/areas/")
    expect(
        page.get_by_role("img", name=f"Reported overdoses per week in {area.name}")
    ).to_be_visible()
    assert_accessible(page)
