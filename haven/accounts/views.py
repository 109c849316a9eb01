from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry

from .forms import CurrentSiteForm


@login_required
def settings_page(request):
    """Every role may choose where they are working today."""
    user = request.user
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
    return render(request, "accounts/settings.html", {"form": form})
