"""Trainers' pages: sessions, who came, quiz results, certificates."""

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.core import access
from haven.core.forms import add_action_errors
from haven.core.permissions import MANAGER, PARTICIPANT_ROLES, role_required
from haven.participants import codes
from haven.participants.models import Participant

from . import certificates
from .actions import (
    NAME_CONSENT_TAKEN_BACK,
    do_add_attendee,
    do_issue_certificate,
    do_record_session,
    do_revoke_certificate,
    do_save_course_text,
    do_save_question,
    expiring_certificates,
    stages_open,
)
from .forms import AttendeeForm, CertificateIssueForm, CourseTextForm, QuestionForm, SessionForm
from .models import (
    Attendee,
    CourseText,
    Question,
    SessionKitMovement,
    Stage,
    TrainingSession,
    read_name_answers,
)
from .quiz import change_by_area


def may_see_session(user, session):
    """Its trainers and maker, the staff of its site, and managers."""
    if user.role == MANAGER or session.created_by_id == user.pk:
        return True
    if session.site_id and session.site_id in user.allowed_site_ids():
        return True
    return session.trainers.filter(pk=user.pk).exists()


def runs_session(user, session):
    """Its trainers and its maker: the session's attendance list is theirs to run.

    In site scope they still see its attendees of sites outside theirs, as
    far as running it needs (see attendees_shown); nobody else does.
    """
    return session.created_by_id == user.pk or session.trainers.filter(pk=user.pk).exists()


def get_session_for_user(request, session_id):
    session = get_object_or_404(
        TrainingSession.objects.select_related("site", "created_by"), pk=session_id
    )
    if not may_see_session(request.user, session):
        raise PermissionDenied
    return session


def get_attendee_for_user(request, attendee_id):
    """An attendee, for those who may see their session; in site scope, a participant
    out of the user's record scope only for the session's trainers (marked beyond_scope).

    In site scope the id is read among the attendees the user may reach, in one
    statement: the id of another site's participant, to anyone who does not run
    their session, is asked the same query as an id nobody has and answered by
    the same 404 (where a 403 confirmed that someone of another site came).
    """
    attendees = Attendee.objects.select_related("session", "participant")
    if access.site_scoped(request.user):
        runs = TrainingSession.objects.filter(
            Q(created_by=request.user) | Q(trainers=request.user)
        ).values("pk")
        attendees = attendees.filter(
            Q(participant__isnull=True)
            | Q(participant__in=access.openable(request.user, Participant.objects.all()))
            | Q(session__in=runs)
        )
    attendee = get_object_or_404(attendees, pk=attendee_id)
    if not may_see_session(request.user, attendee.session):
        raise PermissionDenied
    attendee.beyond_scope = attendee.participant is not None and not (
        access.may_open_participant(request.user, attendee.participant)
    )
    return attendee


# Why an attendee out of the reader's record scope was shown to them (the
# audit entry's `reach`): they are a trainer of the attendee's session.
BEYOND_SCOPE = "trainer of the session"


def attendees_shown(request, session, attendees, *, page):
    """The attendees of `session` this user is shown, each noted as read.

    In site scope a participant out of the user's record scope is shown to the
    session's trainers as its attendance list needs, marked beyond_scope: the
    name given for the certificate, the quiz and the certificate, never the
    card code or a way to their record, and the read is audited as any other
    read of them. Anyone else who may see the session (the staff of its site)
    is not shown them at all. Whoever the attendee, the name given for the
    certificate is shown only while it may be printed (name_may_be_printed):
    the answers on the participants' consents pages are read here, at once.
    """
    listed = [attendee.participant for attendee in attendees if attendee.participant]
    openable = access.openable_ids(request.user, listed)
    runs = None
    shown = []
    for attendee in attendees:
        attendee.beyond_scope = False
        if attendee.participant is None:
            # A name given for a certificate is read like a participant's record.
            if attendee.name:
                access.shown(request, record=attendee, page=page)
        elif attendee.participant_id in openable:
            access.shown(request, attendee.participant, page=page)
        else:
            if runs is None:
                runs = runs_session(request.user, session)
            if not runs:
                continue
            attendee.beyond_scope = True
            access.shown_unscoped(
                request, attendee.participant, attendee, page=page, reach=BEYOND_SCOPE
            )
        shown.append(attendee)
    read_name_answers(shown)
    return shown


