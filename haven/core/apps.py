from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "haven.core"
    label = "core"

    def ready(self):
        from . import append_only, signals  # noqa: F401


class HavenAdminConfig(admin_apps.AdminConfig):
    """Listed in INSTALLED_APPS instead of django.contrib.admin: break-glass only."""

    # Not this module's default: that is CoreConfig.
    default = False
    default_site = "haven.core.admin.BreakGlassAdminSite"
