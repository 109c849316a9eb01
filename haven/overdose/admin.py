from django.contrib import admin

from haven.core.admin import KeepRecordsAdmin

from .models import Area, Region


@admin.register(Area)
class AreaAdmin(KeepRecordsAdmin):
    """Areas are set up by administrators; grid cells are also made by imports."""

    list_display = ["name", "code", "kind", "active", "latitude", "longitude"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code"]


@admin.register(Region)
class RegionAdmin(KeepRecordsAdmin):
    """Regions a program watches as one (a city, a county); the whole-program one covers all."""

    list_display = ["name", "code", "whole_program"]
    search_fields = ["name", "code"]
    filter_horizontal = ["areas"]
