"""Certificates expire; who is due a refresher is listed; one reminder email, by the scheduler."""

import datetime
import logging
import smtplib
import uuid

import pytest
from django.core import mail as outbox
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.training import actions
from haven.training.actions import (
    do_add_attendee,
    do_issue_certificate,
    do_issue_course_certificate,
    do_revoke_certificate,
)
from haven.training.models import Attendee, Certificate
from haven.training.tasks import send_refresher_reminders

from .conftest import answer_on_their_consents_page, take_quiz

NOW = datetime.datetime(2026, 6, 1, 16, 0, tzinfo=datetime.UTC)
TODAY = timezone.localdate(NOW)


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.TRAINING_REMINDER_DAYS = 60
    settings.MAIL_TRAINING_URL = "https://haven.example.org/training/course/"
    return settings


def course_certificate(
    name="Alex", email="alex@example.org", expires_in=60, language="en", today=TODAY
):
    certificate, _created = do_issue_course_certificate(
        take_quiz("post"), name=name, consent=True, email=email, language=language
    )
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_on=today + datetime.timedelta(days=expires_in)
    )
    return Certificate.objects.get(pk=certificate.pk)


def session_certificate(session, by, name, expires_in, email="", today=TODAY):
    attendee, _ = do_add_attendee(session, client_uuid=uuid.uuid4(), by=by, name=name, consent=True)
    take_quiz("post", attendee=attendee)
    certificate, _ = do_issue_certificate(attendee, by=by, email=email)
    Certificate.objects.filter(pk=certificate.pk).update(
        expires_on=today + datetime.timedelta(days=expires_in)
    )
    return certificate


def test_a_reminder_is_sent_once_when_the_certificate_is_due(db):
    due = course_certificate(expires_in=60)
    course_certificate(name="Later", email="later@example.org", expires_in=61)
    course_certificate(name="No email", email="", expires_in=10)

    assert actions.do_send_refresher_reminders(now=NOW) == 1
    [message] = outbox.outbox
    assert message.to == ["alex@example.org"]
    assert "expires on" in message.body
    assert "https://haven.example.org/training/course/" in message.body
    assert Certificate.objects.get(pk=due.pk).reminder_sent_at == NOW
    assert AuditEntry.objects.filter(
        object_type="training.certificate", object_id=str(due.pk), detail__reminder="sent"
    ).exists()

    # Never twice: not on the next run, nor when it has expired; the next day, the
    # certificate that expires a day later is due in turn.
    runs = [
        actions.do_send_refresher_reminders(now=NOW + datetime.timedelta(days=days))
        for days in (0, 1, 90)
    ]
    assert runs == [0, 1, 0]
    assert [m.to for m in outbox.outbox] == [["alex@example.org"], ["later@example.org"]]


def test_a_revoked_certificate_is_not_reminded(db, sue):
    certificate = course_certificate(expires_in=5)
    do_revoke_certificate(certificate, by=sue)
    assert actions.do_send_refresher_reminders(now=NOW) == 0
    assert not outbox.outbox


def test_the_reminder_is_in_the_holders_language(db):
    course_certificate(expires_in=30, language="es")
    actions.do_send_refresher_reminders(now=NOW)
    [message] = outbox.outbox
    assert "vence el" in message.body
    assert "certificado" in message.subject


def test_a_reminder_that_fails_to_send_is_tried_again_not_lost(db, monkeypatch):
    certificate = course_certificate(expires_in=30)

    def broken(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(actions, "send_mail", broken)
    assert actions.do_send_refresher_reminders(now=NOW) == 0
    assert Certificate.objects.get(pk=certificate.pk).reminder_sent_at is None
    monkeypatch.undo()
    assert actions.do_send_refresher_reminders(now=NOW) == 1
    assert len(outbox.outbox) == 1


def test_a_refused_reminder_is_logged_without_the_holders_email(db, monkeypatch, caplog):
    certificate = course_certificate(expires_in=30)

    def refused(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"alex@example.org": (550, b"No such user")})

    monkeypatch.setattr(actions, "send_mail", refused)
    with caplog.at_level(logging.INFO):
        assert actions.do_send_refresher_reminders(now=NOW) == 0
    assert f"certificate {certificate.pk} not sent (SMTPRecipientsRefused)" in caplog.text
    assert "alex@example.org" not in caplog.text


def test_the_scheduler_runs_the_reminders_and_a_second_run_sends_nothing(db, settings):
    from haven.core.schedule import Schedule

    assert send_refresher_reminders in [entry.task for entry in Schedule.from_settings().entries]
    course_certificate(expires_in=1)
    course_certificate(name="B", email="b@example.org", expires_in=2)
    assert send_refresher_reminders.call() == 2
    assert send_refresher_reminders.call() == 0
    assert len(outbox.outbox) == 2


def test_a_trainer_gives_the_email_when_issuing(login, sam, named_attendee):
    take_quiz("post", attendee=named_attendee)
    response = login(sam).post(
        reverse("training:certificate_issue", args=[named_attendee.pk]),
        {"email": "rosa@example.org"},
    )
    assert response.status_code == 302
    certificate = Certificate.objects.get(attendee=named_attendee)
    assert certificate.email == "rosa@example.org"


