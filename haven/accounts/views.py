import base64

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.settings import app_settings as webauthn_settings

from haven.api.actions import do_issue_device_token, do_revoke_device_token
from haven.api.models import DeviceToken
from haven.core import audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry
from haven.core.permissions import ADMIN, role_required

from . import actions, two_factor
from .actions import (
    do_confirm_authenticator,
    do_new_recovery_codes,
    do_remove_passkey,
    pending_authenticator,
)
from .forms import (
    ConfirmAuthenticatorForm,
    CurrentSiteForm,
    DeviceForm,
    NewStaffForm,
    PasswordResetForm,
    SecondFactorForm,
    SiteForm,
    StaffForm,
)
from .models import RecoveryCode, Site, User


def _settings_context(user, **extra):
    return {
        "form": CurrentSiteForm(user=user, initial={"current_site": user.default_site()}),
        "device_form": DeviceForm(),
        "devices": DeviceToken.objects.filter(user=user),
        **extra,
    }


@login_required
def settings_page(request):
    """Every role may choose where they are working today and manage their devices."""
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "add_device":
        return add_device(request)
    if request.method == "POST" and request.POST.get("action") == "revoke_device":
        return revoke_device(request)
    form = CurrentSiteForm(
        request.POST if request.method == "POST" else None,
        user=user,
        initial={"current_site": user.default_site()},
    )
    if request.method == "POST" and form.is_valid():
        user.current_site = form.cleaned_data["current_site"]
        user.save(update_fields=["current_site"])
        audit.record(user, AuditEntry.Action.UPDATE, user, fields=["current_site"])
        messages.success(
            request, _("You are now working at %(site)s.") % {"site": user.current_site}
        )
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", _settings_context(user, form=form))


