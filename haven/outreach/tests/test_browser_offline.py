"""The offline field app in Chromium at phone size: log with no signal, sync exactly once."""

import re
import socket

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import PHONE, assert_accessible, go_online, log_in
from haven.outreach.models import Encounter, FieldDeviceKey
from haven.participants import codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_FOR_OFFLINE_CACHE = """async (path) => {
  await navigator.serviceWorker.ready;
  for (let attempt = 0; attempt < 100; attempt += 1) {
    for (const name of await caches.keys()) {
      if (await (await caches.open(name)).match(path)) return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}"""


# Whether the phone holds the keys that seal what is saved with no signal.
HOLDS_KEYS = "() => window.havenField.holdsKeys()"


def go_offline_when_ready(page):
    """No signal once the quick-log screen says the phone is ready, as the worker is told."""
    expect(page.locator("#offline-ready")).to_have_text(
        "This phone is ready to work without signal."
    )
    page.context.set_offline(True)


def expect_the_log_screen_for(page, card_code):
    """The quick-log screen opened for someone chosen on another screen, ready to save.

    The tap that opens it does not wait for the new screen: its scripts may not
    have run yet (a Save tapped then posts the form the ordinary way, which with
    no signal loses it). The readiness line is theirs, and the screen names the
    person once it has opened their seal.
    """
    expect(page.locator("#offline-ready")).to_be_visible()
    expect(page.locator("#logging-for")).to_contain_text(card_code)


# The participants the phone keeps are sealed in IndexedDB (field_crypto.js).
WAIT_FOR_KEPT_PARTICIPANTS = """async () => {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const kept = window.havenField.keptParticipants && (await window.havenField.keptParticipants());
    if (kept && kept.length) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}"""


# The scripts and stylesheets of the page shown, all kept for use with no signal.
WAIT_FOR_THIS_SCREENS_FILES = """async () => {
  const files = [
    ...[...document.scripts].map((script) => script.src),
    ...[...document.querySelectorAll("link[rel=stylesheet]")].map((link) => link.href),
  ].filter(Boolean);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const kept = await Promise.all(files.map((url) => caches.match(url)));
    if (kept.every(Boolean)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}"""


WHAT_IS_LEFT_ON_THE_PHONE = """async () => {
  const names = await caches.keys();
  const records = await new Promise((resolve) => {
    const request = indexedDB.open("haven-field", 1);
    request.onsuccess = () => {
      const tx = request.result.transaction("outbox", "readonly");
      const all = tx.objectStore("outbox").getAll();
      all.onsuccess = () => resolve(all.result.length);
    };
  });
  return { caches: names.filter((n) => n.startsWith("haven-")).length, records };
}"""


def log_contact(page, card_code=None, anonymous_people=None, naloxone=0):
    if card_code:
        page.get_by_label("Card code").fill(card_code)
    if anonymous_people:
        page.get_by_label("Anonymous contact").check()
        page.get_by_label("How many people").fill(str(anonymous_people))
    for _ in range(naloxone):
        page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()


def supplies_of(encounter):
    return {line.item.name: line.quantity for line in encounter.supplies.all()}


