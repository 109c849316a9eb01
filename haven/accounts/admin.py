"""Staff and sites in the break-glass admin (superusers only; see haven/core/admin.py).

The everyday way to manage them is Haven's own pages (accounts:staff and
accounts:sites). Neither can be deleted here: records point at both, and a
delete confirmation would list those records.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.models import StaticDevice

from haven.core.admin import KeepRecordsAdmin

from .actions import end_sessions_and_devices
from .models import RecoveryCodeDevice, Site, User


@admin.register(User)
class StaffAdmin(KeepRecordsAdmin, UserAdmin):
    list_display = ["username", "role", "is_active", "is_superuser", "last_login"]
    list_filter = ["role", "is_active", "is_superuser", "sites"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Haven", {"fields": ["role", "sites", "current_site"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        ("Haven", {"fields": ["role", "sites"]}),
    ]
    filter_horizontal = ["sites", "groups", "user_permissions"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Deactivating here ends sessions and devices, as Haven's page does.
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_sessions_and_devices(obj, by=request.user)


@admin.register(Site)
class SiteAdmin(KeepRecordsAdmin):
    list_display = ["name", "kind", "area", "active"]
    list_filter = ["kind", "active"]


# django-otp's page for its own recovery codes lets codes be typed in and keeps
# them in plain text; Haven's (RecoveryCodeDevice) replaced them. The plugin
# stays installed only for the migration that moved its codes over.
if admin.site.is_registered(StaticDevice):
    admin.site.unregister(StaticDevice)


@admin.register(RecoveryCodeDevice)
class RecoveryCodesAdmin(admin.ModelAdmin):
    """Someone's recovery codes, to be removed in an emergency (with their app, to
    reset a second factor). Codes are made only by their owner, on Haven's page,
    shown to them alone, and kept as hashes, which are never shown."""

    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
