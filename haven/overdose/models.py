"""Overdose response: naloxone hand-out details, overdose reports, drug checks, alerts.

Places are coarse on purpose. A report, a drug check or an alert names an Area
(a ZIP code, a neighbourhood or a grid cell of about two kilometres), never an
address or a point, so that nothing here can lead anyone to a person.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core.crypto import EncryptedTextField

# The most naloxone doses one overdose plausibly needed; more is a typing mistake.
MAX_DOSES_PER_OVERDOSE = 20


class Area(models.Model):
    """A coarse place: what maps, spike detection and alerts are counted by."""

    class Kind(models.TextChoices):
        ZIP = "zip", _("ZIP code")
        NEIGHBOURHOOD = "neighbourhood", _("Neighbourhood")
        GRID = "grid", _("Grid cell")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    # The area's centre, to two decimals at most: used only to find which areas
    # are neighbours for the space-time scan. None: the area is left out of it.
    latitude = models.FloatField(_("centre latitude"), null=True, blank=True)
    longitude = models.FloatField(_("centre longitude"), null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Region(models.Model):
    """A larger place a program watches as one: a city or a county, made of areas.

    The region marked `whole_program` stands for every active area (one is
    made by the first migration), so that a spike spread thinly over the
    program is seen even when no single area stands out.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    areas = models.ManyToManyField(
        Area, blank=True, related_name="regions", verbose_name=_("areas")
    )
    whole_program = models.BooleanField(_("the whole program"), default=False)

    class Meta:
        ordering = ["-whole_program", "name"]

    def __str__(self):
        return self.name


class Substance(models.TextChoices):
    FENTANYL = "fentanyl", _("Fentanyl")
    HEROIN = "heroin", _("Heroin")
    XYLAZINE = "xylazine", _("Xylazine")
    NITAZENES = "nitazenes", _("Nitazenes")
    COUNTERFEIT_PILLS = "counterfeit_pills", _("Counterfeit pills")
    METHAMPHETAMINE = "methamphetamine", _("Methamphetamine")
    COCAINE = "cocaine", _("Cocaine")
    BENZODIAZEPINES = "benzodiazepines", _("Benzodiazepines")
    ALCOHOL = "alcohol", _("Alcohol")
    OTHER = "other", _("Something else")
    UNKNOWN = "unknown", _("Not known")


class NaloxoneDistribution(models.Model):
    """The naloxone part of a contact: first kit or refill, and why a refill.

    The kits themselves are the contact's supply lines (outreach.EncounterSupply
    with an item of category "naloxone"); this adds what funders and programs
    ask about them. `is_refill` is derived from the participant's earlier
    contacts, never typed: see actions.is_refill. It is None for anonymous
    contacts, whose history is not known.
    """

    class Formulation(models.TextChoices):
        NASAL = "nasal", _("Nasal spray")
        INJECTABLE = "injectable", _("Injectable")

    class RefillReason(models.TextChoices):
        USED = "used", _("Used it on someone")
        LOST = "lost", _("Lost")
        EXPIRED = "expired", _("Expired")
        TAKEN_BY_POLICE = "police", _("Taken by police")
        GAVE_AWAY = "gave_away", _("Gave it away")
        OTHER = "other", _("Another reason")

    encounter = models.ForeignKey(
        "outreach.Encounter", on_delete=models.CASCADE, related_name="naloxone_details"
    )
    item = models.ForeignKey("supplies.Item", on_delete=models.PROTECT, related_name="+")
    formulation = models.CharField(_("formulation"), max_length=20, choices=Formulation.choices)
    kits = models.PositiveSmallIntegerField(_("kits"))
    doses = models.PositiveSmallIntegerField(_("doses"))
    is_refill = models.BooleanField(_("refill"), null=True)
    refill_reason = models.CharField(
        _("reason for the refill"), max_length=20, choices=RefillReason.choices, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["encounter", "item"], name="one_naloxone_detail_per_item"
            )
        ]


