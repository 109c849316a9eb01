import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core.crypto import EncryptedTextField
from haven.core.models import SpanishName


class Service(SpanishName, models.Model):
    """A service given at a contact, from a list the program configures."""

    class Kind(models.TextChoices):
        EDUCATION = "education", _("Education")
        SUPPORT = "support", _("Support")
        HEALTH = "health", _("Health care")
        TESTING = "testing", _("Testing")
        PAPERWORK = "paperwork", _("Paperwork")
        OTHER = "other", _("Other")

    class ReportingGroup(models.TextChoices):
        """The funder count a service adds to (see haven/reports/metrics.py)."""

        NONE = "", _("None")
        OVERDOSE_EDUCATION = "overdose_education", _("Overdose response training")
        HIV_TEST = "hiv_test", _("HIV test")
        HCV_TEST = "hcv_test", _("HCV test")

    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_es = models.CharField(_("name in Spanish"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reporting_group = models.CharField(
        _("reporting group"), max_length=30, choices=ReportingGroup.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Encounter(models.Model):
    """One contact: a participant (or anonymous people) met at a site by staff."""

    class ContactType(models.TextChoices):
        FIXED = "fixed", _("Fixed site")
        MOBILE = "mobile", _("Mobile")
        STREET = "street", _("Street")
        MAIL = "mail", _("Mail")
        VIRTUAL = "virtual", _("Virtual")

    # Made by the client (the form or the offline app) so that a replayed
    # submission finds the record it already created.
    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # A hash of what was first submitted, to tell a replay from a clash.
    submission_fingerprint = models.CharField(max_length=64, editable=False)
    # No index of their own: each leads one of Meta.indexes, which serves it
    # as well, and a save writes every index (haven/core/db/indexes.py).
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    site = models.ForeignKey(
        "accounts.Site",
        on_delete=models.PROTECT,
        related_name="encounters",
        verbose_name=_("site"),
        db_index=False,
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="encounters",
        db_index=False,
    )
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="encounters",
    )
    # For anonymous contacts: how many people were served at once.
    anonymous_people = models.PositiveSmallIntegerField(
        _("people (anonymous)"), default=0, validators=[MaxValueValidator(200)]
    )
    contact_type = models.CharField(_("contact type"), max_length=20, choices=ContactType.choices)
    services = models.ManyToManyField(Service, blank=True, related_name="encounters")
    secondary_people = models.PositiveSmallIntegerField(
        _("people reached through secondary distribution"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
    )
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # A staff member's recent contacts (home page, quick-log's recent
            # participants) without sorting all of their contacts.
            models.Index(fields=["staff", "occurred_at"], name="encounter_staff_time_idx"),
            # One site's contacts of one day (the report summaries refreshed on
            # every write): SQLite otherwise scans all of the site's contacts.
            models.Index(fields=["site", "occurred_at"], name="encounter_site_time_idx"),
            # Unique participants of a period, read from the index alone.
            models.Index(
                fields=["occurred_at", "participant"], name="encounter_time_participant_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(participant__isnull=False, anonymous_people=0)
                    | models.Q(participant__isnull=True, anonymous_people__gte=1)
                ),
                name="encounter_participant_or_anonymous_people",
            )
        ]

    def __str__(self):
        return f"{self.get_contact_type_display()} {self.occurred_at:%Y-%m-%d}"

    @property
    def people_served(self):
        return 1 if self.participant_id else self.anonymous_people


class EncounterSupply(models.Model):
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="supplies")
    item = models.ForeignKey("supplies.Item", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "item"], name="one_line_per_item"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="supply_quantity_positive"
            ),
        ]


class EncounterRevision(models.Model):
    """What an encounter looked like before an edit. Encrypted: it holds the note."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="revisions")
    edited_at = models.DateTimeField(auto_now_add=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    previous = EncryptedTextField()

    class Meta:
        ordering = ["-edited_at", "-id"]


class CatalogVersion(models.Model):
    """One row whose token changes with every change of the contact catalog.

    Database triggers (migration 0006) give it a new random token in the same
    transaction as any insert, update or delete of sites, services, items,
    kits and kit components, whoever makes it. See catalog.py.
    """

    token = models.CharField(max_length=36)


class FieldDeviceKey(models.Model):
    """The key that seals the outbox on one phone of one user (see field_keys.py).

    It outlives a session, so that a worker whose session ended mid-shift
    finds their queued records readable again after signing in on the same
    phone; the deliberate logout on that phone deletes it. It seals new
    records for HAVEN_FIELD_DEVICE_KEY_DAYS, then is retired for a new one
    and kept only until the phone has sealed its records again. Stored
    encrypted, like free text.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="field_device_keys"
    )
    # The phone's own random id (localStorage), the one its card codes are held for.
    device = models.UUIDField()
    key = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Last handed to the phone: a key its phone has not asked for in a whole
    # lifetime is deleted (the phone is taken as lost; field_keys.py).
    handed_at = models.DateTimeField(default=timezone.now)
    # Replaced by a newer key for sealing; still handed out to open older records.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device"],
                condition=models.Q(retired_at__isnull=True),
                name="one_sealing_field_key_per_device",
            )
        ]
