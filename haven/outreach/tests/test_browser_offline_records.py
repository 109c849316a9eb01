"""Every kind of record with no signal, at phone size (issue 17, issue 14 item 2): the
outbox sent from any field screen, refused records fixed on their own screen, the
participant's timeline, naloxone details and training attendance, each stored once."""

import datetime
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, go_online, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter
from haven.outreach.tests.test_browser_offline import (
    HOLDS_KEYS,
    WAIT_FOR_KEPT_PARTICIPANTS,
    WAIT_FOR_OFFLINE_CACHE,
    WHAT_IS_LEFT_ON_THE_PHONE,
    expect_the_log_screen_for,
    log_contact,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def keep_screens(page, *paths):
    page.goto("/outreach/log/")
    for path in ("/outreach/log/", *paths):
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, path), path


def ready(page, *paths):
    """Open the field app with signal, as a worker does before the shift."""
    keep_screens(page, *paths)
    assert page.evaluate(HOLDS_KEYS)


def make_area(name="85281 Downtown"):
    from haven.overdose.models import Area

    return Area.objects.create(code=name.split()[0], name=name, kind="zip")


def report_overdose(page, area):
    page.goto("/overdose/reports/new/")
    page.get_by_label("Area").select_option(label=area)
    page.get_by_label("A participant").check()
    page.get_by_role("button", name="Save report").tap()
    expect(page.locator("#report-kept")).to_be_focused()


def test_any_field_screen_sends_the_outbox_and_says_what_waits(page, sam, downtown, catalog):
    from haven.overdose.models import OverdoseReport

    make_area()
    log_in(page, "sam", PASSWORD)
    ready(page, "/overdose/reports/new/", "/static/overdose/offline_report.js")
    page.context.set_offline(True)
    report_overdose(page, "85281 Downtown")
    pending = page.locator("#outbox-pending")
    expect(pending).to_contain_text("Waiting to send: 1")
    assert_accessible(page)
    # Back online on the report screen itself: it sends, no need to open the log screen.
    go_online(page)
    expect(pending).to_contain_text("Sent: 1")
    assert OverdoseReport.objects.count() == 1
    page.goto("/resources/")
    expect(pending).to_be_hidden()
    assert OverdoseReport.objects.count() == 1


def test_a_refused_enrolment_is_fixed_with_another_code_and_its_contact_follows(
    page, sam, downtown, catalog
):
    from haven.outreach.tests.test_browser_offline_shift import enrol, ready_for_no_signal
    from haven.participants import codes
    from haven.participants.models import Participant, ReservedCardCode

    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    page.context.set_offline(True)
    code = enrol(page, "Robin")
    page.get_by_role("button", name="Log a contact for them").tap()
    expect_the_log_screen_for(page, code)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()

    # Meanwhile the code was used for someone else (e.g. the phone was restored from a backup).
    other = Participant.objects.create(alias="Other", created_by=sam, enrolled_site=downtown)
    ReservedCardCode.objects.filter(code=codes.normalise(code)).update(participant=other)
    go_online(page)
    problems = page.locator("#outbox-list > li.problem")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("was used already for someone else")
    # The contact is never stored on whoever else has that code.
    expect(problems.nth(1)).to_contain_text("fix the enrolment first")
    assert not Encounter.objects.exists()
    assert_accessible(page)

    problems.nth(0).get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enroll a participant")
    expect(page.get_by_label("Alias")).to_have_value("Robin")
    expect(page.get_by_role("alert")).to_contain_text("was used already for someone else")
    page.get_by_role("button", name="Enroll and make a card").tap()
    expect(page.locator("#enrolled-offline")).to_be_focused()
    new_code = page.locator("#enrolled-code").inner_text()
    assert new_code != code
    # Sent at once with signal, the contact behind it with the new code.
    expect(page.locator("#outbox-pending")).to_contain_text("Sent: 2")
    robin = Participant.objects.get(alias="Robin")
    assert robin.display_code == new_code
    assert Encounter.objects.get().participant == robin
    assert not other.encounters.exists()


