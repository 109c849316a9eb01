"""Record scope "site": a read by card code finds only my sites' participants.

The reads' half of test_site_scope_writes.py. Sunny is known only Downtown
(enrolled there by Sam); Olga works only Eastside. Olga types Sunny's card
code into the search box and the API lookup (with her phone's token and with
her session), then a valid code that nobody has, and compares the two answers:
once the code she typed is taken out they must be the same to the byte, asked
with the same statements, so that neither their text, their status nor their
time confirms that Sunny's code is someone's. Nothing is written for Sunny.
Sam, who works Downtown, still finds him, and so does Olga in program scope.
"""

import pytest
from django.urls import reverse

from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.participants import codes
from haven.participants.models import Participant

from .test_site_scope_writes import page, statements


@pytest.fixture
def site_scope(settings):
    settings.HAVEN_RECORD_SCOPE = "site"


@pytest.fixture
def nobodys_code(db):
    code = codes.generate()
    while Participant.objects.filter(card_code=code).exists():
        code = codes.generate()
    return code


def assert_read_as_nobodys_code(send, sunny, nobodys_code, status):
    """Olga sends Sunny's code, then nobody's: the same answer, the same statements."""
    send(codes.format_code(nobodys_code))  # a session's first request reads more
    for_sunny = send(sunny.display_code)
    for_nobody = send(codes.format_code(nobodys_code))
    assert for_sunny.status_code == status, for_sunny.content
    assert page(for_sunny, sunny.card_code) == page(for_nobody, nobodys_code)
    assert "Sunny" not in for_sunny.content.decode()
    assert statements(send, sunny.display_code) == statements(send, codes.format_code(nobodys_code))
    # A read refused shows nothing, so it is no read of Sunny's in the audit log.
    assert not AuditEntry.objects.filter(participant=sunny).exists()
    return for_sunny


def search(client, text):
    return client.post(reverse("participants:find"), {"q": text})


def test_in_site_scope_the_search_box_answers_as_for_a_code_nobody_has(
    site_scope, login, olga, participant, nobodys_code
):
    client = login(olga)
    send = lambda code: search(client, code)  # noqa: E731
    answer = assert_read_as_nobodys_code(send, participant, nobodys_code, status=200)
    assert answer.context["form"].errors == {}
    assert answer.context["matches"] == []
    assert "Nobody matches. Check the spelling, or enroll them." in answer.content.decode()


def lookup(client, code):
    return client.post(
        "/api/v1/participants/lookup", {"card_code": code}, content_type="application/json"
    )


@pytest.mark.parametrize("signed_in_with", ["token", "session"])
def test_in_site_scope_the_api_lookup_answers_as_for_a_code_nobody_has(
    signed_in_with, site_scope, login, olga, participant, nobodys_code
):
    client = api_client(olga) if signed_in_with == "token" else login(olga)
    send = lambda code: lookup(client, code)  # noqa: E731
    answer = assert_read_as_nobodys_code(send, participant, nobodys_code, status=404)
    assert (answer.json()["field"], answer.json()["detail"]) == (
        "card_code",
        f"No participant has the card code {participant.display_code}.",
    )


def test_in_site_scope_staff_of_the_participants_site_find_them_by_card_code(
    site_scope, login, sam, participant
):
    client = login(sam)
    found = search(client, participant.display_code)
    assert found.status_code == 302
    assert found.url == reverse("participants:detail", args=[participant.pk])
    answer = lookup(api_client(sam), participant.display_code)
    assert answer.status_code == 200
    assert answer.json()["alias"] == "Sunny"


def test_in_program_scope_staff_of_other_sites_find_a_participant_by_card_code(
    login, olga, participant
):
    found = search(login(olga), participant.display_code)
    assert found.status_code == 302
    answer = lookup(api_client(olga), participant.display_code)
    assert answer.status_code == 200
    assert answer.json()["alias"] == "Sunny"
