from django.contrib import admin

from .models import Area


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """Areas are set up by administrators; grid cells are also made by imports."""

    list_display = ["name", "code", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]