def test_a_refused_referral_and_report_are_fixed_on_their_screens(
    page, sam, adam, downtown, participant, catalog
):
    from haven.overdose.models import Area, OverdoseReport
    from haven.participants import codes
    from haven.resources.actions import do_save_resource
    from haven.resources.models import Referral, Resource

    do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["buprenorphine"],
        languages=["en"],
        spans=[],
    )
    # A card Haven does not have (a record it no longer has answers the same).
    unknown = codes.format_code(codes.generate())
    closed = make_area("85283 Closed area")
    make_area("85281 Downtown")
    log_in(page, "sam", PASSWORD)
    ready(page, "/resources/referrals/new/", "/api/v1/resources", "/overdose/reports/new/")
    page.context.set_offline(True)
    page.goto("/resources/referrals/new/")
    page.get_by_label("Card code").fill(unknown)
    page.get_by_label("Need").select_option(label="Buprenorphine")
    page.get_by_label("Resource").select_option(label="Desert Bupe Clinic")
    page.get_by_role("button", name="Make the referral").tap()
    expect(page.locator("#referral-kept")).to_be_focused()
    report_overdose(page, "85283 Closed area")

    # Meanwhile the area was removed from the program's list.
    closed.delete()
    page.goto("/outreach/log/")
    go_online(page)
    problems = page.locator("#outbox-list > li.problem")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text(f"No participant has the card code {unknown}")

    problems.nth(0).get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a referral")
    expect(page.get_by_role("alert")).to_contain_text("No participant has the card code")
    expect(page.get_by_label("Resource")).to_have_value(str(Resource.objects.get().pk))
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_role("button", name="Make the referral").tap()
    expect(page.locator("#referral-kept")).to_be_focused()
    expect(page.locator("#outbox-pending")).to_contain_text("Needs your attention: 1")

    page.get_by_role("link", name="See what waits").tap()
    page.locator("#outbox-list > li.problem").get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report an overdose")
    expect(page.get_by_label("A participant")).to_be_checked()
    page.get_by_label("Area").select_option(label="85281 Downtown")
    page.get_by_role("button", name="Save report").tap()
    expect(page.locator("#report-kept")).to_be_focused()
    # Sent at once, from the report screen: nothing waits any more.
    expect(page.locator("#outbox-pending")).to_contain_text("Sent: 1")
    assert Referral.objects.get().participant == participant
    report = OverdoseReport.objects.get()
    assert (report.area.name, report.reported_by) == ("85281 Downtown", "participant")
    assert Area.objects.count() == 1


def test_the_timeline_with_no_signal_shows_the_kept_contacts_and_what_waits(
    page, sam, downtown, participant, catalog
):
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=downtown,
            contact_type="street",
            participant=participant,
            occurred_at=timezone.now() - datetime.timedelta(days=2),
            supplies={catalog["syringes"]: 20},
            services=[catalog["support"]],
            note="Secret note",
        ),
        staff=sam,
    )
    log_in(page, "sam", PASSWORD)
    ready(page, "/participants/kept/", "/api/v1/services")
    # The kept participants are sealed on the phone, not in the page cache.
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)
    page.context.set_offline(True)
    page.goto("/participants/")
    page.get_by_label("Card code, UIC or alias").fill("Sun")
    page.get_by_role("button", name="Find").tap()
    page.get_by_role("link", name=f"Timeline of {participant.display_code}").tap()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"{participant.display_code} · Sunny")
    contacts = page.locator("#timeline-contacts > li")
    expect(contacts).to_have_count(1)
    expect(contacts.first).to_contain_text("Street")
    expect(contacts.first).to_contain_text("20 × Syringes 1cc")
    expect(contacts.first).to_contain_text("Emotional support")
    expect(page.locator("main")).not_to_contain_text("Secret note")
    assert_accessible(page)

    page.get_by_role("button", name="Log a contact").tap()
    expect(page.locator("#logging-for")).to_contain_text(participant.display_code)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    page.goto(f"/participants/{participant.pk}/")
    expect(contacts).to_have_count(2)
    expect(contacts.first).to_contain_text("Not sent yet")
    expect(contacts.first).to_contain_text("1 × Naloxone nasal spray")

    go_online(page)
    expect(page.locator("#outbox-pending")).to_contain_text("Sent: 1")
    assert participant.encounters.count() == 2


