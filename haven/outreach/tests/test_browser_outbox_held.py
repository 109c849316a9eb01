"""Records made on the phone for someone enrolled there, held behind that enrolment, in
Chromium at phone size. When Haven refuses the enrolment because its card code was taken
meanwhile, whoever has that code in Haven is someone else: what was made for the person
enrolled is never sent under that code unless the worker chooses who it is for. Discarding
the enrolment asks what becomes of its records; naloxone details wait behind their contact
and go with it."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, go_online, log_in
from haven.outreach.models import Encounter
from haven.outreach.tests.test_browser_offline import (
    WHAT_IS_LEFT_ON_THE_PHONE,
    expect_the_log_screen_for,
    log_contact,
)
from haven.outreach.tests.test_browser_offline_records import keep_screens, make_training
from haven.outreach.tests.test_browser_offline_shift import enrol, ready_for_no_signal
from haven.outreach.tests.test_browser_outbox_already_saved import (
    CONTACTS_WAITING,
    SEND_THE_OUTBOX,
    listen_to_syncs,
    uuids_sent,
)
from haven.participants import codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE_TAKEN = "was used already for someone else"
NALOXONE_SCREEN = ("/overdose/naloxone/", "/api/v1/items", "/api/v1/kits")
# The client UUID of the naloxone details waiting for a contact, by its client UUID.
DETAILS_OF = """async (contact) => (await window.havenField.outbox.all())
  .find((r) => r.kind === "naloxone_details" && r.body.contact === contact).client_uuid"""


def not_theirs(code):
    return (
        f"{code} is not the card of the person this was made for: their enrolment on the "
        "phone was not saved with this code. Choose who this is for."
    )


def give_the_code_to_someone_else(sam, downtown, code):
    """Another enrolment used the code meanwhile (e.g. a copy of the phone restored
    from a backup): Haven has someone else with it."""
    from haven.participants.actions import do_enroll_with_reserved_code

    other, _created = do_enroll_with_reserved_code(
        by=sam,
        site=downtown,
        client_uuid=uuid.uuid4(),
        card_code=codes.normalise(code),
        alias="Other",
    )
    assert other.display_code == code
    return other


def an_enrolment_refused_for_a_taken_code(page, sam, downtown):
    """Sam enrols Robin with no signal; another enrolment takes the code meanwhile, so
    back in signal Haven refuses Robin's. (Robin's code, the other person, the
    enrolment's line in the outbox.)"""
    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    page.context.set_offline(True)
    code = enrol(page, "Robin")
    other = give_the_code_to_someone_else(sam, downtown, code)
    page.goto("/outreach/log/")
    go_online(page)
    enrolment = page.locator("#outbox-list > li.problem", has_text="New participant")
    expect(enrolment).to_contain_text(CODE_TAKEN)
    return code, other, enrolment


def nothing_more_is_sent(page, syncs):
    sent_before = len(syncs)
    page.evaluate(SEND_THE_OUTBOX)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert len(syncs) == sent_before


def give_naloxone_details(page, contact):
    """Naloxone details for a contact waiting on the phone, on their own kept screen
    (as the outbox's "Naloxone details" opens it); returns their client UUID."""
    page.evaluate("(uuid) => sessionStorage.setItem('haven-naloxone-for', uuid)", contact)
    page.goto("/overdose/naloxone/")
    page.get_by_role("button", name="Save naloxone details").tap()
    expect(page.locator("#naloxone-kept")).to_be_focused()
    return page.evaluate(DETAILS_OF, contact)


