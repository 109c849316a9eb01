"""The public certificate pages show a holder's name to anyone with the code: each
time a read of that person, in the audit log like every other read, by nobody
signed in, and never with the code that leads to them."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.training.actions import (
    do_add_attendee,
    do_issue_certificate,
    do_issue_course_certificate,
    do_revoke_certificate,
)

from .conftest import take_quiz


def last_entry_id():
    return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def reads_since(before):
    return list(AuditEntry.objects.filter(pk__gt=before, action=AuditEntry.Action.VIEW))


@pytest.fixture
def participants_certificate(session, sam, participant):
    """Sunny, a participant, listed by card code and by the name she gave, with consent."""
    attendee = do_add_attendee(
        session,
        client_uuid=uuid.uuid4(),
        by=sam,
        participant=participant,
        name="Sunny Vega",
        consent=True,
    )[0]
    take_quiz("post", attendee=attendee)
    return do_issue_certificate(attendee, by=sam)[0]


def test_checking_a_participants_certificate_is_a_read_of_her(participants_certificate):
    certificate = participants_certificate
    before = last_entry_id()
    page = Client().get(reverse("training:verify", args=[certificate.code]))
    assert "Sunny Vega" in page.content.decode()
    [read] = reads_since(before)
    assert (read.user, read.participant, read.page) == (
        None,
        certificate.attendee.participant,
        "public certificate check",
    )
    assert (read.object_type, read.object_id) == ("training.attendee", str(certificate.attendee_id))
    assert certificate.code not in read.page + json.dumps(read.detail)
    assert "no-store" in page["Cache-Control"]


def test_checking_a_named_attendees_certificate_is_a_read_of_the_attendee(named_attendee, sam):
    take_quiz("post", attendee=named_attendee)
    certificate = do_issue_certificate(named_attendee, by=sam)[0]
    before = last_entry_id()
    Client().get(reverse("training:verify", args=[certificate.code]))
    [read] = reads_since(before)
    assert (read.user, read.participant, read.object_id) == (None, None, str(named_attendee.pk))


def test_a_signed_in_user_who_checks_a_certificate_is_named(login, olga, participants_certificate):
    before = last_entry_id()
    login(olga).get(reverse("training:verify", args=[participants_certificate.code]))
    [read] = reads_since(before)
    assert (read.user, read.participant) == (olga, participants_certificate.attendee.participant)


def test_the_course_certificate_and_its_pdf_are_reads_of_the_certificate(db):
    certificate = do_issue_course_certificate(take_quiz("post"), name="Alex Rivera", consent=True)[
        0
    ]
    for url, page in (
        (reverse("training:verify", args=[certificate.code]), "public certificate check"),
        (
            reverse("training:course_certificate_pdf", args=[certificate.code]),
            "public course certificate",
        ),
    ):
        before = last_entry_id()
        assert Client().get(url).status_code == 200
        [read] = reads_since(before)
        assert (read.user, read.object_type, read.object_id, read.page) == (
            None,
            "training.certificate",
            str(certificate.pk),
            page,
        )


def test_a_page_that_names_nobody_reads_nobody(participants_certificate, sue):
    before = last_entry_id()
    assert Client().get(reverse("training:verify", args=["no-such-code"])).status_code == 404
    do_revoke_certificate(participants_certificate, by=sue)
    after_revoking = last_entry_id()
    revoked = Client().get(reverse("training:verify", args=[participants_certificate.code]))
    assert "Sunny" not in revoked.content.decode()
    assert not reads_since(before)
    assert last_entry_id() == after_revoking
