"""Records waiting on the phone whose client UUID Haven holds already, with other details,
in Chromium at phone size: the outbox says what each was and what to do, never the UUID,
stops sending it, and offers only to discard the copy. "Edit and retry" would send it
under a new UUID, to be counted beside the record saved; it stays for what can be fixed."""

import datetime
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, go_online, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter
from haven.outreach.tests.test_browser_offline import (
    WHAT_IS_LEFT_ON_THE_PHONE,
    expect_the_log_screen_for,
    go_offline_when_ready,
    log_contact,
)
from haven.outreach.tests.test_browser_offline_records import (
    make_area,
    ready,
    report_overdose,
)
from haven.participants import codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAITING_UUIDS = "async () => (await window.havenField.outbox.all()).map((r) => r.client_uuid)"
CONTACTS_WAITING = """async () => (await window.havenField.outbox.all())
  .filter((r) => r.kind === "contact")
  .map((r) => r.client_uuid)"""
SEND_THE_OUTBOX = "() => window.havenField.sendOutbox()"
# The state of one record in the outbox, by its client UUID.
STATE_OF = """async (uuid) => {
  const record = (await window.havenField.outbox.all()).find((r) => r.client_uuid === uuid);
  return record && { state: record.state, card_code: record.body.card_code };
}"""
ALREADY_SAVED = (
    r"Already saved from another phone or an earlier send with different details\. "
    r"Check the saved record; then discard this copy\.$"
)
A_TIME = r"\d{1,2}:\d{2}( [AP]M)?"


def uuids_sent(syncs):
    """The client UUIDs of every record sent, one list per sync."""
    return [[record["client_uuid"] for record in sync.post_data_json["records"]] for sync in syncs]


def listen_to_syncs(page):
    syncs = []
    page.on("request", lambda request: "/api/v1/sync" in request.url and syncs.append(request))
    return syncs


def haven_holds_the_uuid_with_other_details(client_uuid, participant, staff, site, catalog):
    """Haven got a contact under `client_uuid` (a record's on the phone) with other
    details than the phone's: 10 syringes, for `participant`."""
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.UUID(client_uuid),
            site=site,
            contact_type="street",
            participant=participant,
            supplies={catalog["syringes"]: 10},
        ),
        staff=staff,
    )


def test_a_contact_already_saved_is_explained_and_only_discarded_and_a_mistake_is_fixed(
    page, sam, downtown, participant, catalog
):
    unknown_code = codes.format_code(codes.generate())
    log_in(page, "sam", PASSWORD)
    ready(page)
    go_offline_when_ready(page)
    log_contact(page, card_code=participant.display_code, naloxone=1)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    [waiting] = page.evaluate(WAITING_UUIDS)
    # A second contact, for a card code nobody has: a mistake the worker can fix.
    log_contact(page, card_code=unknown_code)
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()

    # Meanwhile Haven got a contact under the first one's UUID with other details
    # (an earlier send of this contact, before it was changed on the phone).
    haven_holds_the_uuid_with_other_details(waiting, participant, sam, downtown, catalog)
    syncs = listen_to_syncs(page)
    go_online(page)

    copy = page.locator("#outbox-list > li.problem", has_text="Already saved")
    mistake = page.locator("#outbox-list > li.problem", has_text=unknown_code)
    expect(copy).to_contain_text("Needs your attention")
    reason = copy.locator(".errorlist li")
    expect(reason).to_have_text(re.compile(rf"^Contact logged {A_TIME}\. {ALREADY_SAVED}"))
    # Neither the UUID nor who the contact was for is in the explanation.
    assert waiting not in copy.inner_text()
    assert participant.display_code not in reason.inner_text()
    # The copy can only be discarded: nothing to retry, no naloxone details to add.
    expect(copy.get_by_role("button")).to_have_text(["Discard"])
    # A record refused for a mistake is still fixed and sent again.
    expect(mistake).to_contain_text(f"No participant has the card code {unknown_code}.")
    expect(mistake.get_by_role("button")).to_have_text(["Edit and retry", "Discard"])
    assert_accessible(page)

    mistake.get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_label("Card code")).to_have_value(unknown_code)
    page.get_by_label("Card code").fill(participant.display_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(mistake).to_have_count(0)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    assert Encounter.objects.count() == 2

    # Sending again cannot help the copy: the outbox keeps it without sending it.
    sent_before = len(syncs)
    page.evaluate(SEND_THE_OUTBOX)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert len(syncs) == sent_before
    assert [waiting in sent for sent in uuids_sent(syncs)] == [True, False]
    expect(copy).to_have_count(1)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    copy.get_by_role("button", name="Discard").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    expect(copy).to_have_count(0)
    assert asked == ["Discard this copy? The record saved in Haven stays as it is."]
    assert page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)["records"] == 0
    # Haven's record is untouched: the copy on the phone was the one let go.
    saved = Encounter.objects.get(client_uuid=waiting)
    assert saved.supplies.get().item == catalog["syringes"]
    assert Encounter.objects.exclude(pk=saved.pk).get().participant == participant
    assert_accessible(page)


