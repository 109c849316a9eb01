from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "haven.outreach"
    label = "outreach"
