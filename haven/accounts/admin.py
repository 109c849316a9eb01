from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Site, User


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "sites"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Haven", {"fields": ["role", "sites", "current_site"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        ("Haven", {"fields": ["role", "sites"]}),
    ]
    filter_horizontal = ["sites", "groups", "user_permissions"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area", "active"]
    list_filter = ["kind", "active"]
