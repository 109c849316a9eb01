"""Public training pages: the quiz reached by a session's QR code, the
self-paced course, and the certificate check. No login, rate-limited per
address. The only person they show is a certificate's holder, by the name
given for it, to whoever has its code: each time a read, audited like any
other (haven/core/access.py), by nobody signed in."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from haven.core import access, ratelimit
from haven.core.forms import add_action_errors

from . import certificates
from .actions import (
    AlreadySubmitted,
    do_issue_course_certificate,
    do_submit_quiz,
    stages_open,
    verify,
)
from .forms import CourseCertificateForm, QuizForm, course_certificate_token
from .models import Area, Attendee, Certificate, CourseText, Stage, TrainingSession
from .quiz import active_questions


def _limited(request):
    """Whether this network address has asked too often; counts this request."""
    return ratelimit.hit(
        "training-public", ratelimit.network_key(request), settings.TRAINING_PUBLIC_RATE
    )


def _too_many(request):
    return render(request, "training/public_too_many.html", status=429)


def _quiz_page(request, *, stage, session=None, attendee=None, course=False):
    language = _language()
    questions = active_questions()
    form = QuizForm(request.POST or None, questions=questions, language=language)
    context = {"form": form, "stage": Stage(stage), "course": course, "session": session}
    if request.method == "POST" and form.is_valid():
        try:
            attempt = do_submit_quiz(
                client_uuid=form.cleaned_data["client_uuid"],
                stage=stage,
                answers=form.answers(),
                language=language,
                session=session,
                attendee=attendee,
            )
        except AlreadySubmitted as error:
            return render(
                request, "training/quiz_done.html", {"message": error.messages[0]}, status=409
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            labels = dict(Area.choices)
            context.update(
                attempt=attempt,
                areas=[
                    (labels[area], right, asked) for area, (right, asked) in attempt.scores.items()
                ],
                passed=attempt.passed(),
            )
            if course and attempt.passed():
                context["certificate_form"] = CourseCertificateForm(
                    initial={"token": course_certificate_token(attempt)}
                )
            return render(request, "training/quiz_result.html", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "training/quiz.html", context, status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def quiz(request, quiz_token, stage):
    """The quiz of a session (its QR code) or of one attendee (their own link)."""
    if _limited(request):
        return _too_many(request)
    session = TrainingSession.objects.filter(quiz_token=quiz_token).first()
    attendee = None
    if session is None:
        attendee = Attendee.objects.select_related("session").filter(quiz_token=quiz_token).first()
        if attendee is None:
            raise Http404
        session = attendee.session
    if stage not in stages_open(session):
        return render(
            request,
            "training/quiz_done.html",
            {"message": _("This part of the quiz is not open yet.")},
            status=404,
        )
    return _quiz_page(request, stage=stage, session=session, attendee=attendee)


def _good_samaritan():
    entry = CourseText.objects.filter(key=CourseText.Key.GOOD_SAMARITAN).first()
    return entry.localised(translation.get_language()) if entry else ""


@require_GET
def course(request):
    """The self-paced course: plain words and pictures, then the quiz."""
    if _limited(request):
        return _too_many(request)
    return render(request, "training/course.html", {"good_samaritan": _good_samaritan()})


@require_http_methods(["GET", "POST"])
@never_cache
def course_quiz(request):
    if _limited(request):
        return _too_many(request)
    return _quiz_page(request, stage=Stage.POST, course=True)


@require_http_methods(["POST"])
@never_cache
def course_certificate(request):
    """A certificate for someone who passed the public course, in the name they give."""
    if _limited(request):
        return _too_many(request)
    form = CourseCertificateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            certificate, _created = do_issue_course_certificate(
                form.attempt,
                name=data["name"],
                consent=data["consent"],
                email=data["email"],
                language=_language(),
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            return render(
                request,
                "training/course_certificate.html",
                {"certificate": certificate, "verify_url": _verify_url(request, certificate)},
            )
    return render(request, "training/course_certificate_form.html", {"form": form}, status=400)


def _language():
    return "es" if translation.get_language() == "es" else "en"


def _verify_url(request, certificate):
    return request.build_absolute_uri(reverse("training:verify", args=[certificate.code]))


def _shown_holder(request, certificate, *, page):
    """The certificate's holder is read: the attendee (and the participant listed), or,
    for the public course, the certificate itself. The page is named, never its
    address, which carries the code that leads to the name."""
    attendee = certificate.attendee
    if attendee is None:
        access.shown_unscoped(request, record=certificate, page=page)
    else:
        access.shown_unscoped(request, attendee.participant, attendee, page=page)


@require_GET
@never_cache
def course_certificate_pdf(request, certificate_code):
    """The PDF of a public course certificate, for its holder (who has its code)."""
    if _limited(request):
        return _too_many(request)
    certificate = get_object_or_404(
        Certificate.objects.select_related("attempt"),
        code=certificate_code,
        attempt__isnull=False,
        revoked_at__isnull=True,
    )
    size = request.GET.get("size", "wallet")
    if size not in certificates.SIZES:
        size = "wallet"
    pdf = certificates.render(
        certificate, size, _verify_url(request, certificate), language=_language()
    )
    _shown_holder(request, certificate, page="public course certificate")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{size}.pdf"'
    return response


@require_GET
@never_cache
def verify_certificate(request, certificate_code):
    """Confirms name, topic, date and trainer of a certificate, and nothing else."""
    if _limited(request):
        return _too_many(request)
    status, certificate = verify(certificate_code)
    context = {"status": status, "today": timezone.localdate()}
    if certificate is not None and status != "revoked":
        _shown_holder(request, certificate, page="public certificate check")
        context.update(
            name=certificate.holder_name,
            topic=certificate.topic_label,
            held_on=certificate.trained_on,
            trainers=certificate.trainer_names,
        )
    return render(
        request,
        "training/verify.html",
        context,
        status=404 if status == "unknown" else 200,
    )
