# Contacts are not in the admin on purpose: they are participant records,
# read only through the audited pages. The service list is configuration.
from django.contrib import admin

from haven.core.admin import KeepRecordsAdmin

from .models import Service


@admin.register(Service)
class ServiceAdmin(KeepRecordsAdmin):
    list_display = ["name", "name_es", "kind", "active", "sort_order"]
    list_filter = ["kind", "active"]
