from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "haven.resources"
    label = "resources"
