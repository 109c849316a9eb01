from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "haven.mail"
    label = "mail"
