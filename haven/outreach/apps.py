from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "haven.outreach"
    label = "outreach"

    def ready(self):
        from . import field_keys  # noqa: F401  (forgets a phone's key at logout)