def test_naloxone_details_made_with_no_signal_are_stored_once(
    page, sam, downtown, participant, catalog
):
    from haven.overdose.models import NaloxoneDistribution

    # Sunny had naloxone before: this one is a refill.
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=downtown,
            contact_type="street",
            participant=participant,
            occurred_at=timezone.now() - datetime.timedelta(days=20),
            supplies={catalog["naloxone"]: 1},
        ),
        staff=sam,
    )
    log_in(page, "sam", PASSWORD)
    ready(page, "/overdose/naloxone/", "/api/v1/items", "/api/v1/kits")
    page.context.set_offline(True)
    log_contact(page, card_code=participant.display_code, naloxone=2)
    page.get_by_role("button", name="Naloxone details").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Naloxone: first kit or refill")
    expect(page.get_by_role("group", name="2 × Naloxone nasal spray")).to_be_visible()
    expect(page.get_by_label("Nasal spray")).to_be_checked()
    page.get_by_label("If a refill, why").select_option(label="Lost")
    assert_accessible(page)
    page.get_by_role("button", name="Save naloxone details").tap()
    expect(page.locator("#naloxone-kept")).to_be_focused()

    page.goto("/outreach/log/")
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    expect(page.locator("#outbox-list")).to_contain_text("Naloxone details, contact of")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    latest = Encounter.objects.latest("occurred_at")
    [detail] = NaloxoneDistribution.objects.filter(encounter=latest)
    assert (detail.kits, detail.doses, detail.is_refill, detail.refill_reason) == (
        2,
        4,
        True,
        "lost",
    )


def make_training(sam, downtown):
    from haven.training.actions import SessionData, do_record_session

    data = SessionData(
        client_uuid=uuid.uuid4(),
        topic="overdose_response",
        held_on=timezone.localdate(),
        audience="community",
        headcount=3,
        place="",
        site=downtown,
    )
    return do_record_session(data, by=sam)[0]


def test_training_attendance_listed_with_no_signal_is_stored_once(
    page, sam, downtown, participant, catalog
):
    session = make_training(sam, downtown)
    log_in(page, "sam", PASSWORD)
    ready(page, "/training/sessions/kept/", "/static/training/offline_attendance.js")
    page.goto(f"/training/sessions/{session.pk}/")
    page.context.set_offline(True)
    # The page opened again in the room with no signal: the phone's kept screen.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Training attendance")
    page.get_by_label("Card code (a participant)").fill(participant.display_code)
    page.get_by_role("button", name="List attendee").tap()
    kept = page.locator("#attendance-kept")
    expect(kept).to_have_text("Attendee saved on this phone. It will be sent when there is signal.")
    expect(kept).to_be_focused()
    page.get_by_label("Name for a certificate").fill("Alex Rivera")
    page.get_by_role("button", name="List attendee").tap()
    expect(page.get_by_role("alert")).to_have_text(
        "A name is kept only when the person agrees to a named certificate."
    )
    page.get_by_label("They want a certificate").check()
    page.get_by_role("button", name="List attendee").tap()
    page.get_by_label("People present").fill("15")
    page.get_by_role("button", name="Save the headcount").tap()
    expect(page.locator("#attendance-waiting > li")).to_have_count(3)
    assert_accessible(page)
    assert not session.attendees.exists()

    go_online(page)
    expect(page.locator("#attendance-waiting-box")).to_be_hidden()
    session.refresh_from_db()
    assert session.headcount == 15
    assert {(a.participant, a.name) for a in session.attendees.all()} == {
        (participant, ""),
        (None, "Alex Rivera"),
    }


