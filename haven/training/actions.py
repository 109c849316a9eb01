"""Everything that writes a training record goes through these functions.

Each is one transaction: a session and the kits drawn for it from the
ledger are written together or not at all, and a record sent again (the
same client UUID) is stored once.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from haven.core import audit
from haven.core.models import AuditEntry
from haven.supplies.actions import Drawing, expand_kits, location_for

from .models import (
    Attendee,
    Certificate,
    Choice,
    CourseText,
    Question,
    QuizAttempt,
    SessionKitMovement,
    Stage,
    TrainingSession,
)
from .quiz import score

logger = logging.getLogger(__name__)


@dataclass
class SessionData:
    client_uuid: uuid.UUID
    topic: str
    held_on: datetime.date
    audience: str
    headcount: int
    language: str = "en"
    site: object = None
    place: str = ""
    trainers: list = field(default_factory=list)
    supplies: dict = field(default_factory=dict)  # {item: quantity}
    kits: dict = field(default_factory=dict)  # {kit: count}


def _when(day):
    """When a hand-out on `day` happened: now if today, else midday of that day."""
    if day == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


@transaction.atomic
def do_record_session(data, *, by):
    """Record a session and draw its kits from `by`'s stock. Returns (session, created)."""
    existing = TrainingSession.objects.filter(client_uuid=data.client_uuid).first()
    if existing is not None:
        return existing, False
    errors = {}
    if data.held_on > timezone.localdate():
        errors["held_on"] = _("A session is recorded once it has happened: the date is ahead.")
    if data.site is None and not data.place.strip():
        errors["place"] = _("Choose one of our sites or say where the session was.")
    if data.headcount < 0:
        errors["headcount"] = _("Enter how many people were there (0 or more).")
    if errors:
        raise ValidationError(errors)
    session = TrainingSession.objects.create(
        client_uuid=data.client_uuid,
        topic=data.topic,
        held_on=data.held_on,
        site=data.site,
        place="" if data.site else data.place.strip(),
        audience=data.audience,
        language=data.language,
        headcount=data.headcount,
        created_by=by,
    )
    session.trainers.set(data.trainers or [by])
    supplies = expand_kits(data.supplies, data.kits)
    if supplies:
        location = location_for(by, data.site or by.default_site())
        if location is None:
            raise ValidationError(
                {"supplies": _("You have no stock location to hand out kits from.")}
            )
        drawing = Drawing(location, list(supplies), by=by)
        drawing.plan(None, supplies, occurred_at=_when(data.held_on))
        movements = drawing.write()
        SessionKitMovement.objects.bulk_create(
            SessionKitMovement(session=session, movement=movement)
            for movement in movements
            if movement.quantity < 0
        )
    audit.record(by, AuditEntry.Action.CREATE, session)
    return session, True


@transaction.atomic
def do_add_attendee(session, *, client_uuid, by, participant=None, name="", consent=False):
    """List one person at a session. Returns (attendee, created).

    A name is kept only with the person's consent to a named certificate; a
    participant is listed by their record (their card code), never by name
    unless they also consent.
    """
    existing = Attendee.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        return existing, False
    name = name.strip()
    if name and not consent:
        raise ValidationError(
            {"consent": _("A name is kept only when the person agrees to a named certificate.")}
        )
    if consent and not name:
        raise ValidationError({"name": _("Write the name to print on the certificate.")})
    if participant is None and not name:
        raise ValidationError(
            _(
                "List a participant by card code, or a name with consent; "
                "else the headcount is enough."
            )
        )
    if participant is not None:
        participant = participant.canonical()
        if session.attendees.filter(participant=participant).exists():
            raise ValidationError(
                {"card_code": _("This participant is already listed at this session.")}
            )
    attendee = Attendee.objects.create(
        client_uuid=client_uuid,
        session=session,
        participant=participant,
        name=name,
        consents_to_named_certificate=consent,
        consent_recorded_at=timezone.now() if consent else None,
        consent_recorded_by=by if consent else None,
    )
    # Everyone listed was in the room: the headcount is never below them.
    listed = session.attendees.count()
    if session.headcount < listed:
        TrainingSession.objects.filter(pk=session.pk).update(headcount=listed)
        session.headcount = listed
    audit.record(by, AuditEntry.Action.CREATE, attendee, participant=participant)
    return attendee, True


def do_raise_headcount(session, headcount, *, by):
    """Raise the session's headcount to `headcount`, never lower it. Returns whether it changed.

    Counts made on phones with no signal arrive late, in any order, maybe
    twice, maybe from two trainers: the largest stands, so nobody in the room
    is counted twice. (The session's own form sets it exactly.)
    """
    raised = TrainingSession.objects.filter(pk=session.pk, headcount__lt=headcount).update(
        headcount=headcount
    )
    if raised:
        session.headcount = headcount
        audit.record(by, AuditEntry.Action.UPDATE, session, fields=["headcount"])
    return bool(raised)


