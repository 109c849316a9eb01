"""A contact waiting on the phone whose client UUID Haven holds already, with other
details, in Chromium at phone size: the outbox says what it was and what to do, never
the UUID, stops sending it, and lets the worker discard the copy."""

import re
import uuid

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter
from haven.outreach.tests.test_browser_offline import (
    WHAT_IS_LEFT_ON_THE_PHONE,
    go_offline_when_ready,
    log_contact,
)
from haven.outreach.tests.test_browser_offline_records import go_online, ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAITING_UUIDS = "async () => (await window.havenField.outbox.all()).map((r) => r.client_uuid)"
SEND_THE_OUTBOX = "() => window.havenField.sendOutbox()"


def test_a_contact_already_saved_with_other_details_is_explained_and_discarded(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    ready(page)
    go_offline_when_ready(page)
    log_contact(page, card_code=participant.display_code, naloxone=1)
    expect(page.get_by_role("heading", name="Waiting to send: 1")).to_be_visible()
    [waiting] = page.evaluate(WAITING_UUIDS)

    # Meanwhile Haven got a contact under the same UUID with other details
    # (an earlier send of this contact, before it was changed on the phone).
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.UUID(waiting),
            site=downtown,
            contact_type="street",
            participant=participant,
            supplies={catalog["syringes"]: 10},
        ),
        staff=sam,
    )
    syncs = []
    page.on("request", lambda request: "/api/v1/sync" in request.url and syncs.append(request))
    go_online(page)

    problem = page.locator("#outbox-list > li.problem")
    expect(problem).to_contain_text("Needs your attention")
    reason = problem.locator(".errorlist li")
    expect(reason).to_have_text(
        re.compile(
            r"^Contact logged \d{1,2}:\d{2}( [AP]M)?\. Already saved from another phone or an "
            r"earlier send with different details\. Check the saved record; then discard this "
            r"copy\.$"
        )
    )
    # Neither the UUID nor who the contact was for is in the explanation.
    assert waiting not in problem.inner_text()
    assert participant.display_code not in reason.inner_text()
    assert_accessible(page)

    # Sending again cannot help: the outbox keeps it without sending it.
    sent_before = len(syncs)
    page.evaluate(SEND_THE_OUTBOX)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert len(syncs) == sent_before
    expect(problem).to_have_count(1)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    problem.get_by_role("button", name="Discard").tap()
    expect(page.get_by_role("heading", name="Everything is sent.")).to_be_visible()
    expect(problem).to_have_count(0)
    assert asked == ["Discard this copy? The record saved in Haven stays as it is."]
    assert page.evaluate(WHAT_IS_LEFT_ON_THE_PHONE)["records"] == 0
    # Haven's record is untouched: the copy on the phone was the one let go.
    assert Encounter.objects.get().supplies.get().item == catalog["syringes"]
    assert_accessible(page)
