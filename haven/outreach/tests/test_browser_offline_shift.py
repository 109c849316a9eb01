"""A shift with no signal on every field screen, at phone size (issue 17)."""

import re
import time

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import WAIT_MS, assert_accessible, go_online, log_in
from haven.outreach.models import Encounter
from haven.outreach.tests.test_browser_offline import (
    HOLDS_KEYS,
    WAIT_FOR_KEPT_PARTICIPANTS,
    WAIT_FOR_OFFLINE_CACHE,
    expect_the_log_screen_for,
    go_offline_when_ready,
    log_contact,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEPT_PAGE_TEXT = """async (path) => {
  const cached = await caches.match(path);
  return cached ? await cached.text() : "";
}"""

CLOCK_FIVE_HOURS_AHEAD = """
(() => {
  const RealDate = Date;
  const AHEAD = 5 * 3600 * 1000;
  class PhoneDate extends RealDate {
    constructor(...args) {
      super(...(args.length ? args : [RealDate.now() + AHEAD]));
    }
    static now() {
      return RealDate.now() + AHEAD;
    }
  }
  globalThis.Date = PhoneDate;
})();
"""

IN_VIEW = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


def test_the_no_signal_page_is_styled_and_in_the_language_the_worker_chose(
    page, sam, downtown, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/offline/")
    # Spanish chosen after the phone kept its screens in English: they are kept again.
    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    # Until they are, the phone shows its English "No signal" page: wait for the
    # Spanish one as long as any step may wait, and say so if it never comes.
    deadline = time.monotonic() + WAIT_MS / 1000
    while "Sin señal" not in page.evaluate(KEPT_PAGE_TEXT, "/outreach/offline/"):
        assert time.monotonic() < deadline, "the kept screens were not fetched again in Spanish"
        page.wait_for_timeout(100)

    page.context.set_offline(True)
    page.goto("/overdose/alerts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sin señal")
    expect(page.get_by_text("Nada de lo que guardó se pierde")).to_be_visible()
    # Haven's own stylesheet and header, not a bare page.
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).display") == "flex"
    assert_accessible(page)
    page.get_by_role("link", name="Registrar un contacto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar un contacto")


def test_the_form_stays_put_while_the_phone_gets_ready(page, sam, downtown, participant, catalog):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    readiness = page.locator("#offline-ready")
    expect(readiness).to_have_text("This phone is ready to work without signal.")
    more = page.get_by_role("button", name="One more Naloxone nasal spray")
    ready_at = more.bounding_box()
    # What the line said while the worker started on the form (keys on their way).
    page.evaluate(
        """() => {
          const messages = JSON.parse(document.getElementById("offline-messages").textContent);
          document.getElementById("offline-ready").textContent = messages.offline_preparing;
        }"""
    )
    expect(readiness).to_have_text("Getting this phone ready to work without signal…")
    assert abs(more.bounding_box()["y"] - ready_at["y"]) < 1  # not a line's jump


def test_a_contact_saved_offline_is_confirmed_where_the_worker_is_looking(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    # The worker goes where there is no signal once the phone says it is ready.
    expect(page.locator("#offline-ready")).to_have_text(
        "This phone is ready to work without signal."
    )
    page.context.set_offline(True)
    # Save stays within reach at the bottom of the screen, however long the form.
    assert page.evaluate(IN_VIEW, "#quick-log button[type=submit]")
    log_contact(page, card_code=participant.display_code, naloxone=1)
    status = page.locator("#outbox-status")
    # The outbox tries to send at once; with no signal it says so, in the same place.
    expect(status).to_have_text(
        re.compile(r"^(Saved on this phone|No signal: contacts wait on this phone)")
    )
    expect(status).to_be_focused()
    assert page.evaluate(IN_VIEW, "#outbox-status")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get().participant == participant


def test_a_phone_that_never_had_its_keys_keeps_what_was_typed_and_says_why(
    page, sam, downtown, participant, catalog
):
    # Signal lost before the phone was handed its keys after signing in.
    page.route("**/api/v1/field-keys", lambda route: route.abort("internetdisconnected"))
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    # Its screens kept, the phone still does not tell the worker it is ready.
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/log/")
    page.reload()
    expect(page.locator("#offline-ready")).to_have_text(re.compile("^Not everything is kept"))
    page.context.set_offline(True)
    log_contact(page, card_code=participant.display_code, naloxone=1)
    refusal = page.locator("#offline-form-error")
    expect(refusal).to_contain_text("Not kept on this phone")
    expect(refusal).to_be_in_viewport()
    # Still the form, not a browser error page, with what was typed in it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_have_count(0)

    page.unroute("**/api/v1/field-keys")
    page.context.set_offline(False)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.locator("main .messages")).to_contain_text("Contact saved.")
    assert Encounter.objects.get().participant == participant


# The phone's storage is full: IndexedDB refuses the outbox's writes.
OUTBOX_STORAGE_FULL = """
(() => {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (this.name === "outbox") throw new DOMException("full", "QuotaExceededError");
    return put.apply(this, args);
  };
})();
"""


def test_a_phone_whose_storage_is_full_says_so_and_keeps_what_was_typed(
    page, sam, downtown, participant, catalog
):
    page.add_init_script(OUTBOX_STORAGE_FULL)
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    expect(page.locator("#offline-ready")).to_have_text(
        "This phone is ready to work without signal."
    )
    page.context.set_offline(True)
    log_contact(page, card_code=participant.display_code)
    expect(page.locator("#offline-form-error")).to_contain_text("the browser refused to store it")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    assert not Encounter.objects.exists()


def test_a_contact_saved_with_signal_is_confirmed_at_the_top_of_the_saved_page(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    log_contact(page, card_code=participant.display_code)
    confirmation = page.locator("main .messages")
    expect(confirmation).to_contain_text("Contact saved.")
    expect(confirmation).to_be_focused()
    assert page.evaluate(IN_VIEW, "main .messages")


def test_a_participant_found_with_no_signal_gets_the_contact_once(
    page, sam, olga, downtown, eastside, participant, catalog
):
    from haven.core.models import AuditEntry
    from haven.participants.models import Participant

    # Someone enrolled at Sam's site (kept on his phone), someone of the other site (not).
    river = Participant.objects.create(alias="River", created_by=sam, enrolled_site=downtown)
    Participant.objects.create(alias="Rivet", created_by=olga, enrolled_site=eastside)
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/participants/")
    # Downloading the kept set is a read of each participant in it.
    kept_reads = AuditEntry.objects.filter(page="API participants kept on the phone", user=sam)
    assert {entry.participant for entry in kept_reads} == {river, participant}

    page.context.set_offline(True)
    page.goto("/participants/")
    search = page.get_by_label("Card code, UIC or alias")
    search.fill("riv")
    page.get_by_role("button", name="Find").tap()
    results = page.locator("#offline-results")
    expect(results).to_contain_text("searched among the participants kept on this phone")
    expect(results.locator("li")).to_have_count(1)
    expect(results).to_contain_text(f"{river.display_code} · River")
    assert_accessible(page)

    # A card code with a typo is caught on the phone too.
    code = participant.card_code
    search.fill(code[:-1] + ("2" if code[-1] != "2" else "3"))
    page.get_by_role("button", name="Find").tap()
    expect(results).to_contain_text("it has a typo")
    search.fill(participant.card_code.lower())
    page.get_by_role("button", name="Find").tap()
    expect(results).to_contain_text(f"{participant.display_code} · Sunny")
    page.get_by_role("button", name=f"Log a contact for {participant.display_code}").tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    expect(page.locator("#logging-for")).to_contain_text(f"Sunny · {participant.display_code}")
    expect(page.get_by_label("Card code")).to_have_value(participant.display_code)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    # The form is ready for the next person: nobody is chosen any more.
    expect(page.locator("#logging-for")).to_be_hidden()
    assert not Encounter.objects.exists()

    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    encounter = Encounter.objects.get()
    assert encounter.participant == participant
    assert {line.item.name: line.quantity for line in encounter.supplies.all()} == {
        "Naloxone nasal spray": 1
    }


HELD_CODES = "(user) => JSON.parse(localStorage.getItem(`haven-card-codes:${user}`) || '[]')"


def ready_for_no_signal(page):
    """Open the field app with signal, as a worker does before the shift."""
    page.goto("/outreach/log/")
    for path in ("/outreach/log/", "/participants/new/", "/static/participants/offline_enroll.js"):
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, path)
    assert page.evaluate(HOLDS_KEYS)
    for _ in range(50):
        if len(page.evaluate(HELD_CODES, "sam")) == 10:
            break
        page.wait_for_timeout(100)
    assert len(page.evaluate(HELD_CODES, "sam")) == 10


def enrol(page, alias):
    page.goto("/participants/new/")
    page.get_by_label("Alias").fill(alias)
    page.get_by_role("button", name="Enroll and make a card").tap()
    confirmation = page.locator("#enrolled-offline")
    expect(confirmation).to_be_focused()
    return page.locator("#enrolled-code").inner_text()


def test_someone_enrolled_with_no_signal_is_stored_once_with_their_contact(
    page, sam, downtown, catalog
):
    from haven.participants import codes
    from haven.participants.models import Participant

    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    held = page.evaluate(HELD_CODES, "sam")

    page.context.set_offline(True)
    code = enrol(page, "Robin")
    assert code in held and codes.validate(code)
    expect(page.locator("#enrolled-offline")).to_contain_text("Write this code on their card")
    assert_accessible(page)
    # A second person gets the next code, never the same one.
    second = enrol(page, "Jay")
    assert second != code

    page.goto("/participants/new/")
    page.get_by_label("Alias").fill("Robin")
    page.get_by_role("button", name="Enroll and make a card").tap()
    page.get_by_role("button", name="Log a contact for them").tap()
    third = page.locator("#logging-for")
    expect(third).to_contain_text("Robin · ")
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 4")).to_be_visible()
    expect(page.locator("#outbox-list")).to_contain_text(f"New participant {code}")
    assert not Participant.objects.exists()

    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    enrolled = Participant.objects.order_by("pk")
    assert [p.alias for p in enrolled] == ["Robin", "Jay", "Robin"]
    assert enrolled[0].display_code == code and enrolled[1].display_code == second
    contact = Encounter.objects.get()
    assert contact.participant == enrolled[2]
    # Nothing is left to send again: the page opened anew sends nothing.
    page.reload()
    expect(page.locator("#outbox")).to_be_hidden()
    assert Participant.objects.count() == 3 and Encounter.objects.count() == 1


def test_two_phones_enrolling_with_no_signal_at_once_never_make_the_same_code(
    browser, live_server, sam, downtown, catalog
):
    from haven.core.tests.browser import PHONE
    from haven.participants.models import Participant

    phones = []
    try:
        for _ in range(2):
            context = browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
            context.set_default_timeout(5_000)
            phone = context.new_page()
            log_in(phone, "sam", PASSWORD)
            ready_for_no_signal(phone)
            phones.append(phone)
        for phone in phones:
            phone.context.set_offline(True)
        made = [enrol(phone, alias) for phone, alias in zip(phones, ("Ash", "Bea"), strict=True)]
        made += [enrol(phone, alias) for phone, alias in zip(phones, ("Cy", "Di"), strict=True)]
        assert len(set(made)) == 4
        for phone in phones:
            # The log screen first (from the phone): a sync the page before
            # started and finished would leave it nothing to show.
            phone.goto("/outreach/log/")
            go_online(phone)
            expect(phone.get_by_role("heading", name="Everything is sent.")).to_be_visible()
        assert sorted(p.display_code for p in Participant.objects.all()) == sorted(made)
    finally:
        for phone in phones:
            phone.context.close()


def test_an_overdose_report_made_with_no_signal_is_stored_once(page, sam, downtown, catalog):
    from haven.overdose.models import Area, OverdoseReport

    Area.objects.create(code="85281", name="85281 Downtown", kind="zip")
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/overdose/reports/new/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/static/overdose/offline_report.js")

    page.context.set_offline(True)
    page.goto("/overdose/reports/new/")
    page.get_by_label("Area").select_option(label="85281 Downtown")
    page.get_by_label("A participant").check()
    page.get_by_label("Naloxone doses given").fill("2")
    page.get_by_label("Fentanyl").check()
    page.get_by_role("button", name="Save report").tap()
    kept = page.locator("#report-kept")
    expect(kept).to_have_text("Report saved on this phone. It will be sent when there is signal.")
    expect(kept).to_be_focused()
    assert_accessible(page)
    # A second report gets its own client UUID; what is missing is said at once.
    page.get_by_role("button", name="Save report").tap()
    expect(page.get_by_role("alert")).to_have_text("Choose one of the program's areas.")
    page.get_by_label("Area").select_option(label="85281 Downtown")
    page.get_by_label("Staff saw it").check()
    page.get_by_role("button", name="Save report").tap()
    expect(kept).to_be_visible()
    assert not OverdoseReport.objects.exists()

    page.goto("/outreach/log/")
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    expect(page.locator("#outbox-list")).to_contain_text("Overdose report, 85281 Downtown")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert OverdoseReport.objects.count() == 2
    first = OverdoseReport.objects.get(naloxone_doses=2)
    assert first.substances == ["fentanyl"] and first.reported_by == "participant"
    assert OverdoseReport.objects.get(naloxone_doses=None).reported_by == "staff"
    assert set(OverdoseReport.objects.values_list("recorded_by", flat=True)) == {sam.pk}


# A slow phone: opening what the phone keeps sealed takes a moment and a half.
SLOW_TO_OPEN_SEALS = """
(() => {
  const decrypt = crypto.subtle.decrypt.bind(crypto.subtle);
  crypto.subtle.decrypt = async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return decrypt(...args);
  };
})();
"""


def log_a_contact_for_on_a_slow_phone(page, participant):
    """Sam, with no signal on a phone slow to open seals, taps "Log a contact for"
    Sunny on the find screen: the log screen's scripts have run, Sunny's seal is not
    yet open."""
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/participants/")
    page.add_init_script(SLOW_TO_OPEN_SEALS)
    page.context.set_offline(True)
    page.goto("/participants/")
    page.get_by_label("Card code, UIC or alias").fill("Sun")
    page.get_by_role("button", name="Find").tap()
    page.get_by_role("button", name=f"Log a contact for {participant.display_code}").tap()
    expect(page.locator("#offline-ready")).to_be_visible()


def test_a_contact_saved_before_the_chosen_person_shows_is_logged_for_them(
    page, sam, downtown, participant, catalog
):
    log_a_contact_for_on_a_slow_phone(page, participant)
    # The person's seal is still being opened when the worker taps Save.
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    expect(page.locator("#offline-form-error")).to_be_hidden()

    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get().participant == participant


def test_someone_typed_before_the_chosen_person_shows_is_who_the_contact_is_for(
    page, sam, downtown, participant, catalog
):
    from haven.participants.models import Participant

    other = Participant.objects.create(alias="Robin", created_by=sam, enrolled_site=downtown)
    log_a_contact_for_on_a_slow_phone(page, participant)
    # The worker changes their mind while the phone is still opening Sunny's seal.
    page.get_by_label("Card code").fill(other.card_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    expect(page.locator("#logging-for")).to_be_hidden()

    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get().participant == other


def test_a_referral_made_before_the_chosen_person_shows_is_made_for_them(
    page, sam, adam, downtown, participant
):
    from haven.resources.actions import do_save_resource
    from haven.resources.models import Referral, Resource

    clinic = do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["buprenorphine"],
        languages=["en"],
        spans=[],
    )
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    for path in ("/participants/", "/participants/kept/", "/resources/referrals/new/"):
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, path)
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/api/v1/resources")
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)
    page.context.set_offline(True)
    page.goto("/participants/")
    page.get_by_label("Card code, UIC or alias").fill("Sun")
    page.get_by_role("button", name="Find").tap()
    page.get_by_role("link", name=f"Timeline of {participant.display_code}").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{participant.display_code} · Sunny")
    page.add_init_script(SLOW_TO_OPEN_SEALS)
    page.get_by_role("button", name="Make a referral").tap()
    # Made while the phone is still opening the seal of the person chosen.
    page.get_by_label("Need").select_option(label="Buprenorphine")
    page.get_by_label("Resource").select_option(label="Desert Bupe Clinic")
    page.get_by_role("button", name="Make the referral").tap()
    expect(page.locator("#referral-kept")).to_have_text(
        "Referral saved on this phone. It will be sent when there is signal."
    )

    page.goto("/outreach/log/")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    referral = Referral.objects.get()
    assert (referral.participant, referral.resource) == (participant, clinic)


