from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "haven.supplies"
    label = "supplies"