def test_contacts_logged_offline_survive_a_reload_and_are_stored_once(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/log/")
    # The worker is told when it is safe to go where there is no signal.
    expect(page.locator("#offline-ready")).to_have_text(
        "This phone is ready to work without signal."
    )

    page.context.set_offline(True)
    log_contact(page, card_code=participant.card_code.lower(), naloxone=2)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    log_contact(page, card_code=participant.display_code)
    log_contact(page, anonymous_people=3)
    outbox = page.locator("#outbox-list > li")
    expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()
    expect(outbox).to_have_count(3)
    expect(outbox.nth(2)).to_contain_text("Anonymous, 3")
    assert not Encounter.objects.exists()

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()
    assert_accessible(page)

    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible(timeout=15_000)
    expect(outbox).to_have_count(0)
    encounters = list(Encounter.objects.order_by("occurred_at"))
    assert len(encounters) == 3
    assert len({encounter.client_uuid for encounter in encounters}) == 3
    assert [encounter.participant for encounter in encounters] == [participant, participant, None]
    assert supplies_of(encounters[0]) == {"Naloxone nasal spray": 2}
    assert encounters[2].anonymous_people == 3
    assert all(encounter.staff == sam for encounter in encounters)


def test_a_sync_cut_off_after_the_server_stored_it_stores_each_contact_once(
    browser, live_server, sam, downtown, participant, catalog
):
    # Service workers are blocked here so that the test can cut off the sync
    # answer itself, as a dropped connection would.
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", service_workers="block", **PHONE
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    cut_off = []
    signal_back = []

    def lose_the_first_answer(route):
        if not cut_off:
            route.fetch()  # the server stores the batch...
            cut_off.append(True)
            route.abort("connectionreset")  # ...but the phone never hears back
        elif not signal_back:
            # Any attempt before the test has looked (the outbox tries again on
            # its own) finds no signal, so what the phone shows can be checked.
            route.abort("internetdisconnected")
        else:
            route.continue_()

    try:
        log_in(page, "sam", PASSWORD)
        page.goto("/outreach/log/")
        # With no service worker the screens cannot be kept: the worker is told.
        expect(page.locator("#offline-ready")).to_contain_text(
            "This browser cannot keep Haven's screens for use without signal"
        )
        context.set_offline(True)
        log_contact(page, card_code=participant.card_code, naloxone=1)
        log_contact(page, anonymous_people=2)
        log_contact(page, card_code=participant.card_code)
        expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()

        page.route("**/api/v1/sync", lose_the_first_answer)
        go_online(page)
        for _ in range(100):
            if cut_off:
                break
            page.wait_for_timeout(100)
        assert cut_off
        expect(page.locator("#outbox-status")).to_contain_text("No signal")
        assert Encounter.objects.count() == 3
        expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()

        # Sent again, the batch is answered as replays: nothing is stored twice.
        signal_back.append(True)
        page.reload()
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", name=re.compile("^Waiting to send"))).to_have_count(0)
        assert Encounter.objects.count() == 3
        assert supplies_of(Encounter.objects.get(anonymous_people=0, supplies__isnull=False)) == {
            "Naloxone nasal spray": 1
        }
    finally:
        context.close()


def test_a_phone_that_shows_signal_but_cannot_reach_haven_keeps_the_contact(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    # The phone has signal, but the post never gets through (a captive
    # portal, a dead cell): the contact must not be lost with the page.
    page.route("**/outreach/log/", lambda route: route.abort("internetdisconnected"))
    page.route("**/api/v1/sync", lambda route: route.abort("internetdisconnected"))
    log_contact(page, card_code=participant.display_code, naloxone=1)

    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    expect(page.locator("#outbox-status")).to_contain_text("No signal")
    expect(page.get_by_label("Card code")).to_have_value("")
    assert not Encounter.objects.exists()

    page.unroute("**/api/v1/sync")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    encounter = Encounter.objects.get()
    assert encounter.participant == participant
    assert supplies_of(encounter) == {"Naloxone nasal spray": 1}


def test_a_saved_contact_whose_answer_was_lost_is_stored_once(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    lost = []

    def store_then_drop(route):
        if route.request.method == "POST" and not lost:
            route.fetch()  # Haven stores the contact...
            lost.append(True)
            route.abort("connectionreset")  # ...and the answer never arrives
        else:
            route.continue_()

    page.route("**/outreach/log/", store_then_drop)
    log_contact(page, anonymous_people=2, naloxone=1)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    # The outbox sent it again under the same client UUID (with the phone's
    # time, where the form had none): Haven answered with the stored contact.
    encounter = Encounter.objects.get()
    assert encounter.anonymous_people == 2
    assert supplies_of(encounter) == {"Naloxone nasal spray": 1}
    expect(page.locator("#outbox-status")).to_contain_text("Sent: 1")


def test_a_contact_saved_after_the_session_ended_waits_for_the_worker_to_log_in(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    # The screen asks for its sealing keys as it opens, and that answer sets the
    # session cookie again: the session ends once it has arrived.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies(name="sessionid")
    log_contact(page, card_code=participant.display_code)
    expect(page.locator("#outbox-status")).to_have_text(
        "Log in again to send the waiting contacts."
    )
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    assert not Encounter.objects.exists()

    log_in(page, "sam", PASSWORD)
    # The first page after logging in sends it: every page of the field app does.
    expect(page.locator("#outbox-pending")).to_contain_text("Sent: 1")
    assert Encounter.objects.get().participant == participant


def test_a_logout_that_did_not_go_through_does_not_wipe_the_phone_later(
    browser, transactional_db, settings, sam, downtown, participant, catalog
):
    # Haven itself is stopped while there is no signal. The browser's offline
    # switch and the page's routes did not hold back every request: a request
    # the page makes through its service worker (the outbox's sync, sent as
    # soon as a contact is saved and when a page opens) sometimes went out to
    # Haven all the same. The contact was then stored, and the screen said
    # "Everything is sent." where the test looked for "Waiting to send: 1".
    settings.ALLOWED_HOSTS = ["localhost"]
    server = start_haven()
    port = server.port
    context = browser.new_context(base_url=f"http://localhost:{port}", locale="en-US", **PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, "sam", PASSWORD)
        page.goto("/outreach/log/")
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/log/")
        assert page.evaluate(WAIT_FOR_THIS_SCREENS_FILES)
        assert page.evaluate(HOLDS_KEYS)
        server.terminate()  # no signal: nothing reaches Haven from here on
        context.set_offline(True)
        log_contact(page, card_code=participant.display_code)
        expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()

        # The logout never arrives.
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile("^chrome-error:"))

        page.goto("/outreach/log/")  # still logged in, the phone's copy of the screen
        expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()

        # Later the session ends, and the phone finds Haven again: the login page.
        context.clear_cookies(name="sessionid")
        server = start_haven(port)
        context.set_offline(False)
        page.goto("/accounts/login/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # Its scripts have run (they are deferred), and took the path that
        # keeps the phone: the wipe starts by forgetting the waiting count.
        page.wait_for_load_state("load")
        assert page.evaluate("localStorage.getItem('haven-outbox-pending')") == "1"
        assert page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE) == {"caches": 1, "records": 1}
        # The contact still waits (to be sent after signing in); Haven never
        # heard of the logout, so the phone's key to it is still there.
        assert not Encounter.objects.exists()
        assert FieldDeviceKey.objects.filter(user=sam).exists()
        assert not errors, f"JavaScript errors in the page: {errors}"
    finally:
        context.close()
        server.terminate()


def test_with_signal_a_contact_is_saved_at_once_and_errors_show_in_place(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_text("Enter a card code, pick a recent participant")).to_be_visible()
    assert not Encounter.objects.exists()
    log_contact(page, card_code=participant.display_code)
    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    assert Encounter.objects.get().participant == participant
    expect(page.locator("#outbox")).to_have_count(0)


class ServerThatHangsUp(ThreadedWSGIServer):
    """Closes the connections it holds open when it is stopped: a connection the browser
    kept alive must not go on reaching a stopped Haven."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_connections = set()

    def process_request(self, request, client_address):
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.open_connections.discard(request)
        super().shutdown_request(request)

    def server_close(self):
        super().server_close()
        for connection in list(self.open_connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed meanwhile


class RestartableServer(LiveServerThread):
    """Haven's WSGI app on its own server thread, which a test may stop and start again
    on the same port (the phone's outbox and cache belong to the address)."""

    server_class = ServerThatHangsUp

    def _create_server(self, connections_override=None):
        return self.server_class(
            (self.host, self.port),
            QuietWSGIRequestHandler,
            allow_reuse_address=True,
            connections_override=connections_override,
        )


def start_haven(port=0):
    server = RestartableServer("localhost", StaticFilesHandler, port=port)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    return server


def test_haven_stopped_in_the_middle_of_a_sync_stores_each_contact_once_when_back(
    browser, transactional_db, settings, sam, downtown, participant, catalog
):
    settings.ALLOWED_HOSTS = ["localhost"]
    server = start_haven()
    port = server.port
    context = browser.new_context(base_url=f"http://localhost:{port}", locale="en-US", **PHONE)
    context.set_default_timeout(5_000)
    page = context.new_page()
    stopped = []

    def stop_haven_before_it_answers(route):
        route.fetch()  # Haven stores the batch...
        server.terminate()  # ...and stops before the phone hears back.
        stopped.append(True)
        route.abort("connectionrefused")

    try:
        log_in(page, "sam", PASSWORD)
        page.goto("/outreach/log/")
        go_offline_when_ready(page)
        log_contact(page, card_code=participant.card_code, naloxone=2)
        log_contact(page, anonymous_people=2)
        log_contact(page, card_code=participant.card_code)
        expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()

        page.route("**/api/v1/sync", stop_haven_before_it_answers, times=1)
        # The sync starts now, not at the outbox's next half-minute try (go_online).
        go_online(page)
        for _ in range(300):  # a loaded machine can take seconds to store the batch
            if stopped:
                break
            page.wait_for_timeout(100)
        assert stopped
        assert Encounter.objects.count() == 3

        # Haven is down: the phone opens its own copy of the screen, and the
        # three contacts still wait.
        page.reload()
        expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()

        server = start_haven(port)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
        assert Encounter.objects.count() == 3
        assert supplies_of(Encounter.objects.get(supplies__isnull=False)) == {
            "Naloxone nasal spray": 2
        }
    finally:
        context.close()
        server.terminate()


def test_a_refused_contact_stays_until_the_worker_fixes_it(
    page, sam, downtown, participant, catalog
):
    unknown_code = codes.format_code(codes.generate())
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    # Ready for no signal first, and the contact in the outbox before the signal
    # is back: otherwise, on a slow run, the form was posted the ordinary way.
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/log/")
    expect(page.locator("#offline-ready")).to_be_visible()
    page.context.set_offline(True)
    log_contact(page, card_code=unknown_code, naloxone=1)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    go_online(page)

    problem = page.locator("#outbox-list > li.problem")
    expect(problem).to_contain_text(f"No participant has the card code {unknown_code}.")
    expect(problem).to_contain_text("Needs your attention")
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_label("Card code")).to_have_value(unknown_code)
    expect(page.get_by_role("spinbutton", name="Naloxone nasal spray")).to_have_value("1")
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_role("button", name="Save contact").tap()

    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    encounter = Encounter.objects.get()
    assert encounter.participant == participant
    assert supplies_of(encounter) == {"Naloxone nasal spray": 1}


def test_a_mistyped_card_code_is_caught_on_the_phone(page, sam, downtown, participant, catalog):
    code = participant.card_code
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    go_offline_when_ready(page)
    log_contact(page, card_code=wrong)
    expect(page.get_by_role("alert")).to_contain_text("it has a typo")
    expect(page.locator("#outbox")).to_be_hidden()


def test_logging_out_clears_the_phone(page, sam, downtown, participant, catalog):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    go_offline_when_ready(page)
    log_contact(page, card_code=participant.card_code)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    page.context.set_offline(True)
    log_contact(page, anonymous_people=1)
    # Kept, and counted for the logout button once the phone has tried to send
    # it: a logout tapped sooner is not asked about a contact it does not know of.
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    expect(page.locator("#outbox-status")).to_contain_text("No signal")
    # The server cannot be reached (set before going online, or the app would
    # send the contact at once): the worker is asked before it is lost.
    page.route("**/api/v1/sync", lambda route: route.abort())
    page.context.set_offline(False)
    asked = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert [message.split(".")[0] for message in asked] == ["Waiting to send: 1"]
    # The logged-out page wipes the phone: wait until it has.
    left = None
    for _ in range(100):
        left = page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)
        if left == {"caches": 0, "records": 0}:
            break
        page.wait_for_timeout(100)
    assert left == {"caches": 0, "records": 0}
    assert Encounter.objects.count() == 1


def test_device_tokens_on_the_settings_page(page, sam, downtown):
    log_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_label("Device name").fill("Work phone")
    page.get_by_role("button", name="Add a device").click()
    expect(page.get_by_role("status")).to_contain_text("Copy it now: it is shown only once.")
    assert_accessible(page)
    page.get_by_role("button", name="Revoke Work phone").click()
    expect(page.get_by_role("status")).to_have_text("Work phone can no longer use Haven.")
    expect(page.get_by_role("table", name="Your devices")).to_contain_text("Revoked")
    assert_accessible(page)


def test_the_resource_directory_opens_with_no_signal(page, sam, downtown):
    from haven.resources.models import Resource, ResourceNeed

    clinic = Resource.objects.create(
        name="Eastside Recovery Clinic", phone="480-555-0100", latitude=33.42, longitude=-111.94
    )
    ResourceNeed.objects.create(resource=clinic, need="buprenorphine")
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/resources/")
    search = "/resources/?needs=buprenorphine&lat=33.42&lon=-111.94&miles=50"
    page.goto(search)
    expect(page.get_by_text("Eastside Recovery Clinic").first).to_be_visible()
    page.context.set_offline(True)
    # With no signal the directory opens as last seen, with its last search.
    page.goto("/resources/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_text("Eastside Recovery Clinic").first).to_be_visible()


def test_the_directory_is_searched_on_the_phone_with_no_signal(page, sam, downtown):
    import datetime

    from haven.resources.models import OpeningHours, Resource, ResourceLanguage, ResourceNeed

    clinic = Resource.objects.create(
        name="Eastside Recovery Clinic",
        phone="480-555-0100",
        address_line1="1 Main St",
        city="Tempe",
        zip_code="85281",
        latitude=33.42,
        longitude=-111.94,
        accepts_medicaid=True,
    )
    ResourceNeed.objects.create(resource=clinic, need="buprenorphine")
    ResourceLanguage.objects.create(resource=clinic, language="es")
    midnight = datetime.time(0, 0)
    for weekday in range(7):
        OpeningHours.objects.create(
            resource=clinic, weekday=weekday, opens=midnight, closes=midnight
        )
    pantry = Resource.objects.create(
        name="Mesa Food Bank", city="Mesa", zip_code="85201", latitude=33.41, longitude=-111.83
    )
    ResourceNeed.objects.create(resource=pantry, need="food")
    far = Resource.objects.create(
        name="Tucson Food Bank", city="Tucson", zip_code="85701", latitude=32.22, longitude=-110.97
    )
    ResourceNeed.objects.create(resource=far, need="food")

    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/api/v1/resources")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/resources/")
    page.context.set_offline(True)

    page.goto("/resources/")
    search = page.locator("#resource-search")
    search.get_by_label("Food").check()
    search.get_by_label("Or near a ZIP code or city").fill("85281")
    search.get_by_label("Within").select_option("25")
    search.get_by_role("button", name="Search").tap()
    results = page.locator("#resource-results")
    expect(results.get_by_role("status")).to_contain_text("saved on this phone")
    expect(results.get_by_role("heading", name="1 result · near 85281")).to_be_visible()
    expect(results).to_contain_text("Mesa Food Bank")
    expect(results).to_contain_text("Hours unknown: call first")
    expect(results).not_to_contain_text("Tucson")
    assert_accessible(page)

    search.get_by_label("Food").uncheck()
    search.get_by_label("Buprenorphine").check()
    search.get_by_label("Open now").check()
    search.get_by_label("Or near a ZIP code or city").fill("Tempe, AZ")
    search.get_by_role("button", name="Search").tap()
    expect(results.get_by_role("heading", name="1 result · near Tempe, AZ")).to_be_visible()
    expect(results.locator("li")).to_contain_text("Open 24 hours")
    expect(results.locator("li")).to_contain_text("Why: Offers buprenorphine; Open 24 hours")
    expect(results.get_by_role("link", name="480-555-0100")).to_have_attribute(
        "href", "tel:480-555-0100"
    )

    search.get_by_label("Or near a ZIP code or city").fill("Atlantis")
    search.get_by_role("button", name="Search").tap()
    expect(results).to_contain_text('We do not know where "Atlantis" is.')

    # A search typed into the address bar, or the page opened from a link,
    # is answered from the phone too, with the form showing the query.
    page.goto("/resources/?needs=food&place=Tucson&miles=10")
    expect(results.get_by_role("heading", name="1 result · near Tucson")).to_be_visible()
    expect(results).to_contain_text("Tucson Food Bank")
    expect(search.get_by_label("Food")).to_be_checked()
    expect(search.get_by_label("Or near a ZIP code or city")).to_have_value("Tucson")


def test_a_search_on_the_phone_answers_as_haven_does(browser, live_server, sam, downtown):
    """The same query, online and then with no signal: the same results, word for word."""
    import datetime

    from django.conf import settings
    from django.utils import timezone

    from haven.resources.models import OpeningHours, Resource, ResourceLanguage, ResourceNeed

    now = timezone.localtime().replace(second=0, microsecond=0)

    def place(name, lat, lon, opens_in=None, hours=0, **fields):
        entry = Resource.objects.create(
            name=name, city="Tempe", zip_code="85281", latitude=lat, longitude=lon, **fields
        )
        ResourceNeed.objects.create(resource=entry, need="food")
        ResourceLanguage.objects.create(resource=entry, language="es")
        if opens_in is not None:
            opens = now + opens_in
            for weekday in range(7):
                OpeningHours.objects.create(
                    resource=entry,
                    weekday=weekday,
                    opens=opens.time(),
                    closes=(opens + datetime.timedelta(hours=hours)).time(),
                )

    place("Open Kitchen", 33.4231, -111.9402, datetime.timedelta(hours=-1), 3, walk_in=True)
    place("Later Pantry", 33.4012, -111.9123, datetime.timedelta(hours=2), 2, same_day=True)
    place("Call First Meals", 33.4456, -111.9687, accepts_medicaid=True, walk_in=False)
    place("Closed Cafe", 33.4101, -111.9304, datetime.timedelta(hours=5), 1, walk_in=True)

    # The phone keeps the program's time zone, as phones in the field do.
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", timezone_id=settings.TIME_ZONE, **PHONE
    )
    context.set_default_timeout(5_000)
    page = context.new_page()
    try:
        log_in(page, "sam", PASSWORD)
        page.goto("/outreach/log/")
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/api/v1/resources")
        seen = []
        for query in (
            "needs=food&place=85281&miles=10&languages=es&walk_in=on",
            "needs=food&open_now=on&miles=10",
            "needs=food&place=Tempe&miles=10&payments=medicaid",
        ):
            page.goto(f"/resources/?{query}")
            items = page.locator("#resource-results li")
            expect(items.first).to_be_visible()
            online = items.all_inner_texts()
            heading = page.locator("#resource-results h2").inner_text()

            page.context.set_offline(True)
            page.get_by_role("button", name="Search").tap()
            expect(page.locator("#resource-results").get_by_role("status")).to_contain_text(
                "saved on this phone"
            )
            assert page.locator("#resource-results h2").inner_text() == heading
            assert items.all_inner_texts() == online
            page.context.set_offline(False)
            seen += online
        for status in ("Closed; opens", "Open now, until", "Hours unknown", "Walk-in", "Same-day"):
            assert any(status in text for text in seen), status
    finally:
        context.close()