class AlreadySubmitted(ValidationError):
    pass


def stages_open(session, today=None):
    """The quiz stages a session's attendees may take now."""
    today = today or timezone.localdate()
    stages = [Stage.PRE, Stage.POST]
    if today >= session.held_on + datetime.timedelta(days=settings.TRAINING_FOLLOW_UP_DAYS):
        stages.append(Stage.FOLLOW_UP)
    return stages


@transaction.atomic
def do_submit_quiz(*, client_uuid, stage, answers, language, session=None, attendee=None):
    """Score and store one quiz. A quiz sent twice (or a stage taken twice) is refused."""
    if attendee is not None:
        session = attendee.session
    if QuizAttempt.objects.filter(client_uuid=client_uuid).exists():
        raise AlreadySubmitted(_("This quiz was already sent. Thank you: nothing more to do."))
    if session is not None and stage not in stages_open(session):
        raise ValidationError(_("This part of the quiz is not open yet."))
    if attendee is not None and attendee.attempts.filter(stage=stage).exists():
        raise AlreadySubmitted(
            _("You have already taken this part of the quiz. Thank you: nothing more to do.")
        )
    result = score(answers)
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(
                client_uuid=client_uuid,
                session=session,
                attendee=attendee,
                stage=stage,
                language=language,
                scores=result.by_area,
                right=result.right,
                asked=result.asked,
            )
    except IntegrityError as error:
        # The same quiz sent twice at once (a double tap): the other copy was stored.
        raise AlreadySubmitted(
            _("This quiz was already sent. Thank you: nothing more to do.")
        ) from error


def passed(attendee):
    """Passed the quiz after the session (or at the follow-up)."""
    return any(
        attempt.passed()
        for attempt in attendee.attempts.filter(stage__in=[Stage.POST, Stage.FOLLOW_UP])
    )