def test_a_clashing_contact_of_someone_whose_enrolment_is_fixed_is_sent_once_more_only(
    page, sam, downtown, catalog
):
    """Someone enrolled with no signal, two contacts for them, and their code used
    meanwhile for someone else; Haven also holds the first contact's UUID with other
    details. Fixing the enrolment sends the two contacts behind it: the clashing one
    is refused as already saved, and from then on is only discarded, never sent again
    however the person's enrolment changes."""
    from haven.outreach.tests.test_browser_offline_shift import enrol, ready_for_no_signal
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
    [clashing] = page.evaluate(CONTACTS_WAITING)
    log_contact(page, card_code=code)
    expect(page.get_by_role("heading", name="Waiting to send: 3")).to_be_visible()

    other = Participant.objects.create(alias="Other", created_by=sam, enrolled_site=downtown)
    ReservedCardCode.objects.filter(code=codes.normalise(code)).update(participant=other)
    haven_holds_the_uuid_with_other_details(clashing, other, sam, downtown, catalog)
    syncs = listen_to_syncs(page)
    go_online(page)
    problems = page.locator("#outbox-list > li.problem")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("was used already for someone else")
    # The contacts wait for the enrolment; each can still be fixed on its own.
    for contact in (problems.nth(1), problems.nth(2)):
        expect(contact).to_contain_text("fix the enrolment first")
        expect(contact.get_by_role("button", name="Edit and retry")).to_be_visible()

    problems.nth(0).get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enroll a participant")
    page.get_by_role("button", name="Enroll and make a card").tap()
    expect(page.locator("#enrolled-offline")).to_be_focused()
    new_code = page.locator("#enrolled-code").inner_text()
    assert new_code != code
    # The enrolment and the contact behind it are stored; the clashing copy is not.
    expect(page.locator("#outbox-pending-text")).to_have_text(
        "Waiting to send: 1 · Needs your attention: 1"
    )
    robin = Participant.objects.get(alias="Robin")
    assert robin.display_code == new_code
    assert robin.encounters.count() == 1
    assert Encounter.objects.get(client_uuid=clashing).participant == other

    page.goto("/outreach/log/")
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    copy = page.locator("#outbox-list > li.problem")
    expect(copy.locator(".errorlist li")).to_have_text(
        re.compile(rf"^Contact logged {A_TIME}\. {ALREADY_SAVED}")
    )
    # Listed under Robin's new code: the old one is someone else's now.
    expect(copy).to_contain_text(new_code)
    expect(copy).not_to_contain_text(code)
    expect(copy.get_by_role("button")).to_have_text(["Discard"])
    assert_accessible(page)

    # Were Robin's enrolment fixed with yet another code, the copy would follow
    # them but stay as it is: sent again it would only be refused again.
    page.evaluate("([a, b]) => window.havenField.followNewCardCode(a, b)", [new_code, code])
    page.evaluate(SEND_THE_OUTBOX)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert page.evaluate(STATE_OF, clashing) == {"state": "problem", "card_code": code}
    # Sent in the first batch and in the one behind the fixed enrolment: never again.
    assert sum(clashing in sent for sent in uuids_sent(syncs)) == 2
    assert robin.encounters.count() == 1 and Encounter.objects.count() == 2