def visible_sessions(user):
    sessions = TrainingSession.objects.select_related("site").annotate(
        listed=Count("attendees", distinct=True)
    )
    if user.role == MANAGER:
        return sessions
    return sessions.filter(
        Q(created_by=user) | Q(trainers=user) | Q(site_id__in=user.allowed_site_ids())
    ).distinct()


@role_required(*PARTICIPANT_ROLES)
def sessions(request):
    return render(
        request, "training/sessions.html", {"sessions": visible_sessions(request.user)[:50]}
    )


@role_required(*PARTICIPANT_ROLES)
def session_new(request):
    form = SessionForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                session, _created = do_record_session(form.session_data(), by=request.user)
            except ValidationError as error:
                add_action_errors(form, error)
            else:
                messages.success(request, _("Session saved."))
                return redirect("training:session", session.pk)
        status = 400
    return render(request, "training/session_form.html", {"form": form}, status=status)


def _qr_svg(url):
    # segno's SVG is plain markup (no script, no style attribute): safe to inline.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=5, dark="#1b1f24", omitsize=True))  # noqa: S308


def _session_context(request, session, attendee_form=None):
    attendees = attendees_shown(
        request,
        session,
        list(session.attendees.select_related("participant", "certificate").all()),
        page="training session",
    )
    attempts = list(session.attempts.all())
    quiz_links = []
    for stage in stages_open(session):
        url = request.build_absolute_uri(reverse("training:quiz", args=[session.quiz_token, stage]))
        quiz_links.append((Stage(stage).label, url, _qr_svg(url)))
    kits = [
        (link.movement.item, link.movement.lot, -link.movement.quantity)
        for link in SessionKitMovement.objects.filter(session=session)
        .select_related("movement__item", "movement__lot")
        .order_by("movement__item__name", "movement__id")
    ]
    rows = []
    for attendee in attendees:
        taken = {a.stage: a for a in attempts if a.attendee_id == attendee.pk}
        printable = attendee.name_may_be_printed()
        rows.append(
            {
                "attendee": attendee,
                "beyond_scope": attendee.beyond_scope,
                # Only a name its holder still lets be printed, whoever reads the page:
                # one taken back on their consents page is no longer shown anywhere.
                "name": attendee.name if printable else "",
                # A name kept with consent and taken back since: no certificate
                # may be issued, and the row says why instead of offering one.
                "name_taken_back": bool(
                    attendee.consents_to_named_certificate and attendee.name and not printable
                ),
                "attempts": taken,
                "passed": any(
                    attempt.passed()
                    for stage, attempt in taken.items()
                    if stage in (Stage.POST, Stage.FOLLOW_UP)
                ),
                "certificate": getattr(attendee, "certificate", None),
                "quiz_url": reverse(
                    "training:quiz",
                    args=[attendee.quiz_token, Stage.POST if Stage.PRE in taken else Stage.PRE],
                ),
            }
        )
    return {
        "session": session,
        "trainers": session.trainers.all(),
        "rows": rows,
        "quiz_links": quiz_links,
        "changes": change_by_area(attempts),
        "attempt_counts": {
            str(label): sum(1 for a in attempts if a.stage == value)
            for value, label in Stage.choices
        },
        "kits": kits,
        "attendee_form": attendee_form or AttendeeForm(user=request.user),
        "offline_messages": offline_attendance_messages(),
    }


