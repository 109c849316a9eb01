from django.contrib import admin

from haven.core.admin import KeepRecordsAdmin

from .models import Item


@admin.register(Item)
class ItemAdmin(KeepRecordsAdmin):
    list_display = ["name", "category", "unit", "usual", "active"]
    list_filter = ["category", "active", "usual"]