def test_an_overdose_report_already_saved_is_never_opened_to_be_retried(
    page, sam, downtown, catalog
):
    from haven.overdose.actions import OverdoseReportData, do_record_overdose_report
    from haven.overdose.models import OverdoseReport

    area = make_area()
    log_in(page, "sam", PASSWORD)
    ready(page, "/overdose/reports/new/", "/static/overdose/offline_report.js")
    page.context.set_offline(True)
    report_overdose(page, "85281 Downtown")
    [waiting] = page.evaluate(WAITING_UUIDS)
    # Haven holds a report under its UUID with other details.
    do_record_overdose_report(
        OverdoseReportData(
            client_uuid=uuid.UUID(waiting),
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            area=area,
            reported_by="staff",
        ),
        by=sam,
    )
    go_online(page)
    expect(page.locator("#outbox-pending")).to_contain_text("Needs your attention: 1")

    page.goto("/outreach/log/")
    copy = page.locator("#outbox-list > li.problem")
    expect(copy.locator(".errorlist li")).to_have_text(
        re.compile(rf"^Overdose report made {A_TIME}\. {ALREADY_SAVED}")
    )
    expect(copy.get_by_role("button")).to_have_text(["Discard"])
    assert_accessible(page)

    # Nor does the report's screen take it to fix, were it named there (as the
    # outbox of an earlier version did): the form opens empty, for a new report.
    page.evaluate("(uuid) => sessionStorage.setItem('haven-outbox-edit', uuid)", waiting)
    page.goto("/overdose/reports/new/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_timeout(500)
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(page.get_by_label("Staff saw it")).not_to_be_checked()
    expect(page.get_by_label("A participant")).not_to_be_checked()
    assert page.evaluate(STATE_OF, waiting)["state"] == "problem"
    assert OverdoseReport.objects.get().reported_by == "staff"


def test_an_enrolment_already_saved_is_discarded_and_its_contact_named_anew(
    page, sam, downtown, catalog
):
    """Someone enrolled with no signal and a contact for them, while Haven holds that
    enrolment already under another of the phone's codes. The copy of the enrolment is
    only discarded; the contact says so, and is fixed by naming the person saved."""
    from haven.outreach.tests.test_browser_offline_shift import (
        HELD_CODES,
        enrol,
        ready_for_no_signal,
    )
    from haven.participants.actions import do_enroll_with_reserved_code
    from haven.participants.models import Participant

    log_in(page, "sam", PASSWORD)
    ready_for_no_signal(page)
    page.context.set_offline(True)
    code = enrol(page, "Robin")
    page.get_by_role("button", name="Log a contact for them").tap()
    expect_the_log_screen_for(page, code)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Waiting to send: 2")).to_be_visible()
    [contact] = page.evaluate(CONTACTS_WAITING)
    [enrolment] = [u for u in page.evaluate(WAITING_UUIDS) if u != contact]

    # Haven holds that enrolment already, made with another of the phone's codes.
    saved_code = page.evaluate(HELD_CODES, "sam")[0]
    robin, _created = do_enroll_with_reserved_code(
        by=sam,
        site=downtown,
        client_uuid=uuid.UUID(enrolment),
        card_code=codes.normalise(saved_code),
        alias="Robin",
    )
    syncs = listen_to_syncs(page)
    go_online(page)
    copy = page.locator("#outbox-list > li.problem", has_text="Enrolment made")
    waiting = page.locator("#outbox-list > li.problem", has_text="change who this is for")
    expect(copy.locator(".errorlist li")).to_have_text(
        re.compile(rf"^Enrolment made {A_TIME}\. {ALREADY_SAVED}")
    )
    expect(copy.get_by_role("button")).to_have_text(["Discard"])
    expect(waiting.locator(".errorlist li")).to_have_text(
        f"{code} is the card of someone whose enrolment was already saved with different "
        "details: check the saved record, then change who this is for."
    )
    expect(waiting.get_by_role("button")).to_have_text(
        ["Naloxone details", "Edit and retry", "Discard"]
    )
    assert_accessible(page)

    # Discarding the copy asks what becomes of the contact made for the person:
    # kept, it waits for the worker to choose who it is for.
    copy.get_by_role("button", name="Discard").tap()
    choice = page.get_by_role("dialog")
    expect(choice).to_contain_text(
        "Discard this copy? The record saved in Haven stays as it is. Records made for "
        "this person, waiting on this phone: 1."
    )
    choice.get_by_role("button", name="Keep them to choose who they are for").tap()
    expect(copy).to_have_count(0)
    waiting = page.locator("#outbox-list > li.problem")
    expect(waiting.locator(".errorlist li")).to_have_text(
        f"{code} is not the card of the person this was made for: their enrolment on the "
        "phone was not saved with this code. Choose who this is for."
    )
    waiting.get_by_role("button", name="Edit and retry").tap()
    expect(page.get_by_label("Card code")).to_have_value("")
    page.get_by_label("Card code").fill(saved_code)
    page.get_by_role("button", name="Save contact").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    assert Encounter.objects.get(client_uuid=contact).participant == robin
    assert Participant.objects.count() == 1
    # The copy of the enrolment went once; the contact once refused, once stored.
    sent = uuids_sent(syncs)
    assert (sum(enrolment in s for s in sent), sum(contact in s for s in sent)) == (1, 2)
