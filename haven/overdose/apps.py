from django.apps import AppConfig


class OverdoseConfig(AppConfig):
    name = "haven.overdose"
    label = "overdose"