def test_haven_stopped_in_the_middle_of_a_sync_stores_each_kind_of_record_once(
    browser, transactional_db, settings, sam, adam, downtown, participant, catalog
):
    from haven.core.tests.browser import PHONE
    from haven.outreach.tests.test_browser_offline import start_haven
    from haven.outreach.tests.test_browser_offline_shift import enrol, ready_for_no_signal
    from haven.overdose.models import OverdoseReport
    from haven.participants.models import Participant
    from haven.resources.actions import do_save_resource
    from haven.resources.models import Referral, Resource
    from haven.training.models import Attendee

    make_area()
    do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["buprenorphine"],
        languages=["en"],
        spans=[],
    )
    session = make_training(sam, downtown)
    settings.ALLOWED_HOSTS = ["localhost"]
    server = start_haven()
    port = server.port
    context = browser.new_context(base_url=f"http://localhost:{port}", locale="en-US", **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    stopped = []

    def stop_haven_before_it_answers(route):
        route.fetch()  # Haven stores the batch...
        server.terminate()  # ...and stops before the phone hears back.
        stopped.append(True)
        route.abort("connectionrefused")

    def stored():
        return {
            "enrolled": Participant.objects.filter(alias="Robin").count(),
            "reports": OverdoseReport.objects.count(),
            "referrals": Referral.objects.count(),
            "attendees": Attendee.objects.count(),
        }

    try:
        log_in(page, "sam", PASSWORD)
        ready_for_no_signal(page)
        ready(page, "/overdose/reports/new/", "/resources/referrals/new/", "/api/v1/resources")
        page.goto(f"/training/sessions/{session.pk}/")
        context.set_offline(True)
        page.get_by_label("Card code (a participant)").fill(participant.display_code)
        page.get_by_role("button", name="List attendee").tap()
        expect(page.locator("#attendance-kept")).to_be_focused()
        enrol(page, "Robin")
        report_overdose(page, "85281 Downtown")
        page.goto("/resources/referrals/new/")
        page.get_by_label("Card code").fill(participant.display_code)
        page.get_by_label("Need").select_option(label="Buprenorphine")
        page.get_by_label("Resource").select_option(label="Desert Bupe Clinic")
        page.get_by_role("button", name="Make the referral").tap()
        expect(page.locator("#referral-kept")).to_be_focused()
        expect(page.locator("#outbox-pending")).to_contain_text("Waiting to send: 4")

        page.route("**/api/v1/sync", stop_haven_before_it_answers, times=1)
        go_online(page)
        for _ in range(100):
            if stopped:
                break
            page.wait_for_timeout(100)
        assert stopped
        assert stored() == {"enrolled": 1, "reports": 1, "referrals": 1, "attendees": 1}

        # Haven back (a connection the stopped server kept open may even have
        # taken a resend already): the phone sends all four again, and each is
        # stored once.
        server = start_haven(port)
        page.goto("/outreach/log/")
        left = None
        for _ in range(100):
            left = page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)["records"]
            if not left:
                break
            page.wait_for_timeout(100)
        assert left == 0
        assert stored() == {"enrolled": 1, "reports": 1, "referrals": 1, "attendees": 1}
    finally:
        context.close()
        server.terminate()


def test_each_field_screen_keeps_what_was_typed_when_the_phone_cannot_keep_records_yet(
    page, sam, downtown, participant, catalog
):
    make_area()
    session = make_training(sam, downtown)
    # Signal lost before the phone was handed its keys after signing in.
    page.route("**/api/v1/field-keys", lambda route: route.abort("internetdisconnected"))
    log_in(page, "sam", PASSWORD)
    keep_screens(page, "/overdose/reports/new/", "/static/overdose/offline_report.js")
    assert not page.evaluate(HOLDS_KEYS)
    page.context.set_offline(True)
    page.goto("/overdose/reports/new/")
    page.get_by_label("Area").select_option(label="85281 Downtown")
    page.get_by_label("A participant").check()
    page.get_by_role("button", name="Save report").tap()
    expect(page.get_by_role("alert")).to_contain_text("Not kept on this phone")
    expect(page.locator("#report-kept")).to_be_hidden()
    expect(page.get_by_label("A participant")).to_be_checked()

    go_online(page)
    keep_screens(page, "/training/sessions/kept/", "/static/training/offline_attendance.js")
    page.goto(f"/training/sessions/{session.pk}/")
    page.context.set_offline(True)
    page.reload()
    page.get_by_label("Card code (a participant)").fill(participant.display_code)
    page.get_by_role("button", name="List attendee").tap()
    expect(page.get_by_role("alert")).to_contain_text("Not kept on this phone")
    expect(page.locator("#attendance-kept")).to_be_hidden()
    expect(page.get_by_label("Card code (a participant)")).to_have_value(participant.display_code)
    assert page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)["records"] == 0
