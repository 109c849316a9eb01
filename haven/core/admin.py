"""Django's admin, kept for break-glass use only.

Haven's admin role manages staff and sites in Haven's own pages (accounts:staff,
accounts:sites), which are audited and never show a participant. The Django
admin is for a superuser in an emergency (`manage.py createsuperuser`): only
is_superuser may use it, nothing can be deleted there in bulk, and every
change made there is also written to Haven's audit log (core/signals.py).
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import AuditEntry


class BreakGlassLoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "not_superuser": _("Only a break-glass superuser account may use this site."),
    }

    def confirm_login_allowed(self, user):
        if not (user.is_active and user.is_superuser):
            raise ValidationError(self.error_messages["not_superuser"], code="not_superuser")


class BreakGlassAdminSite(admin.AdminSite):
    site_header = _("Haven break-glass administration")
    site_title = _("Haven break-glass administration")
    login_form = BreakGlassLoginForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Deleting many rows at once writes the admin log with bulk_create,
        # which sends no signal, so it would escape Haven's audit log; and its
        # confirmation page lists every linked record.
        self.disable_action("delete_selected")

    def has_permission(self, request):
        """The admin role is not enough: break-glass superusers only."""
        user = request.user
        return user.is_active and user.is_superuser

    def login(self, request, extra_context=None):
        # A logged-in person without the right lands here from any admin URL:
        # keep a trace of the attempt.
        if (
            request.method == "GET"
            and request.user.is_authenticated
            and not self.has_permission(request)
        ):
            audit.record(
                request.user, AuditEntry.Action.REFUSED, request=request, reason="django admin"
            )
        return super().login(request, extra_context)


class KeepRecordsAdmin(admin.ModelAdmin):
    """For models that records point at: deactivate them, never delete.

    Without the delete page there is no confirmation listing linked records
    (which, for a user or a site, were participants' card codes).
    """

    def has_delete_permission(self, request, obj=None):
        return False
