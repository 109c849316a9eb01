"""Naloxone and supplies by mail: what the program mails, the requests, and the reports back.

A request keeps the shipping address (encrypted) only until it is no longer
needed: a scheduled task purges it some days after the package is delivered,
returned or declined (see actions.do_purge_addresses). What stays is the ZIP,
the state and the counts, for reporting, and a keyed hash of the normalised
address, so that a requester who asks again is recognised for the program's
limits without the address being kept.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haven.core.crypto import EncryptedTextField


class MailOffer(models.Model):
    """An item the program mails, and the most one request may ask for."""

    item = models.OneToOneField(
        "supplies.Item", on_delete=models.PROTECT, related_name="mail_offer", verbose_name=_("item")
    )
    most_per_request = models.PositiveSmallIntegerField(_("most per request"), default=2)
    active = models.BooleanField(_("offered by mail"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order on the form"), default=100)

    class Meta:
        ordering = ["sort_order", "item__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(most_per_request__gte=1), name="mail_offer_most_positive"
            )
        ]

    def __str__(self):
        return str(self.item)


class MailRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        PACKED = "packed", _("Packed")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned")
        DECLINED = "declined", _("Declined")

    # The hidden one-time token of the form it came from: a form posted twice is stored once.
    form_token = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    # Until purged: the name on the label (any name), the address and the contact.
    label_name = EncryptedTextField(_("name on the label"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    contact_email = EncryptedTextField(_("email"), blank=True)
    contact_phone = EncryptedTextField(_("phone"), blank=True)
    address_purged_at = models.DateTimeField(_("address purged"), null=True, blank=True)
    # Kept for reporting after the purge.
    state = models.CharField(_("state"), max_length=2)
    zip_code = models.CharField(_("ZIP code"), max_length=5, db_index=True)
    # HMAC of the normalised address (settings.MAIL_ADDRESS_KEY): recognises a repeat.
    requester_hash = models.CharField(max_length=64, db_index=True, editable=False)
    first_request = models.BooleanField(_("first request"))
    witnessed_overdose = models.BooleanField(_("witnessed an overdose recently"), null=True)
    language = models.CharField(max_length=8, default="en")
    discreet = models.BooleanField(_("discreet packaging"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Typed by staff, so it may name the requester: encrypted, and purged with the address.
    decline_reason = EncryptedTextField(_("reason"), blank=True)
    packed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was delivered, returned or declined."
    )
    # Leads to the address at the carrier (a proof of delivery): purged with the address.
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)

    class ReturnedKits(models.TextChoices):
        RESTOCKED = "restocked", _("Put back into the mail stock")
        LOST = "lost", _("Lost or destroyed (the package was opened)")

    # What became of the kits of a returned package (see actions.do_finish_request).
    returned_kits = models.CharField(
        _("returned kits"), max_length=10, choices=ReturnedKits.choices, blank=True
    )
    # The mail contact its supplies were handed out at (the ledger's distribution).
    encounter = models.OneToOneField(
        "outreach.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mail_request",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"M-{self.pk}"

    @property
    def number(self):
        return f"M-{self.pk}"

    @property
    def priority(self):
        """Higher first: a first request, then someone who saw an overdose lately."""
        return 2 * self.first_request + bool(self.witnessed_overdose)


class MailRequestLine(models.Model):
    request = models.ForeignKey(MailRequest, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey("supplies.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="mail_one_line_per_item"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="mail_line_positive"),
        ]


class MailReversal(models.Model):
    """An overdose report that came in through the public reversal form."""

    report = models.OneToOneField(
        "overdose.OverdoseReport", on_delete=models.PROTECT, related_name="mail_reversal"
    )
    form_token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


def new_form_token():
    return uuid.uuid4().hex