def test_a_contact_held_behind_a_discarded_enrolment_never_reaches_who_has_its_code(
    page, sam, downtown, participant, catalog
):
    """Robin is enrolled with no signal; the code was taken meanwhile, so Haven refuses
    the enrolment. A contact logged for Robin afterwards waits behind it. The worker
    discards the enrolment and keeps the contact: it is not sent under Robin's old code
    (it was, and was stored on whoever has that code), not even when retried with it,
    and goes to the person the worker then chooses."""
    code, other, enrolment = an_enrolment_refused_for_a_taken_code(page, sam, downtown)

    # A contact for Robin, with no signal again: it waits behind the enrolment.
    page.context.set_offline(True)
    log_contact(page, card_code=code, naloxone=1)
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    [contact] = page.evaluate(CONTACTS_WAITING)
    syncs = listen_to_syncs(page)
    go_online(page)
    nothing_more_is_sent(page, syncs)
    assert syncs == []
    # Its line says what it waits for, by the code the enrolment's line shows.
    waiting = page.locator(f"#outbox-list > li[data-uuid='{contact}']")
    expect(waiting.locator(".outbox-waits")).to_have_text(f"Waits for the enrolment of {code}")
    expect(enrolment.locator(".outbox-waits")).to_have_count(0)
    assert_accessible(page)

    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    enrolment.get_by_role("button", name="Discard").tap()
    choice = page.get_by_role("dialog")
    expect(choice.locator("p")).to_have_text(
        "Discard this record? It has not been saved in Haven. Records made for this person, "
        "waiting on this phone: 1. Discard them too, or keep them and choose who each is "
        "for? They are never sent under this card code."
    )
    expect(choice.get_by_role("button")).to_have_text(
        ["Discard them too", "Keep them to choose who they are for", "Cancel"]
    )
    assert_accessible(page)
    # Cancel leaves everything as it was.
    choice.get_by_role("button", name="Cancel").tap()
    expect(choice).to_have_count(0)
    expect(enrolment).to_be_visible()
    expect(enrolment.get_by_role("button", name="Discard")).to_be_focused()

    enrolment.get_by_role("button", name="Discard").tap()
    choice.get_by_role("button", name="Keep them to choose who they are for").tap()
    expect(enrolment).to_have_count(0)
    held = page.locator("#outbox-list > li.problem")
    expect(held.locator(".errorlist li")).to_have_text(not_theirs(code))
    # It no longer waits for an enrolment: it needs a person.
    expect(held.locator(".outbox-waits")).to_have_count(0)
    expect(held.get_by_role("button")).to_have_text(
        ["Naloxone details", "Edit and retry", "Discard"]
    )
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    assert_accessible(page)
    nothing_more_is_sent(page, syncs)
    assert syncs == [] and asked == []

    # Retried with Robin's old code, it is refused on the phone, saying why.
    held.get_by_role("button", name="Edit and retry").tap()
    card_code = page.get_by_label("Card code")
    expect(card_code).to_have_value("")
    card_code.fill(code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.locator("#offline-form-error")).to_have_text(not_theirs(code))
    page.wait_for_timeout(500)
    assert syncs == [] and not Encounter.objects.exists()

    # Robin was someone Haven knew already: named by their own card, it is stored on them.
    card_code.fill(participant.display_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get(client_uuid=contact).participant == participant
    assert not other.encounters.exists()
    assert [contact in sent for sent in uuids_sent(syncs)] == [True]


def test_a_contact_refused_behind_an_enrolment_is_not_retried_as_it_is_and_goes_with_it(
    page, sam, downtown, catalog
):
    """Robin's enrolment and a contact for them (with naloxone details) are refused in one
    batch, the code having been taken. "Edit and retry" with the code unchanged is refused
    on the phone; discarding the enrolment with its records takes the contact and its
    naloxone details too, and none of them ever reaches whoever has the code."""
    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    keep_screens(page, *NALOXONE_SCREEN)
    page.context.set_offline(True)
    code = enrol(page, "Robin")
    page.get_by_role("button", name="Log a contact for them").tap()
    expect_the_log_screen_for(page, code)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    [contact] = page.evaluate(CONTACTS_WAITING)
    # Its naloxone details, made with no signal on their own screen.
    details = give_naloxone_details(page, contact)
    other = give_the_code_to_someone_else(sam, downtown, code)

    page.goto("/outreach/log/")
    syncs = listen_to_syncs(page)
    go_online(page)
    enrolment = page.locator("#outbox-list > li.problem", has_text="New participant")
    waiting = page.locator("#outbox-list > li.problem", has_text="fix the enrolment first")
    expect(enrolment).to_contain_text(CODE_TAKEN)
    expect(waiting).to_have_count(1)
    # The details wait for their contact, which waits for the enrolment.
    details_line = page.locator(f"#outbox-list > li[data-uuid='{details}']")
    expect(details_line.locator(".outbox-waits")).to_have_text("Waits for its contact")

    waiting.get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_label("Card code")).to_have_value(code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.locator("#offline-form-error")).to_have_text(
        f"{code} is the card of someone whose enrolment Haven did not accept: fix the "
        "enrolment first (what was made for them follows its new code), or choose who "
        "this is for."
    )
    assert_accessible(page)

    page.on("dialog", lambda dialog: dialog.accept())
    enrolment.get_by_role("button", name="Discard").tap()
    choice = page.get_by_role("dialog")
    expect(choice).to_contain_text("Records made for this person, waiting on this phone: 1.")
    choice.get_by_role("button", name="Discard them too").tap()
    expect(page.locator("#outbox-list > li")).to_have_count(0)
    assert page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)["records"] == 0
    nothing_more_is_sent(page, syncs)
    # The contact went once, in the batch its enrolment was refused in; never again.
    # Its details, waiting behind it, never went at all.
    assert sum(contact in sent for sent in uuids_sent(syncs)) == 1
    assert not any(details in sent for sent in uuids_sent(syncs))
    assert not Encounter.objects.exists() and not other.encounters.exists()


