"""In site scope, a trainer of Eastside runs a session she gives with a Downtown trainer,
on her phone: she sees the Downtown participant who came by the name for his certificate,
never his card code, and issues that certificate."""

import uuid

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.training.actions import do_add_attendee
from haven.training.models import Certificate

from .conftest import take_quiz

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_co_trainer_of_another_site_issues_a_downtown_participants_certificate(
    page, live_server, settings, make_session, sam, olga, downtown, participant
):
    settings.HAVEN_RECORD_SCOPE = "site"
    session = make_session(by=sam, site=downtown, place="", trainers=[sam, olga])
    attendee, _created = do_add_attendee(
        session,
        client_uuid=uuid.uuid4(),
        by=sam,
        participant=participant,
        name="Alex Rivera",
        consent=True,
    )
    take_quiz("post", attendee=attendee)

    log_in(page, "olga", PASSWORD)
    page.goto(f"/training/sessions/{session.pk}/")
    row = page.locator(".card-list li").filter(has_text="Alex Rivera")
    expect(row).to_contain_text("A participant of a site outside yours")
    expect(page.get_by_text(participant.display_code)).to_have_count(0)
    assert_accessible(page)
    row.get_by_role("button", name="Issue certificate").tap()
    expect(page.get_by_role("status")).to_contain_text("Certificate issued.")
    expect(page.get_by_role("link", name="Wallet card (PDF)")).to_be_visible()
    assert Certificate.objects.get().attendee == attendee
