"""Passkeys (WebAuthn) through django-otp-webauthn: a second factor, or a passwordless sign-in.

The library's views do the ceremonies; these subclasses add Haven's audit and
lockout. A passkey that fails (a wrong or unknown credential, one made for
another site's origin, a replayed challenge) is refused with the library's
message, audited as a failed second factor, and, for a user who has given their
password, counted towards the login lockout like a wrong code.
"""

from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn_views

from haven.core import audit
from haven.core.models import AuditEntry

from . import two_factor


class BeginRegistration(webauthn_views.BeginCredentialRegistrationView):
    pass


class CompleteRegistration(webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            device = self.request.user.webauthncredential_set.order_by("-pk").first()
            audit.record(self.request.user, AuditEntry.Action.CREATE, device, request=self.request)
        return response


class BeginAuthentication(webauthn_views.BeginCredentialAuthenticationView):
    pass


class AccountLockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = gettext_lazy(
        "Too many failed sign-ins: this account is locked for a while. Try again later."
    )
    default_code = "locked_out"


class CompleteAuthentication(webauthn_views.CompleteCredentialAuthenticationView):
    def check_device_usable(self, device):
        super().check_device_usable(device)
        # A lockout locks the account, whatever the way in: a passkey alone
        # does not sign in to an account locked after wrong passwords or codes.
        if not self.request.user.is_authenticated and two_factor.is_locked_out(
            self.request, device.user
        ):
            audit.record(
                device.user,
                AuditEntry.Action.SECOND_FACTOR_FAILED,
                device.user,
                request=self.request,
                method="passkey",
                reason=AccountLockedOut.default_code,
            )
            raise AccountLockedOut

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError) and not isinstance(
            exc, AccountLockedOut
        ):
            user = self.request.user if self.request.user.is_authenticated else None
            audit.record(
                user,
                AuditEntry.Action.SECOND_FACTOR_FAILED,
                user,
                request=self.request,
                method="passkey",
                reason=exc.code,
            )
            if user is not None:
                try:
                    two_factor.count_failure(self.request, user)
                except two_factor.LockedOut:
                    pass  # django-axes's middleware answers with the lockout.
        return super().handle_exception(exc)

    def complete_auth(self, device):
        if self.request.user.is_authenticated:
            # After the password: the passkey is the second factor.
            two_factor.mark_verified(self.request, device)
        else:
            # Passwordless: the library logs in (a new session key) and verifies.
            super().complete_auth(device)
            two_factor.clear_failures(self.request, device.user)


# The library's JavaScript finds these by name in the "otp_webauthn" namespace.
app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        BeginRegistration.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        BeginAuthentication.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
