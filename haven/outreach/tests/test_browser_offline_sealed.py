"""What the phone keeps about participants is sealed (AES-GCM), and unreadable once logged out.

Read as an attacker who has the phone would: the raw IndexedDB records, not
what the app shows. See haven/outreach/static/outreach/field_crypto.js.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, go_online, log_in
from haven.outreach.models import Encounter, FieldDeviceKey
from haven.outreach.tests.test_browser_offline import (
    WAIT_FOR_KEPT_PARTICIPANTS,
    WAIT_FOR_OFFLINE_CACHE,
    expect_the_log_screen_for,
    go_offline_when_ready,
)
from haven.outreach.tests.test_browser_offline_shift import HELD_CODES, enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every record of every IndexedDB store on the phone, as text: bytes (the
# sealed values) read as Latin-1, so that any plain text in them shows.
RAW_INDEXEDDB = """async () => {
  const asText = (value) => {
    if (value instanceof ArrayBuffer) value = new Uint8Array(value);
    if (ArrayBuffer.isView(value)) return String.fromCharCode(...new Uint8Array(value.buffer));
    if (value instanceof CryptoKey) return `[CryptoKey extractable=${value.extractable}]`;
    if (value && typeof value === "object") return Object.values(value).map(asText).join(" ");
    return String(value);
  };
  const stores = {};
  for (const { name } of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    for (const store of db.objectStoreNames) {
      stores[`${name}/${store}`] = await new Promise((resolve) => {
        const all = db.transaction(store).objectStore(store).getAll();
        all.onsuccess = () => resolve(all.result.map(asText));
      });
    }
    db.close();
  }
  return stores;
}"""

# The text of every answer the service worker keeps.
RAW_CACHES = """async () => {
  const kept = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      kept[new URL(request.url).pathname] = await (await cache.match(request)).text();
    }
  }
  return kept;
}"""

OUTBOX = "async () => (await window.havenField.outbox.all()).map((r) => [r.state, r.label])"

ASK_FOR_KEYS = """async () => (await fetch("/api/v1/field-keys", {
  method: "POST",
  credentials: "same-origin",
  headers: { "Content-Type": "application/json", "X-CSRFToken": window.havenField.csrfToken() },
  body: JSON.stringify({ device: localStorage.getItem("haven-device") }),
})).status"""

STORED_OUTBOX = """() => new Promise((resolve) => {
  const request = indexedDB.open("haven-field", 1);
  request.onsuccess = () => {
    const all = request.result.transaction("outbox").objectStore("outbox").getAll();
    all.onsuccess = () => resolve(all.result.map(({ sealed, ...record }) => ({
      ...record,
      sealed: { iv: [...sealed.iv], data: [...new Uint8Array(sealed.data)] },
    })));
  };
})"""

PUT_BACK = """(records) => new Promise((resolve) => {
  const request = indexedDB.open("haven-field", 1);
  request.onsuccess = () => {
    const tx = request.result.transaction("outbox", "readwrite");
    for (const { sealed, ...record } of records) {
      const bytes = { iv: new Uint8Array(sealed.iv), data: new Uint8Array(sealed.data).buffer };
      tx.objectStore("outbox").put({ ...record, sealed: bytes });
    }
    tx.oncomplete = () => resolve(true);
  };
})"""

# The outbox and the keys, once the logged-out page has wiped the phone.
WIPED = f"""async () => {{
  const stores = await ({RAW_INDEXEDDB})();
  return [stores["haven-field/outbox"], stores["haven-field-private/keys"]];
}}"""
NOTE = "Abscess on left forearm, asked for wound care"


def wait_for(page, script, expected, arg=None):
    value = None
    for _ in range(100):
        value = page.evaluate(script, arg)
        if value == expected:
            return value
        page.wait_for_timeout(100)
    return value


def test_the_phone_keeps_no_card_code_name_or_note_in_plain_text(
    page, sam, downtown, participant, catalog
):
    from haven.participants.models import Participant

    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    for path in ("/outreach/log/", "/participants/", "/participants/new/"):
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, path)
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)
    assert wait_for(page, f"(user) => ({HELD_CODES})(user).length", 10, "sam") == 10

    page.context.set_offline(True)
    # Found among the kept participants, with no signal.
    page.goto("/participants/")
    page.get_by_label("Card code, UIC or alias").fill("Sun")
    page.get_by_role("button", name="Find").tap()
    expect(page.locator("#offline-results")).to_contain_text(f"{participant.display_code} · Sunny")
    page.get_by_role("button", name=f"Log a contact for {participant.display_code}").tap()
    expect_the_log_screen_for(page, participant.display_code)
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    expect(page.locator("#outbox-list")).to_contain_text(participant.display_code)
    enrolled = enrol(page, "Marigold Featherstone")

    stores = page.evaluate(RAW_INDEXEDDB)
    # Not vacuous: the outbox, the kept participants and the keys are there.
    assert len(stores["haven-field/outbox"]) == 2
    assert len(stores["haven-field-private/sealed"]) == 1
    keys = stores["haven-field-private/keys"]
    assert len(keys) == 2 and all("[CryptoKey extractable=false]" in key for key in keys)
    everything = "\n".join(text for records in stores.values() for text in records)
    secrets = [
        participant.card_code,
        participant.display_code,
        "Sunny",
        NOTE,
        "Abscess",
        enrolled,
        enrolled.replace("-", ""),
        "Marigold",
    ]
    for secret in secrets:
        assert secret not in everything, f"{secret!r} is on the phone in plain text"
    # Nor in the service worker's cache (it keeps no participant at all).
    for path, text in page.evaluate(RAW_CACHES).items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} in the cached {path}"

    # A reload with no signal still reads them (the keys are kept as CryptoKeys).
    page.goto("/outreach/log/")
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    expect(page.locator("#outbox-list")).to_contain_text(participant.display_code)
    assert_accessible(page)

    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible(timeout=15_000)
    contact = Encounter.objects.get()
    assert contact.participant == participant and contact.note == NOTE
    assert Participant.objects.get(alias="Marigold Featherstone").display_code == enrolled
    # Sent again (e.g. a second tab): still stored once.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_load_state("networkidle")
    assert Encounter.objects.count() == 1
    assert Participant.objects.filter(alias="Marigold Featherstone").count() == 1


def test_a_session_that_ended_mid_shift_loses_nothing_and_sends_once(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    go_offline_when_ready(page)
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()

    # The session ends while there is no signal; back in signal, the login page.
    page.context.clear_cookies(name="sessionid")
    page.context.set_offline(False)
    page.goto("/accounts/login/")
    # The phone dropped its keys: the contact is kept, unreadable and unsent.
    assert wait_for(page, OUTBOX, [["locked", ""]]) == [["locked", ""]]
    assert page.evaluate(ASK_FOR_KEYS) == 401
    assert not Encounter.objects.exists()

    # Signing in again on the same phone hands back its key: sent, once.
    log_in(page, "sam", PASSWORD)
    # The first page after signing in sends it, once the keys are back.
    expect(page.locator("#outbox-pending")).to_contain_text("Sent: 1", timeout=15_000)
    assert Encounter.objects.get().note == NOTE


def test_after_logout_the_keys_are_refused_and_old_records_cannot_be_read(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    go_offline_when_ready(page)
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    # What a thief copies off the phone before the worker logs out.
    copied = page.evaluate(STORED_OUTBOX)
    assert len(copied) == 1 and set(copied[0]) == {
        "client_uuid",
        "user",
        "kind",
        "created_at",
        "state",
        "sealed",
    }

    page.route("**/api/v1/sync", lambda route: route.abort())
    page.context.set_offline(False)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert wait_for(page, WIPED, [[], []]) == [[], []]
    assert page.evaluate(ASK_FOR_KEYS) == 401
    assert not FieldDeviceKey.objects.exists()
    # (A sync the service worker passed on before the logout may have stored
    # the contact: page routes do not hold back the worker's own requests.)
    stored = Encounter.objects.count()

    # Signed in again on this phone: Haven hands out new keys, which cannot
    # open what was sealed before the logout.
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    assert page.evaluate(PUT_BACK, copied)
    assert page.evaluate(OUTBOX) == [["locked", ""]]
    page.unroute("**/api/v1/sync")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_load_state("networkidle")
    # Still locked, so never sent: a record the phone could open and send
    # would have left the outbox.
    assert page.evaluate(OUTBOX) == [["locked", ""]]
    assert Encounter.objects.count() == stored


def test_participants_an_earlier_version_kept_in_the_cache_are_dropped(page, sam, downtown):
    from django.conf import settings

    cache_name = f"haven-{settings.VERSION}"
    page.goto("/accounts/login/")
    # As the earlier service worker left it, under the same cache name.
    page.evaluate(
        """async (name) => (await caches.open(name)).put(
          "/api/v1/participants/kept", new Response('[{"card_code": "5C8W-VDV"}]'))""",
        cache_name,
    )
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/outreach/log/")
    page.evaluate("navigator.serviceWorker.ready")
    still_kept = "async () => '/api/v1/participants/kept' in (await (" + RAW_CACHES + ")())"
    assert wait_for(page, still_kept, False) is False