class OverdoseReport(models.Model):
    """An overdose someone told us about, or one imported from another source.

    A reversal (the funder metric "overdose reversals reported") is a report
    where naloxone was given and the person survived: see `is_reversal`.
    """

    class Reporter(models.TextChoices):
        PARTICIPANT = "participant", _("A participant")
        COMMUNITY = "community", _("A community member")
        STAFF = "staff", _("Staff saw it")
        ANONYMOUS = "anonymous", _("Anonymous")
        IMPORTED = "imported", _("Imported records")

    class Outcome(models.TextChoices):
        SURVIVED = "survived", _("Survived")
        DIED = "died", _("Died")
        UNKNOWN = "unknown", _("Not known")

    class NaloxoneSource(models.TextChoices):
        PROGRAM = "program", _("Our program")
        PHARMACY = "pharmacy", _("A pharmacy")
        EMS = "ems", _("Emergency services")
        OTHER = "other", _("Somewhere else")
        UNKNOWN = "unknown", _("Not known")
        NONE = "none", _("No naloxone was given")

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(_("when it happened"), db_index=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="overdose_reports", verbose_name=_("area")
    )
    reported_by = models.CharField(_("who told us"), max_length=20, choices=Reporter.choices)
    encounter = models.ForeignKey(
        "outreach.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="overdose_reports",
    )
    naloxone_doses = models.PositiveSmallIntegerField(
        _("naloxone doses given"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DOSES_PER_OVERDOSE)],
    )
    naloxone_source = models.CharField(
        _("where the naloxone came from"),
        max_length=20,
        choices=NaloxoneSource.choices,
        default=NaloxoneSource.UNKNOWN,
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.UNKNOWN
    )
    # None means "not known": imported records rarely say.
    emergency_services_called = models.BooleanField(_("emergency services called"), null=True)
    rescue_breathing = models.BooleanField(_("rescue breathing given"), null=True)
    stayed_with_person = models.BooleanField(_("someone stayed with the person"), null=True)
    substances = models.JSONField(_("substances suspected"), default=list, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    # Where the record came from: "" for reports entered in Haven, else the
    # name given at import (e.g. "Tempe EMS"), with the source's own row key
    # so that importing a file twice stores each record once.
    source = models.CharField(_("source"), max_length=60, blank=True)
    source_ref = models.CharField(max_length=80, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["area", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~models.Q(source=""),
                name="imported_report_once",
            ),
            models.CheckConstraint(
                condition=models.Q(naloxone_doses__lte=MAX_DOSES_PER_OVERDOSE),
                name="overdose_doses_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.area} {self.occurred_at:%Y-%m-%d}"

    @property
    def is_reversal(self):
        return bool(self.naloxone_doses) and self.outcome == self.Outcome.SURVIVED


class DrugCheck(models.Model):
    """One drug checking result.

    "Share positive" counts positive results among positive and negative ones;
    inconclusive results are shown apart and left out of the share.
    """

    class SampleForm(models.TextChoices):
        POWDER = "powder", _("Powder")
        PILL = "pill", _("Pill")
        CRYSTAL = "crystal", _("Crystal")
        TAR = "tar", _("Tar")
        LIQUID = "liquid", _("Liquid")
        RESIDUE = "residue", _("Residue")

    class Method(models.TextChoices):
        FENTANYL_STRIP = "fentanyl_strip", _("Fentanyl test strip")
        XYLAZINE_STRIP = "xylazine_strip", _("Xylazine test strip")
        REAGENT = "reagent", _("Reagent test")
        FTIR = "ftir", _("FTIR spectrometer")
        LAB = "lab", _("Laboratory")

    class Result(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEGATIVE = "negative", _("Negative")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    checked_on = models.DateField(_("date"), db_index=True)
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="drug_checks", verbose_name=_("area")
    )
    sold_as = models.CharField(_("sold as"), max_length=30, choices=Substance.choices)
    sample_form = models.CharField(_("form"), max_length=20, choices=SampleForm.choices)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    substances_found = models.JSONField(_("substances found"), default=list, blank=True)
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-id"]


class DrugAlertQuerySet(models.QuerySet):
    def current(self, now=None):
        """Published and in force now: started and not yet expired."""
        now = now or timezone.now()
        return self.filter(
            status=DrugAlert.Status.PUBLISHED, starts_at__lte=now, expires_at__gt=now
        )

    def public(self):
        return self.filter(audience=DrugAlert.Audience.PUBLIC)


class DrugAlert(models.Model):
    """A warning about the drug supply, for staff or for everyone."""

    class Severity(models.TextChoices):
        ADVISORY = "advisory", _("Advisory")
        WARNING = "warning", _("Warning")
        URGENT = "urgent", _("Urgent")

    class Audience(models.TextChoices):
        STAFF = "staff", _("Staff only")
        PUBLIC = "public", _("Public")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    title = models.CharField(_("title"), max_length=120)
    title_es = models.CharField(_("title in Spanish"), max_length=120, blank=True)
    body = models.TextField(_("what to look out for"), max_length=2000)
    body_es = models.TextField(_("what to look out for, in Spanish"), max_length=2000, blank=True)
    substances = models.JSONField(_("substances"), default=list, blank=True)
    # None: the whole program's area.
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
        verbose_name=_("area"),
    )
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    audience = models.CharField(_("who may see it"), max_length=20, choices=Audience.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    from_spike_detector = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    objects = DrugAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("starts_at")),
                name="alert_expires_after_it_starts",
            )
        ]

    def __str__(self):
        return self.title

    def localised(self, language_code):
        """(title, body) in the reader's language when a translation exists."""
        if language_code and language_code.startswith("es") and self.title_es and self.body_es:
            return self.title_es, self.body_es
        return self.title, self.body

    def substance_labels(self):
        return [Substance(code).label for code in self.substances if code in Substance.values]


