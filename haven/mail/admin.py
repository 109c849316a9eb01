from django.contrib import admin

from .models import MailOffer


@admin.register(MailOffer)
class MailOfferAdmin(admin.ModelAdmin):
    """What the program mails and how many per request (the mail form's catalog)."""

    list_display = ["item", "most_per_request", "active", "sort_order"]
    list_editable = ["most_per_request", "active", "sort_order"]
