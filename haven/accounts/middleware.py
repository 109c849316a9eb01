"""Session rules that hold on every page: idle timeout and the second factor."""

import time

import django_otp.middleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject, empty
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry

from . import two_factor

User = get_user_model()


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's: marks request.user verified once a second factor was given in
    this session; the session's device read by two_factor.device_from_persistent_id."""

    def _device_from_persistent_id(self, persistent_id):
        return two_factor.device_from_persistent_id(self._normalize_persistent_id(persistent_id))

    def _verify_user_sync(self, request, user):
        # request.user was Django's lazy user inside django-otp's lazy user, so
        # every attribute read went through both; once known, it is the user.
        if isinstance(user, SimpleLazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        request.user = super()._verify_user_sync(request, user)
        return request.user


# Seconds since the epoch of the last request in this session.
LAST_SEEN_KEY = "haven_last_seen"
# Writing the session on every request would make each read a write; a
# minute's precision is plenty for a timeout counted in minutes.
LAST_SEEN_RESOLUTION = 60

# Pages any signed-in user may reach before giving a second factor.
ALWAYS_ALLOWED = {
    "accounts:logout",
    "set_language",
    "healthz",
    "service_worker",
    "manifest",
    "favicon",
}
PASSKEY_SIGN_IN = {
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
}
ALLOWED_FOR_STEP = {
    two_factor.VERIFY: ALWAYS_ALLOWED | PASSKEY_SIGN_IN | {"accounts:verify"},
    two_factor.ENROL: ALWAYS_ALLOWED | {"accounts:two_factor", "accounts:two_factor_app"},
}
STEP_URL = {two_factor.VERIFY: "accounts:verify", two_factor.ENROL: "accounts:two_factor"}


def _is_api(request):
    return request.path_info.startswith("/api/")


def _end_refused_session(request):
    """End a session whose user Django no longer lets in (deactivated since it began).

    Django treats such a session as logged out but keeps it; it is ended here,
    audited, and the person told why.
    """
    user = User.objects.filter(pk=request.session[SESSION_KEY]).first()
    request.session.flush()
    if user is None or user.is_active:
        return
    audit.record(
        user, AuditEntry.Action.REFUSED, user, request=request, reason="account deactivated"
    )
    if not _is_api(request):
        messages.error(
            request,
            _("Your account is deactivated. Ask your administrator if this is a mistake."),
        )


class IdleTimeoutMiddleware:
    """End a session that has not been used for HAVEN_IDLE_TIMEOUT_MINUTES.

    This only ends the session on the server, like a session that expired: the
    offline field app keeps its unsent contacts (only the logout button clears
    the phone), so signing in again sends them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated and SESSION_KEY in request.session:
            _end_refused_session(request)
        timeout = settings.HAVEN_IDLE_TIMEOUT_MINUTES * 60
        if timeout and request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > timeout:
                logout(request)
                if not _is_api(request):
                    messages.info(
                        request,
                        _(
                            "You were logged out after %(minutes)s minutes without use. "
                            "Log in again to go on."
                        )
                        % {"minutes": settings.HAVEN_IDLE_TIMEOUT_MINUTES},
                    )
            elif last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    """Hold a signed-in user at the code page (or enrolment) until they are verified."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated:
            return None
        step = request.sign_in_step = two_factor.step_needed(user)
        if step is None:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in ALLOWED_FOR_STEP[step]:
            return None
        if _is_api(request):
            return JsonResponse(
                {"detail": _("Finish signing in with your second factor first.")}, status=403
            )
        target = redirect(STEP_URL[step]).url
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