def test_with_signal_a_contact_for_someone_whose_enrolment_waits_waits_behind_it(
    page, sam, downtown, catalog
):
    """Robin's enrolment waits on the phone, refused (the code was taken). Back in signal,
    the worker logs a contact for Robin's code: it is not posted to Haven, which would
    store it on whoever has that code, but kept behind the enrolment, and follows
    Robin's new code when the enrolment is fixed."""
    from haven.participants.models import Participant

    code, other, enrolment = an_enrolment_refused_for_a_taken_code(page, sam, downtown)

    log_contact(page, card_code=code, naloxone=1)
    expect(page.locator("#outbox-status")).to_have_text(
        "Saved on this phone. It will be sent when there is signal."
    )
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    assert page.url.endswith("/outreach/log/")
    assert not Encounter.objects.exists() and not other.encounters.exists()
    held = page.locator("#outbox-list > li.pending")
    expect(held.locator(".outbox-waits")).to_have_text(f"Waits for the enrolment of {code}")

    enrolment.get_by_role("button", name="Edit and retry").tap()
    page.get_by_role("button", name="Enroll and make a card").tap()
    expect(page.locator("#enrolled-offline")).to_be_focused()
    new_code = page.locator("#enrolled-code").inner_text()
    expect(page.locator("#outbox-pending")).to_contain_text("Sent: 2")
    robin = Participant.objects.get(alias="Robin")
    assert robin.display_code == new_code
    assert Encounter.objects.get().participant == robin
    assert not other.encounters.exists()


def test_naloxone_details_go_with_their_contact_and_those_left_alone_are_only_discarded(
    page, sam, downtown, catalog
):
    """Two contacts for a card code nobody has, each with naloxone details: Haven refuses
    the contacts, and the details wait behind them. The first contact was discarded by a
    phone of an earlier version, which left its details behind: sent, Haven refuses them,
    and they say so and offer only Discard. The second is discarded now: its details go
    with it, as the question says."""
    unknown = codes.format_code(codes.generate())
    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    keep_screens(page, *NALOXONE_SCREEN)
    page.context.set_offline(True)
    page.goto("/outreach/log/")
    expect(page.locator("#offline-ready")).to_be_visible()
    for waiting in (1, 2):
        log_contact(page, card_code=unknown, naloxone=1)
        expect(page.get_by_role("heading", name=f"Waiting to send: {waiting}")).to_be_visible()
    first, second = page.evaluate(CONTACTS_WAITING)
    for contact in (first, second):
        give_naloxone_details(page, contact)
    page.goto("/outreach/log/")
    go_online(page)
    problems = page.locator("#outbox-list > li.problem")
    expect(problems).to_have_count(2)
    expect(page.locator("#outbox-list > li")).to_have_count(4)

    page.evaluate("(uuid) => window.havenField.outbox.remove(uuid)", first)
    page.reload()
    left_alone = page.locator("#outbox-list > li.problem", has_text="were for was discarded")
    expect(left_alone.locator(".errorlist li")).to_have_text(
        "The contact these naloxone details were for was discarded on this phone: discard them too."
    )
    expect(left_alone.get_by_role("button")).to_have_text(["Discard"])
    assert_accessible(page)

    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator(f"#outbox-list > li[data-uuid='{second}']").get_by_role(
        "button", name="Discard"
    ).tap()
    expect(problems).to_have_count(1)
    assert asked == [
        "Discard this record? It has not been saved in Haven. Its naloxone details, "
        "waiting on this phone, go with it."
    ]
    left_alone.get_by_role("button", name="Discard").tap()
    expect(page.locator("#outbox-list > li")).to_have_count(0)
    assert page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)["records"] == 0