def test_a_wrong_email_issues_nothing(login, sam, named_attendee):
    take_quiz("post", attendee=named_attendee)
    login(sam).post(
        reverse("training:certificate_issue", args=[named_attendee.pk]), {"email": "not an email"}
    )
    assert not Certificate.objects.exists()


def test_the_expiring_list_shows_who_is_due_a_refresher(login, sam, olga, max_manager, session):
    today = timezone.localdate()  # the page's today
    session_certificate(session, sam, "Rosa Díaz", 30, email="rosa@example.org", today=today)
    session_certificate(session, sam, "Much Later", 400, today=today)
    session_certificate(session, sam, "Expired", -1, today=today)
    course_certificate(name="Alex Course", expires_in=20, today=today)

    page = login(max_manager).get(reverse("training:expiring"), {"days": 90}).content.decode()
    assert "Rosa Díaz" in page and "Alex Course" in page
    assert "Much Later" not in page and "Expired" not in page
    assert "rosa@example.org" not in page
    assert page.index("Alex Course") < page.index("Rosa Díaz")  # soonest first
    wider = login(max_manager).get(reverse("training:expiring"), {"days": 500}).content.decode()
    assert "Much Later" in wider

    # The trainer sees the certificates of their sessions, not the public course's.
    trainer = login(sam).get(reverse("training:expiring")).content.decode()
    assert "Rosa Díaz" in trainer and "Alex Course" not in trainer
    # Staff of another site see neither.
    other = login(olga).get(reverse("training:expiring")).content.decode()
    assert "Rosa Díaz" not in other and "Alex Course" not in other


def test_the_expiring_list_reads_every_holders_consents_at_once(
    login, sam, sue, max_manager, session, downtown, django_assert_num_queries
):
    """However many participants hold a certificate, their names' consents take one query."""
    today = timezone.localdate()
    client = login(max_manager)
    shown, hidden = [], []

    def add_holders(count):
        for _ in range(count):
            n = len(shown) + len(hidden)
            person = Participant.objects.create(created_by=sam, enrolled_site=downtown)
            attendee, _ = do_add_attendee(
                session,
                client_uuid=uuid.uuid4(),
                by=sam,
                participant=person,
                name=f"Holder {n:02}",
                consent=True,
            )
            take_quiz("post", attendee=attendee)
            certificate, _ = do_issue_certificate(attendee, by=sam)
            Certificate.objects.filter(pk=certificate.pk).update(
                expires_on=today + datetime.timedelta(days=30 + n)
            )
            if n % 3 == 1:
                # Refused on their consents page after the training (on a linked duplicate).
                duplicate = Participant.objects.create(created_by=sam, enrolled_site=downtown)
                do_merge_participants(duplicate=duplicate, keeper=person, by=sue)
                answer_on_their_consents_page(duplicate, sam, "refused")
                hidden.append(f"Holder {n:02}")
            else:
                if n % 3 == 2:
                    answer_on_their_consents_page(person, sam, "given")
                shown.append(f"Holder {n:02}")

    add_holders(2)
    client.get(reverse("training:expiring"))
    with CaptureQueriesContext(connection) as two_holders:
        client.get(reverse("training:expiring"))
    add_holders(10)
    with django_assert_num_queries(len(two_holders.captured_queries)):
        page = client.get(reverse("training:expiring")).content.decode()
    assert len(shown) + len(hidden) == 12
    assert all(name in page for name in shown)
    assert not any(name in page for name in hidden)


def test_reading_the_expiring_list_audits_each_holder_shown(login, sam, max_manager, session):
    today = timezone.localdate()
    certificate = session_certificate(session, sam, "Rosa Díaz", 30, today=today)
    course = course_certificate(name="Alex Course", expires_in=20, today=today)
    login(max_manager).get(reverse("training:expiring"))
    read = AuditEntry.objects.filter(user=max_manager, action=AuditEntry.Action.VIEW)
    assert {(entry.object_type, entry.object_id) for entry in read} == {
        ("training.attendee", str(certificate.attendee_id)),
        ("training.certificate", str(course.pk)),
    }


def test_in_site_scope_a_participant_of_another_site_is_left_off_the_list_of_non_trainers(
    settings, login, sam, sue, olga, eastside, session
):
    # Sue works Downtown, where the session was held, but did not give it: its
    # trainers are listed such a participant too (test_site_scope_sessions.py).
    settings.HAVEN_RECORD_SCOPE = "site"
    today = timezone.localdate()
    elsewhere = Participant.objects.create(alias="Far", created_by=olga, enrolled_site=eastside)
    attendee = Attendee.objects.create(
        client_uuid=uuid.uuid4(), session=session, participant=elsewhere
    )
    Certificate.objects.create(
        attendee=attendee,
        issued_on=today,
        expires_on=today + datetime.timedelta(days=10),
        issued_by=sam,
    )
    session_certificate(session, sam, "Rosa Díaz", 30, today=today)
    page = login(sue).get(reverse("training:expiring"))
    assert page.status_code == 200
    assert "Rosa Díaz" in page.content.decode()
    assert attendee.pk not in [c.attendee_id for c in page.context["certificates"]]


def test_the_expiring_list_is_in_spanish(login, max_manager, db):
    page = login(max_manager).get(reverse("training:expiring"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Certificados que vencen pronto" in page.content.decode()


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_roles_without_participant_work_cannot_see_the_list(role, personas, login):
    assert login(personas[role]).get(reverse("training:expiring")).status_code == 403
