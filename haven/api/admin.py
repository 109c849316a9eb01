from django.contrib import admin

from haven.core.admin import KeepRecordsAdmin

from .models import DeviceToken


@admin.register(DeviceToken)
class DeviceTokenAdmin(KeepRecordsAdmin):
    """Admins may see and revoke devices; tokens themselves are never shown."""

    list_display = ["name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username"]
    readonly_fields = ["user", "name", "created_at", "last_used_at"]
    fields = ["user", "name", "created_at", "last_used_at", "revoked_at"]

    def has_add_permission(self, request):
        return False