@require_POST
def add_device(request):
    """Make a device token and show it this once; only its hash is kept."""
    form = DeviceForm(request.POST)
    if form.is_valid():
        try:
            device, token = do_issue_device_token(request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            context = _settings_context(request.user, new_device=device, new_token=token)
            response = render(request, "accounts/settings.html", context)
            # The token is on this page only: never keep it in a cache.
            response["Cache-Control"] = "no-store"
            return response
    context = _settings_context(request.user, device_form=form)
    return render(request, "accounts/settings.html", context, status=400)


@require_POST
def revoke_device(request):
    device_id = request.POST.get("device", "")
    if not device_id.isdigit():
        raise Http404
    device = get_object_or_404(DeviceToken, pk=device_id, user=request.user, revoked_at=None)
    do_revoke_device_token(device, by=request.user)
    messages.success(request, _("%(device)s can no longer use Haven.") % {"device": device.name})
    return redirect("accounts:settings")


def _next_url(request, default="core:home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: anything else (another host, or text that
    # redirect() would try to reverse as a view name) goes to the default.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


@login_required
def verify(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    if two_factor.step_needed(request.user) != two_factor.VERIFY:
        return redirect(_next_url(request))
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if two_factor.is_locked_out(request, request.user):
            logout(request)
            return render(request, "accounts/locked_out.html", status=429)
        try:
            two_factor.check_second_factor(request, form.cleaned_data["code"])
        except ValidationError as error:
            if not request.user.is_authenticated:
                # Locked out: the session has ended; django-axes shows why.
                return render(request, "accounts/locked_out.html", status=429)
            form.add_error("code", error)
        else:
            return redirect(_next_url(request))
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "next": _next_url(request),
        "has_passkey": WebAuthnCredential.objects.filter(
            user=request.user, confirmed=True
        ).exists(),
    }
    return render(request, "accounts/verify.html", context, status=status)


def _show_recovery_codes(request, codes):
    response = render(request, "accounts/recovery_codes.html", {"codes": codes})
    # The codes are on this page only: never keep it in a cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def two_factor_page(request):
    """Whether the second factor is set up, and the ways to change it."""
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "new_recovery_codes":
        if two_factor.step_needed(user) is not None or not two_factor.is_verified(user):
            raise PermissionDenied
        codes = do_new_recovery_codes(user, request=request)
        return _show_recovery_codes(request, codes)
    if request.method == "POST" and request.POST.get("action") == "remove_passkey":
        if not two_factor.is_verified(user):
            raise PermissionDenied
        passkey_id = request.POST.get("passkey", "")
        if not passkey_id.isdigit():
            raise Http404
        passkey = get_object_or_404(WebAuthnCredential, pk=passkey_id, user=user)
        do_remove_passkey(user, passkey, request=request)
        messages.success(request, _("The passkey %(name)s is removed.") % {"name": passkey.name})
        return redirect("accounts:two_factor")
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    recovery_left = RecoveryCode.objects.filter(device__user=user, device__confirmed=True).count()
    context = {
        "app": app,
        "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True),
        "recovery_left": recovery_left,
        "required": two_factor.required_for(user),
        "verified": two_factor.is_verified(user),
    }
    return render(request, "accounts/two_factor.html", context)


@login_required
def two_factor_app(request):
    """Set up (or replace) the authenticator app: a QR code, the key as text, a code."""
    user = request.user
    device = pending_authenticator(user)
    form = ConfirmAuthenticatorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = do_confirm_authenticator(
                user, device, form.cleaned_data["code"], request=request
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            two_factor.mark_verified(request, device)
            if codes:
                return _show_recovery_codes(request, codes)
            messages.success(request, _("Your new authenticator app is set up."))
            return redirect("accounts:two_factor")
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=5, title=_("QR code to add Haven to an authenticator app")
        ),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    response = render(
        request, "accounts/two_factor_app.html", context, status=400 if form.errors else 200
    )
    response["Cache-Control"] = "no-store"
    return response


class LoginView(auth_views.LoginView):
    """Django's login page, with a passkey button when passwordless sign-in is on."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["passwordless"] = webauthn_settings.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page; audited. Django ends the user's other sessions (their hash changes)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.request.user, AuditEntry.Action.PASSWORD_CHANGED, self.request.user)
        messages.success(
            self.request,
            _("Your password is changed. Any other place where you were logged in is logged out."),
        )
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_sent")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's page; audited, and an expired or used link says so."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        # A good link first redirects to the form (validlink is still False
        # then); only the page that says the link no longer works is a refusal.
        if not self.validlink and response.status_code == 200:
            audit.record(
                self.user,
                AuditEntry.Action.REFUSED,
                self.user,
                # Not the path: it holds the (spent) token.
                page="password reset link",
                reason="password reset link expired, used or wrong",
            )
        return response

    def get_user(self, uidb64):
        """No link works while an admin's reset of the second factor waits for the
        person's own sign-in, one sent before it included (see PasswordResetForm)."""
        user = super().get_user(uidb64)
        if user is not None and actions.second_factor_reset_pending(user):
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.user, AuditEntry.Action.PASSWORD_RESET, self.user, request=self.request)
        return response


# Staff and sites: the admin role's pages. No participant data on any of them.


def _bound(request):
    return request.POST if request.method == "POST" else None


def _get_staff_member(user_id):
    return get_object_or_404(User, pk=user_id)


def _get_site(site_id):
    return get_object_or_404(Site, pk=site_id)


@role_required(ADMIN)
def staff_list(request):
    staff = User.objects.prefetch_related("sites").order_by("-is_active", "username")
    return render(request, "accounts/staff_list.html", {"staff": staff})


@role_required(ADMIN)
def staff_new(request):
    form = NewStaffForm(_bound(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = actions.do_create_user(
                request.user,
                username=data["username"],
                password=data["password"],
                role=data["role"],
                sites=list(data["sites"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Made the account %(name)s.") % {"name": member})
            return redirect("accounts:staff")
    return render(
        request,
        "accounts/staff_form.html",
        {"form": form, "member": None},
        status=400 if form.errors else 200,
    )


@role_required(ADMIN)
def staff_edit(request, user_id):
    member = _get_staff_member(user_id)
    editing_self = member.pk == request.user.pk
    initial = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "role": member.role,
        "sites": list(member.sites.all()),
    }
    form = StaffForm(
        _bound(request), initial=initial, staff_member=member, editing_self=editing_self
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_update_user(
                request.user,
                member,
                role=data["role"],
                sites=list(data["sites"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": member})
            return redirect("accounts:staff")
    context = {
        "form": form,
        "member": member,
        "editing_self": editing_self,
        "active_devices": member.device_tokens.filter(revoked_at__isnull=True).count(),
        "second_factors": len(list(devices_for_user(member, confirmed=None))),
    }
    return render(request, "accounts/staff_form.html", context, status=400 if form.errors else 200)


@role_required(ADMIN)
@require_POST
def staff_reset_second_factor(request, user_id):
    member = _get_staff_member(user_id)
    try:
        actions.do_reset_second_factor(member, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "%(name)s is logged out everywhere and will set up a second factor again "
                "at their next sign-in."
            )
            % {"name": member},
        )
    return redirect("accounts:staff_edit", member.pk)


@role_required(ADMIN)
@require_POST
def staff_deactivate(request, user_id):
    member = _get_staff_member(user_id)
    try:
        actions.do_deactivate_user(request.user, member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("accounts:staff_edit", member.pk)
    messages.success(
        request,
        _("%(name)s can no longer log in; their sessions and devices were ended.")
        % {"name": member},
    )
    return redirect("accounts:staff")


@role_required(ADMIN)
@require_POST
def staff_reactivate(request, user_id):
    member = actions.do_reactivate_user(request.user, _get_staff_member(user_id))
    messages.success(request, _("%(name)s can log in again.") % {"name": member})
    return redirect("accounts:staff_edit", member.pk)


@role_required(ADMIN)
def site_list(request):
    sites = Site.objects.annotate(staff_count=Count("staff")).order_by("-active", "name")
    return render(request, "accounts/site_list.html", {"sites": sites})


@role_required(ADMIN)
def site_form(request, site_id=None):
    site = _get_site(site_id) if site_id else None
    initial = {"name": site.name, "kind": site.kind, "area": site.area} if site else None
    form = SiteForm(_bound(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if site:
                saved = actions.do_update_site(request.user, site, **form.cleaned_data)
            else:
                saved = actions.do_create_site(request.user, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Saved %(site)s.") % {"site": saved})
            return redirect("accounts:sites")
    return render(
        request,
        "accounts/site_form.html",
        {"form": form, "site": site},
        status=400 if form.errors else 200,
    )


@role_required(ADMIN)
@require_POST
def site_deactivate(request, site_id):
    site = actions.do_deactivate_site(request.user, _get_site(site_id))
    messages.success(request, _("%(site)s is closed; its records are kept.") % {"site": site})
    return redirect("accounts:site_edit", site.pk)


@role_required(ADMIN)
@require_POST
def site_reactivate(request, site_id):
    site = actions.do_reactivate_site(request.user, _get_site(site_id))
    messages.success(request, _("%(site)s is open again.") % {"site": site})
    return redirect("accounts:site_edit", site.pk)