def _years_later(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# Said where a certificate would carry the name of a participant who took back that consent.
NAME_CONSENT_TAKEN_BACK = gettext_lazy(
    "Their consent to a name on a training certificate was withdrawn, refused or has run out "
    "(on their consents page): no certificate can carry their name until they consent again."
)


@transaction.atomic
def do_issue_certificate(attendee, *, by, email=""):
    """A certificate for a named, consenting attendee who passed. Returns (certificate, created)."""
    attendee = Attendee.objects.select_for_update().get(pk=attendee.pk)
    existing = Certificate.objects.filter(attendee=attendee).first()
    if existing is not None:
        if existing.revoked_at:
            raise ValidationError(_("This certificate was revoked; it cannot be issued again."))
        return existing, False
    if not (attendee.consents_to_named_certificate and attendee.name):
        raise ValidationError(
            _("A certificate carries a name: record the attendee's name and consent first.")
        )
    if not attendee.name_may_be_printed():
        raise ValidationError(NAME_CONSENT_TAKEN_BACK)
    if not passed(attendee):
        raise ValidationError(
            _("No certificate: this attendee has not passed the quiz after the training.")
        )
    today = timezone.localdate()
    certificate = Certificate.objects.create(
        attendee=attendee,
        issued_on=today,
        expires_on=_years_later(today, settings.TRAINING_CERTIFICATE_YEARS),
        issued_by=by,
        email=email.strip(),
        language=attendee.session.language,
    )
    audit.record(by, AuditEntry.Action.CREATE, certificate)
    return certificate, True


@transaction.atomic
def do_issue_course_certificate(attempt, *, name, consent, email="", language="en"):
    """A certificate for someone who passed the public course. Returns (certificate, created).

    One per quiz: asked for twice (a double tap, a reload), it is issued once.
    The name is kept only with its holder's consent to have it printed and
    shown on the public verification page.
    """
    attempt = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
    existing = Certificate.objects.filter(attempt=attempt).first()
    if existing is not None:
        return existing, False
    if attempt.session_id is not None or attempt.attendee_id is not None:
        raise ValidationError(
            _("This quiz belongs to a session: the trainer issues its certificates.")
        )
    if not attempt.passed():
        raise ValidationError(
            _("No certificate: this quiz was not passed. Read the course again and retake it.")
        )
    errors = {}
    if not name.strip():
        errors["name"] = _("Write the name to print on the certificate.")
    if not consent:
        errors["consent"] = _(
            "A certificate carries your name: agree to it being printed and shown "
            "to whoever checks it."
        )
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    certificate = Certificate.objects.create(
        attempt=attempt,
        name=name.strip(),
        consent_recorded_at=timezone.now(),
        email=email.strip(),
        language=language,
        issued_on=today,
        expires_on=_years_later(today, settings.TRAINING_CERTIFICATE_YEARS),
    )
    audit.record(None, AuditEntry.Action.CREATE, certificate, page="public course certificate")
    return certificate, True


@transaction.atomic
def do_revoke_certificate(certificate, *, by):
    if certificate.revoked_at:
        return certificate
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = by
    certificate.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(by, AuditEntry.Action.UPDATE, certificate, revoked=True)
    return certificate


def expiring_certificates(within_days, today=None):
    """Certificates in force that expire in the next `within_days` days, soonest first."""
    today = today or timezone.localdate()
    return (
        Certificate.objects.filter(
            revoked_at__isnull=True,
            expires_on__gte=today,
            expires_on__lte=today + datetime.timedelta(days=within_days),
        )
        .select_related("attendee__session", "attempt")
        .order_by("expires_on", "pk")
    )


REMINDER = gettext_noop(
    "Your overdose response training certificate expires on %(date)s. Knowledge fades over "
    "time: a short refresher keeps you ready to save a life."
)
REMINDER_COURSE = gettext_noop("You can take the refresher online: %(url)s")


def do_send_refresher_reminders(now=None):
    """Email each certificate holder who gave an email, once, TRAINING_REMINDER_DAYS before expiry.

    A certificate is claimed (reminder_sent_at set by a conditional UPDATE)
    before its email is sent, so two runs at once, or a run after a crash,
    never send it twice; an email that fails to send is released to be tried
    on the next run. Revoked certificates are never reminded. Returns how
    many emails were sent.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = (
        Certificate.objects.filter(
            revoked_at__isnull=True,
            reminder_sent_at__isnull=True,
            expires_on__lte=today + datetime.timedelta(days=settings.TRAINING_REMINDER_DAYS),
        )
        .exclude(email="")
        .order_by("expires_on", "pk")
    )
    sent = 0
    for certificate in due:
        claimed = Certificate.objects.filter(pk=certificate.pk, reminder_sent_at__isnull=True)
        if not claimed.update(reminder_sent_at=now):
            continue  # another run took it
        try:
            _send_reminder(certificate)
        except Exception as error:  # noqa: BLE001 - any failure: try again on the next run
            # Only the kind of error: a mail server's refusal (SMTPRecipientsRefused
            # and the like) names the holder's email address, which logs never carry.
            logger.warning(
                "Refresher reminder for certificate %s not sent (%s); tried again on the next run",
                certificate.pk,
                type(error).__name__,
            )
            Certificate.objects.filter(pk=certificate.pk).update(reminder_sent_at=None)
            continue
        audit.record(None, AuditEntry.Action.UPDATE, certificate, reminder="sent")
        sent += 1
    return sent


def _send_reminder(certificate):
    with translation.override(certificate.language):
        body = _(REMINDER) % {"date": formats.date_format(certificate.expires_on, "DATE_FORMAT")}
        if settings.MAIL_TRAINING_URL:
            body += "\n\n" + _(REMINDER_COURSE) % {"url": settings.MAIL_TRAINING_URL}
        subject = _("Your training certificate expires soon")
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [certificate.email])


def verify(code):
    """(status, certificate) for a verification code: valid, expired, revoked or unknown."""
    certificate = (
        Certificate.objects.select_related("attendee__session", "attempt")
        .prefetch_related("attendee__session__trainers")
        .filter(code=code)
        .first()
    )
    if certificate is None:
        return "unknown", None
    if certificate.revoked_at:
        return "revoked", certificate
    if certificate.expires_on < timezone.localdate():
        return "expired", certificate
    return "valid", certificate


@transaction.atomic
def do_save_course_text(key, *, text, text_es, by):
    entry, _created = CourseText.objects.update_or_create(
        key=key, defaults={"text": text, "text_es": text_es, "updated_by": by}
    )
    audit.record(by, AuditEntry.Action.UPDATE, entry)
    return entry


@transaction.atomic
def do_save_question(question, *, area, text, text_es, active, answers, by):
    """Save a quiz question and replace its answers ([(text, text_es, right)]).

    Past attempts keep their scores: only the score per area is stored.
    """
    if sum(1 for _t, _e, right in answers if right) != 1:
        raise ValidationError({"correct": _("Mark exactly one answer as right.")})
    question.area, question.text, question.text_es, question.active = area, text, text_es, active
    if question.pk is None:
        question.position = (Question.objects.aggregate(Max("position"))["position__max"] or 0) + 1
    question.save()
    question.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(question=question, text=t, text_es=e, correct=right, position=position)
        for position, (t, e, right) in enumerate(answers)
    )
    audit.record(by, AuditEntry.Action.UPDATE, question)
    return question
