from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from haven.api.actions import do_issue_device_token, do_revoke_device_token
from haven.api.models import DeviceToken
from haven.core import audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry

from .forms import CurrentSiteForm, DeviceForm


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
