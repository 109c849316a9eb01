"""Every field screen at the width of a small phone (360 px): nothing scrolls sideways,
every tap target is at least 44 px tall, and axe finds nothing (issue 17)."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from haven.core.tests.browser import PHONE, assert_accessible, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.overdose.actions import (
    DrugCheckData,
    OverdoseReportData,
    do_record_drug_check,
    do_record_overdose_report,
)
from haven.overdose.models import Area
from haven.resources.actions import do_make_referral, do_save_resource
from haven.resources.models import Resource
from haven.supplies.actions import do_receive_stock
from haven.supplies.models import StockLocation
from haven.training.actions import SessionData, do_add_attendee, do_record_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The narrowest phones in use (issue 17 asks for 360 px; the brief for 375).
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}

SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Buttons, fields and navigation links a thumb must hit; links inside running
# text are exempt (WCAG 2.5.8), as are hidden ones and the skip link.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    "button, input:not([type=hidden]), select, textarea, nav a, .button, .card-list li > a"
  )]
  .filter((el) => el.offsetParent !== null && !el.closest(".skip-link"))
  .filter((el) => {
    const box = el.getBoundingClientRect();
    // Radios and checkboxes are tapped through their label (or the pill around both).
    const target = el.matches("input[type=radio], input[type=checkbox]")
      ? el.closest("li, .check") || el.labels[0] || el : el;
    return target.getBoundingClientRect().height < 44 && box.height > 0;
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


@pytest.fixture
def shift(sam, sue, max_manager, adam, downtown, participant, catalog):
    """A few weeks of records, so that every table has rows with long content."""
    area = Area.objects.create(code="85281", name="85281 Downtown and the riverbank", kind="zip")
    contact = do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=downtown,
            contact_type="street",
            participant=participant,
            occurred_at=timezone.now(),
            note="Asked about housing",
        ),
        staff=sam,
    )[0]
    for hours in (2, 30, 80):
        do_record_overdose_report(
            OverdoseReportData(
                client_uuid=uuid.uuid4(),
                occurred_at=timezone.now() - datetime.timedelta(hours=hours),
                area=area,
                reported_by="participant",
                outcome="survived",
                naloxone_doses=2,
                note="",
            ),
            by=sam,
        )
    for method in ("fentanyl_strip", "xylazine_strip"):
        do_record_drug_check(
            DrugCheckData(
                client_uuid=uuid.uuid4(),
                checked_on=timezone.localdate(),
                area=area,
                site=downtown,
                sold_as="heroin",
                sample_form="powder",
                method=method,
                result="positive",
            ),
            by=sam,
        )
    bag = StockLocation.objects.create(name="Sam's bag", kind="bag", site=downtown, holder=sam)
    shelf = StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    for location in (bag, shelf):
        for item in (catalog["naloxone"], catalog["syringes"]):
            do_receive_stock(
                location=location,
                item=item,
                quantity=40,
                by=max_manager,
                lot_number="LOT-2026-000123456",
                expires_on=timezone.localdate() + datetime.timedelta(days=20),
            )
    resource = do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["counseling"],
        languages=["en"],
        spans=[],
    )
    referral = do_make_referral(
        participant=participant,
        resource=resource,
        need="counseling",
        by=sam,
        site=downtown,
        note="",
        follow_up_on=timezone.localdate(),
    )
    training = do_record_session(
        SessionData(
            client_uuid=uuid.uuid4(),
            topic="overdose_response",
            held_on=timezone.localdate(),
            audience="community",
            headcount=9,
            place="Public library on the riverbank",
            site=downtown,
        ),
        by=sam,
    )[0]
    do_add_attendee(training, client_uuid=uuid.uuid4(), by=sam, participant=participant)
    return {
        "training": training,
        "contact": contact,
        "report": contact,
        "bag": bag,
        "shelf": shelf,
        "resource": resource,
        "referral": referral,
    }


def field_screens(shift, participant):
    """(username, url) for every screen used in the field, and the six staff tables."""
    specialist = [
        reverse("outreach:quick_log"),
        reverse("outreach:quick_log_for", args=[participant.pk]),
        reverse("outreach:saved", args=[shift["contact"].pk]),
        reverse("outreach:offline"),
        reverse("participants:find"),
        reverse("participants:enroll"),
        reverse("participants:detail", args=[participant.pk]),
        reverse("overdose:reports"),
        reverse("overdose:report_new"),
        reverse("overdose:naloxone", args=[shift["contact"].pk]),
        reverse("overdose:drug_checks"),
        reverse("overdose:alerts"),
        reverse("supplies:my_bag"),
        reverse("resources:directory"),
        reverse("resources:detail", args=[shift["resource"].pk]),
        reverse("resources:follow_ups"),
        reverse("resources:refer_offline"),
        reverse("resources:referral", args=[shift["referral"].pk]),
        # The kept screens for a record's page opened with no signal, and naloxone details.
        reverse("participants:kept_timeline"),
        reverse("overdose:naloxone_offline"),
        reverse("training:attendance_offline"),
        reverse("training:session", args=[shift["training"].pk]),
    ]
    supervisor = [
        reverse("supplies:overview"),
        reverse("supplies:location", args=[shift["shelf"].pk]),
        reverse("overdose:areas"),
    ]
    admin = [reverse("core:audit_log") + "?days=30"]
    return (
        [("sam", url) for url in specialist]
        + [("sue", url) for url in supervisor]
        + [("adam", url) for url in admin]
    )


def test_no_field_screen_scrolls_sideways_and_every_target_is_big_enough(
    browser, live_server, shift, participant
):
    problems = []
    contexts = {}
    try:
        for username, url in field_screens(shift, participant):
            if username not in contexts:
                context = browser.new_context(
                    base_url=live_server.url, locale="en-US", service_workers="block", **SMALL_PHONE
                )
                context.set_default_timeout(5_000)
                contexts[username] = context.new_page()
                log_in(contexts[username], username, PASSWORD)
            page = contexts[username]
            response = page.goto(url)
            assert response.status == 200, f"{username} on {url}: {response.status}"
            overflow = page.evaluate(SIDEWAYS)
            if overflow > 0:
                problems.append(f"{url} scrolls sideways by {overflow} px")
            small = page.evaluate(SMALL_TARGETS)
            if small:
                problems.append(f"{url} has tap targets under 44 px: {small}")
            assert_accessible(page)
    finally:
        for page in contexts.values():
            page.context.close()
    assert not problems, "\n".join(problems)


def test_the_field_destinations_sit_at_the_thumb_on_a_phone(page, sam, downtown, catalog):
    from playwright.sync_api import expect

    log_in(page, "sam", PASSWORD)
    field_nav = page.get_by_role("navigation", name="Field")
    expect(field_nav.get_by_role("link")).to_have_text(
        ["Log", "People", "Resources", "My supplies", "More"]
    )
    field_nav.get_by_role("link", name="People").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a participant")
    expect(field_nav.get_by_role("link", name="People")).to_have_attribute("aria-current", "page")
    # The bar stays at the bottom of the screen, and Save is never under it.
    box = field_nav.bounding_box()
    assert box["y"] + box["height"] == PHONE["viewport"]["height"]
    field_nav.get_by_role("link", name="Log").tap()
    save = page.get_by_role("button", name="Save contact").bounding_box()
    assert save["y"] + save["height"] <= box["y"]
    # "More" opens the rest of the menu, at the top.
    field_nav.get_by_role("link", name="More").tap()
    expect(page.get_by_role("navigation", name="Main")).to_be_focused()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings")
    ).to_be_visible()


def test_a_desk_sized_screen_has_no_bottom_bar(page, sue, downtown):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, "sue", PASSWORD)
    expect(page.get_by_role("navigation", name="Field")).to_be_hidden()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Resources")
    ).to_be_visible()