def test_a_participant_linked_to_another_while_the_phone_was_offline(
    page, sam, sue, downtown, participant, catalog
):
    from haven.participants.actions import do_merge_participants
    from haven.participants.models import Participant

    duplicate = Participant.objects.create(alias="Sunny B", created_by=sam, enrolled_site=downtown)
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/participants/")
    page.context.set_offline(True)
    page.goto("/participants/")
    page.get_by_label("Card code, UIC or alias").fill("Sunny B")
    page.get_by_role("button", name="Find").tap()
    page.get_by_role("button", name=f"Log a contact for {duplicate.display_code}").tap()
    expect_the_log_screen_for(page, duplicate.display_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()

    # Meanwhile, at the office, the duplicate is linked to the kept record.
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    # The worker is told where the contact went; it is stored once, on the kept record.
    expect(page.locator("#outbox-status")).to_contain_text(
        f"{duplicate.display_code} is linked to {participant.display_code}"
    )
    assert Encounter.objects.get().participant == participant


def test_a_phone_clock_hours_ahead_is_shown_and_nothing_is_lost(
    page, sam, downtown, participant, catalog
):
    import datetime

    from django.utils import timezone

    # Only the phone's clock is wrong, five hours ahead (its timers run as usual).
    page.context.add_init_script(CLOCK_FIVE_HOURS_AHEAD)
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    go_offline_when_ready(page)
    log_contact(page, card_code=participant.display_code, naloxone=1)
    go_online(page)
    problem = page.locator("#outbox-list > li.problem")
    expect(problem).to_contain_text("A contact cannot be in the future.")
    assert not Encounter.objects.exists()
    # The worker corrects the time and the contact is stored, once.
    page.get_by_role("button", name="Edit and retry").tap()
    an_hour_ago = timezone.localtime() - datetime.timedelta(hours=1)
    page.locator("#id_occurred_at").fill(an_hour_ago.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get().participant == participant


def test_a_referral_made_with_no_signal_is_stored_once(page, sam, adam, downtown, participant):
    from haven.resources.actions import do_save_resource
    from haven.resources.models import Referral, Resource

    clinic = do_save_resource(
        Resource(name="Desert Bupe Clinic", zip_code="85281"),
        by=adam,
        needs=["buprenorphine"],
        languages=["en"],
        spans=[],
    )
    do_save_resource(
        Resource(name="Mesa Food Bank", zip_code="85201"),
        by=adam,
        needs=["food"],
        languages=["en"],
        spans=[],
    )
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/resources/referrals/new/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/api/v1/resources")

    page.context.set_offline(True)
    page.goto("/resources/referrals/new/")
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_label("Need").select_option(label="Buprenorphine")
    # Only the kept resources that offer the need are offered.
    expect(page.get_by_label("Resource").locator("option")).to_have_text(
        ["---------", "Desert Bupe Clinic"]
    )
    page.get_by_label("Resource").select_option(label="Desert Bupe Clinic")
    page.get_by_role("button", name="Make the referral").tap()
    kept = page.locator("#referral-kept")
    expect(kept).to_have_text("Referral saved on this phone. It will be sent when there is signal.")
    expect(kept).to_be_focused()
    assert_accessible(page)
    assert not Referral.objects.exists()

    page.goto("/outreach/log/")
    expect(page.locator("#outbox-list")).to_contain_text("Referral, Desert Bupe Clinic")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    referral = Referral.objects.get()
    assert (referral.participant, referral.resource, referral.need) == (
        participant,
        clinic,
        "buprenorphine",
    )

    # With signal the referral is made at once.
    page.goto("/resources/referrals/new/")
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_label("Need").select_option(label="Buprenorphine")
    page.get_by_label("Resource").select_option(label="Desert Bupe Clinic")
    page.get_by_role("button", name="Make the referral").tap()
    expect(kept).to_have_text("Referral made. It is on your follow-up list.")
    assert Referral.objects.count() == 2