@role_required(*PARTICIPANT_ROLES)
def session_detail(request, session_id):
    session = get_session_for_user(request, session_id)
    return render(request, "training/session.html", _session_context(request, session))


def offline_attendance_messages():
    """What the attendance script says (training/offline_attendance.js)."""
    return {
        "kept": _("Attendee saved on this phone. It will be sent when there is signal."),
        "headcount_kept": _("Headcount saved on this phone. It will be sent when there is signal."),
        "label": _("Attendee at a training, %(who)s"),
        "headcount_label": _("People present at a training: %(n)s"),
        "consent_needed": _("A name is kept only when the person agrees to a named certificate."),
        "name_needed": _("Write the name to print on the certificate."),
        "nobody": _(
            "List a participant by card code, or a name with consent; else the headcount is enough."
        ),
        "not_sent": _("Not sent yet"),
        "problem": _("Needs your attention"),
        **codes.messages_for_the_phone(),
    }


@role_required(*PARTICIPANT_ROLES)
def attendance_offline(request):
    """A session's attendance with no signal (training/offline_attendance.js).

    The service worker keeps this page, which holds no session or attendee
    data, and opens it for a session's page (/training/sessions/<id>/) asked
    for with no signal: attendees and the headcount are listed into the
    outbox, sent with the sync kind training_attendee, stored once.
    """
    return render(
        request,
        "training/attendance_offline.html",
        {
            "attendee_form": AttendeeForm(user=request.user),
            "offline_messages": offline_attendance_messages(),
        },
    )


