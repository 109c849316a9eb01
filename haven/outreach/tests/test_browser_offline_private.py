"""After a shift, nothing on the phone names a participant in plain text (issue 17).

Read as someone who has the phone would: every answer the service worker
keeps, every IndexedDB record, local and session storage. The screens still
list the recent participants (from what the phone keeps sealed), online and
offline; someone enrolled with no signal has a timeline with no signal; and a
record sealed with a device key Haven has since retired is sealed again and
sent, never lost.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, go_online, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter, FieldDeviceKey
from haven.outreach.tests.test_browser_offline import (
    WAIT_FOR_KEPT_PARTICIPANTS,
    WAIT_FOR_OFFLINE_CACHE,
    expect_the_log_screen_for,
    go_offline_when_ready,
)
from haven.outreach.tests.test_browser_offline_sealed import (
    RAW_CACHES,
    RAW_INDEXEDDB,
    STORED_OUTBOX,
    wait_for,
)
from haven.outreach.tests.test_browser_offline_shift import enrol, ready_for_no_signal
from haven.outreach.views import KEPT_RECORD_SCREENS, OFFLINE_FALLBACK, OFFLINE_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEB_STORAGE = """() => {
  const all = (storage) => Object.keys(storage).map((key) => `${key}=${storage.getItem(key)}`);
  return [...all(localStorage), ...all(sessionStorage)];
}"""
NOTE = "Asked about the shelter on 5th"


def seen_before(participant, staff, site):
    """A contact before the shift: the participant is one of the worker's recent ones."""
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=site,
            contact_type="street",
            participant=participant,
            occurred_at=timezone.now() - timedelta(days=1),
        ),
        staff=staff,
    )


def every_kept_screen():
    from django.urls import reverse

    names = [*OFFLINE_PAGES, *(screen for _r, screen in KEPT_RECORD_SCREENS), OFFLINE_FALLBACK]
    return [reverse(name) for name in names]


def test_after_a_shift_the_phone_names_nobody_in_plain_text(
    page, sam, downtown, participant, catalog
):
    from haven.participants.models import Participant

    river = Participant.objects.create(alias="River", created_by=sam, enrolled_site=downtown)
    seen_before(participant, sam, downtown)
    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    for path in every_kept_screen():
        assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, path), path
    assert page.evaluate(WAIT_FOR_KEPT_PARTICIPANTS)

    # With signal: the recent participant is offered, listed by the phone.
    sunny = page.get_by_label(f"Sunny · {participant.display_code}")
    page.goto("/outreach/log/")
    sunny.check()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    page.goto("/participants/")
    expect(page.locator("#recent-list")).to_contain_text(f"{participant.display_code} · Sunny")
    expect(page.locator("#recent-list li")).to_have_count(1)  # River is kept, not recent
    assert_accessible(page)

    page.context.set_offline(True)
    # With no signal: the same list, from the sealed kept set.
    page.goto("/outreach/log/")
    sunny.check()
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    expect(page.locator("#outbox-list")).to_contain_text(participant.display_code)
    assert_accessible(page)

    # Someone found with no signal, carried to the log screen sealed.
    page.goto("/participants/")
    expect(page.locator("#recent-list")).to_contain_text(participant.display_code)
    page.get_by_label("Card code, UIC or alias").fill("riv")
    page.get_by_role("button", name="Find").tap()
    page.get_by_role("button", name=f"Log a contact for {river.display_code}").tap()
    expect(page.locator("#logging-for")).to_contain_text(f"River · {river.display_code}")
    chosen = page.evaluate("sessionStorage.getItem('haven-log-for')")
    assert chosen and river.card_code[:4] not in chosen and "River" not in chosen
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()

    # Someone enrolled with no signal, and their timeline.
    enrolled = enrol(page, "Marigold Featherstone")
    page.get_by_role("button", name="Log a contact for them").tap()
    expect(page.locator("#logging-for")).to_contain_text(enrolled)
    page.goto(f"/participants/{participant.pk}/")
    expect(page.locator("#timeline-heading")).to_have_text(f"{participant.display_code} · Sunny")

    # What someone holding the phone could read, in plain text.
    stores = page.evaluate(RAW_INDEXEDDB)
    assert len(stores["haven-field/outbox"]) == 3  # not vacuous
    texts = [text for records in stores.values() for text in records]
    texts += page.evaluate(WEB_STORAGE)
    cached = page.evaluate(RAW_CACHES)
    assert set(every_kept_screen()) <= set(cached)
    texts += [f"{path}\n{text}" for path, text in cached.items()]
    everything = "\n".join(texts)
    secrets = [
        code for person in (participant, river) for code in (person.card_code, person.display_code)
    ]
    secrets += [enrolled, enrolled.replace("-", ""), "Sunny", "River", "Marigold", NOTE]
    for secret in secrets:
        assert secret not in everything, f"{secret!r} is on the phone in plain text"

    # Back in signal: each record stored once. The log screen is opened first
    # (from the phone), so that the sync it shows is the one it starts.
    page.goto("/outreach/log/")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible(timeout=15_000)
    assert Encounter.objects.filter(participant=participant).count() == 3
    assert Encounter.objects.get(participant=river)
    assert Participant.objects.get(alias="Marigold Featherstone").display_code == enrolled
    assert NOTE in [contact.note for contact in Encounter.objects.filter(participant=participant)]


