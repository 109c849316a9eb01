import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core.crypto import EncryptedTextField

from . import hours


class Need(models.TextChoices):
    """What a person may need; a resource offers some of these."""

    METHADONE = "methadone", _("Methadone")
    BUPRENORPHINE = "buprenorphine", _("Buprenorphine")
    NALTREXONE = "naltrexone", _("Naltrexone")
    COUNSELING = "counseling", _("Counseling")
    DETOX = "detox", _("Detox")
    RESIDENTIAL = "residential", _("Residential treatment")
    OUTPATIENT = "outpatient", _("Outpatient treatment")
    SYRINGE_SERVICES = "syringe_services", _("Syringe services")
    NALOXONE = "naloxone", _("Naloxone")
    HIV_TESTING = "hiv_testing", _("HIV testing")
    HIV_CARE = "hiv_care", _("PrEP and HIV care")
    HEPATITIS_C = "hepatitis_c", _("Hepatitis C testing and treatment")
    WOUND_CARE = "wound_care", _("Wound care")
    PRIMARY_CARE = "primary_care", _("Primary care")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    CRISIS = "crisis", _("Crisis")
    HOUSING = "housing", _("Housing and shelter")
    FOOD = "food", _("Food")
    SHOWERS = "showers", _("Showers")
    LEGAL = "legal", _("Legal help")
    ID_DOCUMENTS = "id_documents", _("ID documents")
    BENEFITS = "benefits", _("Medicaid and benefits enrollment")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")
    VIETNAMESE = "vi", _("Vietnamese")
    CHINESE = "zh", _("Chinese")
    ARABIC = "ar", _("Arabic")
    TAGALOG = "tl", _("Tagalog")
    NAVAJO = "nv", _("Navajo")
    SIGN = "ase", _("American Sign Language")


class Payment(models.TextChoices):
    """Ways to pay; each is a yes/no/unknown field on Resource (see PAYMENT_FIELDS)."""

    MEDICAID = "medicaid", _("Medicaid")
    MEDICARE = "medicare", _("Medicare")
    PRIVATE = "private", _("Private insurance")
    UNINSURED = "uninsured", _("Uninsured (self-pay)")
    SLIDING_SCALE = "sliding_scale", _("Sliding scale")
    FREE = "free", _("Free")


PAYMENT_FIELDS = {
    Payment.MEDICAID: "accepts_medicaid",
    Payment.MEDICARE: "accepts_medicare",
    Payment.PRIVATE: "accepts_private",
    Payment.UNINSURED: "accepts_uninsured",
    Payment.SLIDING_SCALE: "sliding_scale",
    Payment.FREE: "free",
}

zip_validator = RegexValidator(r"^\d{5}$", _("Enter a five-digit ZIP code."))


