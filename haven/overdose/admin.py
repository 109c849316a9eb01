from django.contrib import admin

from haven.core.admin import KeepRecordsAdmin

from .models import Area


@admin.register(Area)
class AreaAdmin(KeepRecordsAdmin):
    """Areas are set up by administrators; grid cells are also made by imports."""

    list_display = ["name", "code", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