@role_required(*PARTICIPANT_ROLES)
@require_POST
def attendee_add(request, session_id):
    session = get_session_for_user(request, session_id)
    form = AttendeeForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            do_add_attendee(
                session,
                client_uuid=data["client_uuid"],
                by=request.user,
                participant=data["card_code"],
                name=data["name"],
                consent=data["consent"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Attendee listed."))
            return redirect("training:session", session.pk)
    return render(
        request,
        "training/session.html",
        _session_context(request, session, attendee_form=form),
        status=400,
    )


@role_required(*PARTICIPANT_ROLES)
@require_POST
def certificate_issue(request, attendee_id):
    attendee = get_attendee_for_user(request, attendee_id)
    form = CertificateIssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["email"]))
        return redirect("training:session", attendee.session_id)
    try:
        do_issue_certificate(attendee, by=request.user, email=form.cleaned_data["email"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Certificate issued."))
    return redirect("training:session", attendee.session_id)


@role_required(*PARTICIPANT_ROLES)
@require_POST
def certificate_revoke(request, attendee_id):
    attendee = get_attendee_for_user(request, attendee_id)
    certificate = getattr(attendee, "certificate", None)
    if certificate is None:
        messages.error(request, _("This attendee has no certificate."))
    else:
        do_revoke_certificate(certificate, by=request.user)
        messages.success(request, _("Certificate revoked: the check page now says so."))
    return redirect("training:session", attendee.session_id)


@role_required(*PARTICIPANT_ROLES)
def certificate_pdf(request, attendee_id):
    attendee = get_attendee_for_user(request, attendee_id)
    certificate = getattr(attendee, "certificate", None)
    if certificate is None or certificate.revoked_at:
        messages.error(request, _("There is no valid certificate to print."))
        return redirect("training:session", attendee.session_id)
    if not attendee.name_may_be_printed():
        messages.error(request, str(NAME_CONSENT_TAKEN_BACK))
        return redirect("training:session", attendee.session_id)
    size = request.GET.get("size", "wallet")
    if size not in certificates.SIZES:
        size = "wallet"
    _shown_holder(request, certificate, page="certificate")
    url = request.build_absolute_uri(reverse("training:verify", args=[certificate.code]))
    pdf = certificates.render(certificate, size, url, language=get_language())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{size}.pdf"'
    return response


EXPIRING_DAYS = 90


def _shown_holder(request, certificate, *, page):
    """A certificate's holder is read: the attendee (and participant), or the course taker."""
    attendee = certificate.attendee
    if attendee is None:
        access.shown(request, record=certificate, page=page)
    elif getattr(attendee, "beyond_scope", False):
        # A session's trainer prints the certificate of an attendee of another site.
        access.shown_unscoped(
            request, attendee.participant, attendee, page=page, reach=BEYOND_SCOPE
        )
    else:
        access.shown(request, attendee.participant, attendee, page=page)


@require_GET
@role_required(*PARTICIPANT_ROLES)
def expiring(request):
    """Certificates that expire in the next N days: who is due a refresher.

    Managers see every certificate, the public course's included; trainers
    and other staff see those of the sessions they may open. A certificate's
    name is shown with its holder's consent (the public check page shows it
    too); the email is never shown, only whether a reminder was sent.

    In site scope a participant out of the user's record scope is listed
    only to the trainers (and the maker) of their session, as on the
    session's page (attendees_shown): their name with consent, never a card
    code or a way to their record, each read audited with reach
    BEYOND_SCOPE. Anyone else is not shown them.
    """
    try:
        days = max(1, min(int(request.GET.get("days", EXPIRING_DAYS)), 3650))
    except ValueError:
        days = EXPIRING_DAYS
    certificates_due = expiring_certificates(days).select_related("attendee__participant")
    if request.user.role != MANAGER:
        certificates_due = certificates_due.filter(
            attendee__session__in=visible_sessions(request.user).values("pk")
        )
    if access.site_scoped(request.user):
        in_scope = access.openable(request.user, Participant.objects.all())
        runs = TrainingSession.objects.filter(
            Q(created_by=request.user) | Q(trainers=request.user)
        ).values("pk")
        certificates_due = certificates_due.filter(
            Q(attendee__participant__isnull=True)
            | Q(attendee__participant__in=in_scope)
            | Q(attendee__session__in=runs)
        )
    certificates_due = list(certificates_due)
    holders = [c.attendee for c in certificates_due if c.attendee_id is not None]
    openable = access.openable_ids(request.user, [attendee.participant for attendee in holders])
    for attendee in holders:
        # Listed for a session this user runs, though out of their record scope.
        attendee.beyond_scope = (
            attendee.participant_id is not None and attendee.participant_id not in openable
        )
    # Each holder's name is shown by their answers on their consents page: read at once.
    read_name_answers(holders)
    for certificate in certificates_due:
        _shown_holder(request, certificate, page="expiring certificates")
    return render(
        request,
        "training/expiring.html",
        {"certificates": certificates_due, "days": days},
    )


@role_required(MANAGER)
def course_text(request):
    entry = CourseText.objects.filter(key=CourseText.Key.GOOD_SAMARITAN).first()
    initial = {"text": entry.text, "text_es": entry.text_es} if entry else {}
    form = CourseTextForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        do_save_course_text(CourseText.Key.GOOD_SAMARITAN, **form.cleaned_data, by=request.user)
        messages.success(request, _("The course text is saved."))
        return redirect("training:course_text")
    return render(request, "training/course_text.html", {"form": form})


@role_required(MANAGER)
def questions(request):
    return render(
        request,
        "training/questions.html",
        {"questions": Question.objects.prefetch_related("choices")},
    )


@role_required(MANAGER)
def question_edit(request, question_id=None):
    question = (
        get_object_or_404(Question.objects.prefetch_related("choices"), pk=question_id)
        if question_id
        else Question()
    )
    form = QuestionForm(request.POST or None, question=question if question.pk else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            do_save_question(
                question,
                area=data["area"],
                text=data["text"],
                text_es=data["text_es"],
                active=data["active"],
                answers=form.answers(),
                by=request.user,
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Question saved."))
            return redirect("training:questions")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "training/question_form.html", {"form": form, "question": question}, status=status
    )