class Resource(models.Model):
    """One place that offers services, in the directory.

    Anything not known stays unknown (blank, or None for yes/no questions):
    imported directories rarely say how to pay or when a place is open, and
    a guess would send someone to a closed door.
    """

    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation or second name"), max_length=200, blank=True)
    address_line1 = models.CharField(_("street address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True)
    zip_code = models.CharField(
        _("ZIP code"), max_length=5, blank=True, db_index=True, validators=[zip_validator]
    )
    county = models.CharField(_("county"), max_length=100, blank=True)
    latitude = models.FloatField(
        _("latitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        _("longitude"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    walk_in = models.BooleanField(_("walk-in"), null=True, blank=True)
    same_day = models.BooleanField(_("same-day appointments"), null=True, blank=True)
    accepts_medicaid = models.BooleanField(_("accepts Medicaid"), null=True, blank=True)
    accepts_medicare = models.BooleanField(_("accepts Medicare"), null=True, blank=True)
    accepts_private = models.BooleanField(_("accepts private insurance"), null=True, blank=True)
    accepts_uninsured = models.BooleanField(_("serves the uninsured"), null=True, blank=True)
    sliding_scale = models.BooleanField(_("sliding scale"), null=True, blank=True)
    free = models.BooleanField(_("free"), null=True, blank=True)
    requirements = models.TextField(
        _("requirements"), blank=True, help_text=_("e.g. bring ID; 18 and over; referral needed")
    )
    notes = models.TextField(_("notes"), blank=True)
    public = models.BooleanField(
        _("shown in the public finder"), default=True, help_text=_("Untick for staff-only entries.")
    )
    active = models.BooleanField(_("active"), default=True)
    last_verified_on = models.DateField(_("last verified"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    # Normalised name, street and ZIP, to find the same place again on import.
    match_key = models.CharField(max_length=300, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["latitude", "longitude"], name="resource_lat_lon")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180
                ),
                name="resource_coordinates_in_range",
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from .matching import match_key

        self.match_key = match_key(
            self.name, self.organisation, self.address_line1, self.address_line2, self.zip_code
        )
        super().save(*args, **kwargs)

    @property
    def address(self):
        street = ", ".join(part for part in (self.address_line1, self.address_line2) if part)
        place = " ".join(part for part in (self.state, self.zip_code) if part)
        return ", ".join(part for part in (street, self.city, place) if part)

    @property
    def has_location(self):
        return self.latitude is not None and self.longitude is not None

    def need_codes(self):
        """The needs offered; uses prefetched offerings when there are any."""
        return [offering.need for offering in self.offerings.all()]

    def need_labels(self):
        labels = dict(Need.choices)
        return [str(labels[code]) for code in sorted(self.need_codes(), key=Need.values.index)]

    def language_codes(self):
        return [spoken.language for spoken in self.languages.all()]

    def language_labels(self):
        labels = dict(Language.choices)
        return [str(labels[code]) for code in self.language_codes()]

    def payments(self):
        """{Payment: True/False/None} for each way to pay."""
        return {payment: getattr(self, field) for payment, field in PAYMENT_FIELDS.items()}

    def accepted_payment_labels(self):
        return [str(payment.label) for payment, value in self.payments().items() if value]

    def weekly_spans(self):
        return [hours.Span(row.weekday, row.opens, row.closes) for row in self.opening_hours.all()]

    def exception_spans(self):
        return {row.date: row.spans() for row in self.hours_exceptions.all()}

    def week(self):
        return hours.Week(self.weekly_spans(), self.exception_spans())

    def status_at(self, moment):
        return self.week().status_at(moment)

    def is_stale(self, today=None):
        today = today or timezone.localdate()
        if self.last_verified_on is None:
            return True
        return (today - self.last_verified_on).days > settings.RESOURCE_STALE_DAYS


class ResourceNeed(models.Model):
    """One need a resource offers. A table, so that search filters in SQL."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="offerings")
    need = models.CharField(max_length=30, choices=Need.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "need"], name="one_row_per_need")
        ]
        indexes = [models.Index(fields=["need", "resource"], name="resource_need_lookup")]


class ResourceLanguage(models.Model):
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="languages")
    language = models.CharField(max_length=5, choices=Language.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "language"], name="one_row_per_language")
        ]
        indexes = [models.Index(fields=["language", "resource"], name="resource_language_lookup")]


class OpeningHours(models.Model):
    """A weekly span. Closing at or before opening means closing the next day.

    00:00 to 00:00 is open all day. A span belongs to the day it starts on.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="weekday_in_week"
            )
        ]


class HoursException(models.Model):
    """A date when the weekly hours do not apply: a holiday, a closure, special hours."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="hours_exceptions"
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "date"], name="one_exception_per_date"),
            models.CheckConstraint(
                condition=models.Q(closed=True)
                | models.Q(opens__isnull=False, closes__isnull=False),
                name="exception_closed_or_has_hours",
            ),
        ]

    def spans(self):
        if self.closed:
            return []
        return [hours.Span(self.date.weekday(), self.opens, self.closes)]


class ImportMapping(models.Model):
    """A saved column mapping for CSV imports: Haven field -> CSV column."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    columns = models.JSONField(default=dict)
    fixed_needs = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class ImportBatch(models.Model):
    """An uploaded CSV, kept between the preview and the import, and its outcome.

    The import itself runs in the background (haven.resources.tasks), which
    records how far it got here, so a page reload still shows the progress.
    """

    class Status(models.TextChoices):
        STAGED = "staged", _("Ready to import")
        QUEUED = "queued", _("Waiting to start")
        CHECKING = "checking", _("Checking rows")
        WRITING = "writing", _("Saving entries")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    encoding = models.CharField(max_length=20, default="utf-8-sig")
    source = models.CharField(_("source"), max_length=100, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.STAGED)
    # What the import was asked to do, kept for the background task.
    columns = models.JSONField(default=dict, blank=True)
    fixed_needs = models.JSONField(default=list, blank=True)
    update_existing = models.BooleanField(default=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    @property
    def running(self):
        return self.status in {self.Status.QUEUED, self.Status.CHECKING, self.Status.WRITING}


class Referral(models.Model):
    """A participant sent to a resource for a need, followed until linked or closed."""

    class Status(models.TextChoices):
        MADE = "made", _("Made")
        CONTACTED = "contacted", _("Contacted")
        LINKED = "linked", _("Linked to care")
        DECLINED = "declined", _("Declined")
        LOST = "lost", _("Lost to follow-up")

    OPEN_STATUSES = (Status.MADE, Status.CONTACTED)

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="referrals"
    )
    encounter = models.ForeignKey(
        "outreach.Encounter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("resource")
    )
    need = models.CharField(_("need"), max_length=30, choices=Need.choices)
    note = EncryptedTextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.MADE, db_index=True
    )
    site = models.ForeignKey(
        "accounts.Site", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("site")
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    made_at = models.DateTimeField(_("made"), default=timezone.now, db_index=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    linked_at = models.DateTimeField(_("linked"), null=True, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="linked", linked_at__isnull=False)
                | (~models.Q(status="linked") & models.Q(linked_at__isnull=True)),
                name="referral_linked_has_date",
            )
        ]

    def __str__(self):
        return f"{self.get_need_display()} → {self.resource}"

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.is_open and self.follow_up_on is not None and self.follow_up_on < today


class ReferralUpdate(models.Model):
    """A change of status, with when, who and an optional encrypted note."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="updates")
    # Sent by the field app, so that a change sent twice is recorded once.
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Referral.Status.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]


class Guide(models.Model):
    """A paperwork guide: a checklist of steps, e.g. applying for Medicaid."""

    title = models.CharField(_("title"), max_length=150)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    summary = models.TextField(_("summary"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class GuideStep(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("step"), max_length=300)

    class Meta:
        ordering = ["position", "id"]


class GuideProgress(models.Model):
    """A participant working through a guide; the steps done so far."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="guide_progress"
    )
    guide = models.ForeignKey(Guide, on_delete=models.PROTECT, related_name="progress")
    done_steps = models.ManyToManyField(GuideStep, blank=True, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "guide"], name="one_progress_per_guide")
        ]