def test_naloxone_details_wait_behind_their_refused_contact_and_follow_it_once_fixed(
    page, sam, downtown, participant, catalog
):
    """A contact logged with no signal for a mistyped card code, with naloxone details.
    Back in signal Haven refuses the contact; its details are not sent ahead of it (Haven
    would refuse them too, for want of their contact) but wait behind it, unsent however
    often the outbox is sent. Once the worker fixes the contact and Haven stores it, the
    details go, and are stored on that contact."""
    from haven.overdose.models import NaloxoneDistribution

    unknown = codes.format_code(codes.generate())
    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    keep_screens(page, *NALOXONE_SCREEN)
    page.context.set_offline(True)
    page.goto("/outreach/log/")
    expect(page.locator("#offline-ready")).to_be_visible()
    log_contact(page, card_code=unknown, naloxone=1)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    [contact] = page.evaluate(CONTACTS_WAITING)
    details = give_naloxone_details(page, contact)

    page.goto("/outreach/log/")
    syncs = listen_to_syncs(page)
    go_online(page)
    refused = page.locator("#outbox-list > li.problem")
    expect(refused).to_contain_text(f"No participant has the card code {unknown}.")
    expect(refused).to_have_count(1)
    waiting = page.locator(f"#outbox-list > li[data-uuid='{details}']")
    expect(waiting).to_contain_text("Naloxone details, contact of")
    expect(waiting).to_have_class(re.compile(r"\bpending\b"))
    # The line says, in words, why the details are not sent; the contact waits for nothing.
    expect(waiting.locator(".outbox-waits")).to_have_text("Waits for its contact")
    expect(refused.locator(".outbox-waits")).to_have_count(0)
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    assert_accessible(page)
    nothing_more_is_sent(page, syncs)
    assert uuids_sent(syncs) == [[contact]]
    assert not NaloxoneDistribution.objects.exists()

    refused.get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_label("Card code")).to_have_value(unknown)
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    # Sent, the details' line and what it said it waited for are gone.
    expect(waiting).to_have_count(0)
    expect(page.locator("#outbox-list .outbox-waits")).to_have_count(0)
    assert_accessible(page)
    # The contact is stored first; its details go in the batch after, once.
    assert uuids_sent(syncs) == [[contact], [contact], [details]]
    stored = Encounter.objects.get(client_uuid=contact)
    assert stored.participant == participant
    [detail] = NaloxoneDistribution.objects.all()
    assert (detail.encounter, detail.item, detail.kits, detail.formulation) == (
        stored,
        catalog["naloxone"],
        1,
        "nasal",
    )


def test_an_attendee_made_for_someone_enrolled_follows_their_new_code_and_is_listed_by_it(
    page, sam, downtown, catalog
):
    """An attendee listed with no signal for Robin, enrolled with no signal too, whose
    code was taken: fixing the enrolment gives Robin a new code, which the attendee
    follows, in the outbox list too, and it is stored on Robin."""
    from haven.participants.models import Participant

    session = make_training(sam, downtown)
    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    keep_screens(page, "/training/sessions/kept/", "/static/training/offline_attendance.js")
    page.goto(f"/training/sessions/{session.pk}/")
    page.context.set_offline(True)
    code = enrol(page, "Robin")
    page.goto(f"/training/sessions/{session.pk}/")
    page.get_by_label("Card code (a participant)").fill(code)
    page.get_by_role("button", name="List attendee").tap()
    expect(page.locator("#attendance-kept")).to_be_focused()
    other = give_the_code_to_someone_else(sam, downtown, code)

    page.goto("/outreach/log/")
    go_online(page)
    problems = page.locator("#outbox-list > li.problem")
    expect(problems).to_have_count(2)
    expect(problems.nth(1)).to_contain_text(f"Attendee at a training, {code}")
    page.context.set_offline(True)
    problems.nth(0).get_by_role("button", name="Edit and retry").tap()
    page.get_by_role("button", name="Enroll and make a card").tap()
    expect(page.locator("#enrolled-offline")).to_be_focused()
    new_code = page.locator("#enrolled-code").inner_text()

    page.goto("/outreach/log/")
    attendee = page.locator("#outbox-list > li", has_text="Attendee at a training")
    expect(attendee).to_contain_text(f"Attendee at a training, {new_code}")
    expect(attendee).not_to_contain_text(code)
    # It goes in the same batch as its enrolment, now ready to send: it waits for nothing.
    expect(attendee.locator(".outbox-waits")).to_have_count(0)
    go_online(page)
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    robin = Participant.objects.get(alias="Robin")
    assert robin.display_code == new_code
    assert session.attendees.get().participant == robin
    assert other.pk != robin.pk


def test_a_contact_whose_enrolment_was_dropped_is_refused_by_haven_and_not_retried_as_it_is(
    page, sam, downtown, participant, catalog
):
    """A phone of an earlier version discarded Robin's refused enrolment and nothing
    else, so the contact made for Robin was sent under the old code. It names the
    enrolment it was made for, so Haven refuses it rather than store it on whoever has
    that code; retried unchanged it is refused on the phone, and named anew it is stored."""
    code, other, enrolment = an_enrolment_refused_for_a_taken_code(page, sam, downtown)
    page.context.set_offline(True)
    log_contact(page, card_code=code)
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    enrolment_uuid = enrolment.get_attribute("data-uuid")
    page.evaluate("(uuid) => window.havenField.outbox.remove(uuid)", enrolment_uuid)

    go_online(page)
    refused = page.locator("#outbox-list > li.problem")
    expect(refused.locator(".errorlist li")).to_have_text(not_theirs(code))
    assert not Encounter.objects.exists()
    refused.get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_label("Card code")).to_have_value(code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.locator("#offline-form-error")).to_have_text(not_theirs(code))

    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get().participant == participant
    assert not other.encounters.exists()
