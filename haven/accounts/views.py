from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from haven.api.actions import do_issue_device_token, do_revoke_device_token
from haven.api.models import DeviceToken
from haven.core import audit
from haven.core.forms import add_action_errors
from haven.core.models import AuditEntry
from haven.core.permissions import ADMIN, role_required

from . import actions
from .forms import CurrentSiteForm, DeviceForm, NewStaffForm, SiteForm, StaffForm
from .models import Site, User


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
    }
    return render(request, "accounts/staff_form.html", context, status=400 if form.errors else 200)


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
