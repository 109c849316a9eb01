from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "haven.consents"
    label = "consents"