def test_someone_enrolled_with_no_signal_has_a_timeline_with_no_signal(
    page, sam, downtown, catalog
):
    from haven.participants.models import Participant

    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/participants/kept/")
    assert page.evaluate(WAIT_FOR_OFFLINE_CACHE, "/participants/")

    page.context.set_offline(True)
    code = enrol(page, "Robin")
    page.get_by_role("button", name="Log a contact for them").tap()
    expect_the_log_screen_for(page, code)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()

    # Found on the phone, from the outbox, and marked as not sent yet.
    page.goto("/participants/")
    page.get_by_label("Card code, UIC or alias").fill("rob")
    page.get_by_role("button", name="Find").tap()
    results = page.locator("#offline-results")
    expect(results).to_contain_text(f"{code} · Robin · enrolled on this phone, not sent yet")
    page.get_by_role("link", name=f"Timeline of {code}").tap()

    expect(page.locator("#timeline-heading")).to_have_text(f"{code} · Robin")
    entries = page.locator("#timeline-contacts > li")
    expect(entries).to_have_count(2)
    expect(entries.filter(has_text="Not sent yet")).to_have_count(2)
    expect(entries.filter(has_text="1 × Naloxone nasal spray")).to_have_count(1)
    expect(entries.filter(has_text=f"New participant {code}")).to_have_count(1)
    assert_accessible(page)
    # Logging another contact from there goes to them.
    page.get_by_role("button", name="Log a contact").tap()
    expect(page.locator("#logging-for")).to_contain_text(f"Robin · {code}")
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()

    # The enrol screen's own link opens the same timeline.
    enrolled = enrol(page, "Jay")
    page.get_by_role("link", name="Their timeline").tap()
    expect(page.locator("#timeline-heading")).to_have_text(f"{enrolled} · Jay")
    expect(page.locator("#timeline-contacts > li")).to_have_count(1)

    page.goto("/outreach/log/")
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible(timeout=15_000)
    robin = Participant.objects.get(alias="Robin")
    assert robin.display_code == code
    assert Encounter.objects.filter(participant=robin).count() == 2


# The id of the key each outbox record names as the one that sealed it.
KEY_IDS = (
    "async () => (await ("
    + STORED_OUTBOX.replace("sealed: { iv", "sealed: { key: sealed.key, iv")
    + ")()).map((record) => record.sealed.key)"
)


def test_a_record_sealed_with_a_key_haven_retired_is_sealed_again_and_sent_once(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.goto("/outreach/log/")
    go_offline_when_ready(page)
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_label("Note").fill(NOTE)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    old = FieldDeviceKey.objects.get()
    assert page.evaluate(KEY_IDS) == [str(old.pk)]

    # A month later the key is past its lifetime; the session ended meanwhile.
    FieldDeviceKey.objects.update(created_at=timezone.now() - timedelta(days=31))
    page.context.clear_cookies(name="sessionid")
    page.route("**/api/v1/sync", lambda route: route.abort())  # Haven out of reach, for now
    page.context.set_offline(False)
    log_in(page, "sam", PASSWORD)

    # A new key seals new records; the record is sealed again with it, and the
    # old key, released by the phone, is gone from Haven.
    def new_key_only():
        keys = list(FieldDeviceKey.objects.values_list("pk", "retired_at"))
        return len(keys) == 1 and keys[0][0] != old.pk and keys[0][1] is None

    for _ in range(100):
        if new_key_only():
            break
        page.wait_for_timeout(100)
    assert new_key_only()
    new = FieldDeviceKey.objects.get()
    assert wait_for(page, KEY_IDS, [str(new.pk)]) == [str(new.pk)]
    assert not Encounter.objects.exists()

    page.unroute("**/api/v1/sync")
    page.goto("/outreach/log/")
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible(timeout=15_000)
    assert Encounter.objects.get().note == NOTE