class SpikeFlag(models.Model):
    """One reason the spike detector gave, on one scale and day; kept so that a rerun flags it once.

    Every flag of one spike (an area, the region around it, the cluster the
    scan found) points at the same draft alert.
    """

    class Method(models.TextChoices):
        THRESHOLD = "threshold", _("Over the 24-hour threshold")
        EWMA = "ewma", _("Unusual against the 28-day baseline (EWMA)")
        EARS_C1 = "ears_c1", _("EARS C1: unusual against the last 7 days")
        EARS_C2 = "ears_c2", _("EARS C2: unusual against 7 days, 2 days back")
        EARS_C3 = "ears_c3", _("EARS C3: unusual for three days running")
        HISTORICAL = "historical", _("Unusual against the last year's daily average")
        SCAN = "scan", _("Space-time scan: a cluster of neighbouring areas")

    class Scale(models.TextChoices):
        AREA = "area", _("Area")
        REGION = "region", _("Region")
        CLUSTER = "cluster", _("Cluster of neighbouring areas")

    scale = models.CharField(max_length=20, choices=Scale.choices, default=Scale.AREA)
    # What was flagged: "area:<code>", "region:<code>" or "cluster:<codes>".
    key = models.CharField(max_length=700)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="spike_flags"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.CASCADE, related_name="spike_flags"
    )
    # The codes of every area the flag covers (one for an area flag).
    area_codes = models.JSONField(default=list)
    window_end = models.DateTimeField()
    window_days = models.PositiveSmallIntegerField(default=1)
    day = models.DateField()
    count = models.PositiveIntegerField()
    # Expected reports over the window; baseline_mean is per day.
    expected = models.FloatField(default=0)
    baseline_mean = models.FloatField()
    statistic = models.FloatField()
    # "By chance once in N days", when the method can say.
    recurrence_days = models.FloatField(null=True, blank=True)
    method = models.CharField(max_length=20, choices=Method.choices)
    alert = models.ForeignKey(
        DrugAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="spike_flags"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-window_end", "scale", "key"]
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="one_flag_per_key_day")]

    def place(self):
        if self.region_id:
            return self.region.name
        if self.area_id and self.scale == self.Scale.AREA:
            return self.area.name
        return ", ".join(self.area_codes)
