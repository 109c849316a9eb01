import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from haven.core.crypto import EncryptedTextField
from haven.core.models import SpanishName


class Item(SpanishName, models.Model):
    """Something the program hands out."""

    class Category(models.TextChoices):
        NALOXONE = "naloxone", _("Naloxone")
        INJECTION = "injection", _("Injection equipment")
        SMOKING = "smoking", _("Safer smoking")
        TEST_STRIPS = "test_strips", _("Test strips")
        SAFER_SEX = "safer_sex", _("Safer sex")
        WOUND_CARE = "wound_care", _("Wound care")
        HYGIENE = "hygiene", _("Hygiene")
        OTHER = "other", _("Other")

    class ReportingGroup(models.TextChoices):
        """The funder count an item adds to (see haven/reports when it lands)."""

        SYRINGES = "syringes", _("Syringes")
        NALOXONE_NASAL = "naloxone_nasal", _("Naloxone, nasal spray")
        NALOXONE_INJECTABLE = "naloxone_injectable", _("Naloxone, injectable")
        FENTANYL_STRIPS = "fentanyl_strips", _("Fentanyl test strips")
        XYLAZINE_STRIPS = "xylazine_strips", _("Xylazine test strips")
        SMOKING_KITS = "smoking_kits", _("Safer smoking kits")
        CONDOMS = "condoms", _("Condoms")
        WOUND_CARE_KITS = "wound_care_kits", _("Wound care kits")
        OTHER = "other", _("Other supplies")

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    reporting_group = models.CharField(
        _("reporting group"),
        max_length=30,
        choices=ReportingGroup.choices,
        default=ReportingGroup.OTHER,
    )
    unit = models.CharField(_("unit"), max_length=30, default="each")
    doses_per_unit = models.PositiveSmallIntegerField(
        _("naloxone doses per unit"), default=0, help_text=_("Naloxone only.")
    )
    # The largest quantity one contact can plausibly hand out; larger
    # numbers are typing mistakes (a box of 100 syringes is 100 units).
    max_per_contact = models.PositiveIntegerField(_("most per contact"), default=500)
    # Shown on the quick-log screen first: what most contacts take.
    usual = models.BooleanField(_("usual supply"), default=False)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order on screens"), default=100)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Kit(SpanishName, models.Model):
    """A named bundle; handing out one kit draws each component."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    items = models.ManyToManyField(Item, through="KitComponent", related_name="kits")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class KitComponent(models.Model):
    kit = models.ForeignKey(Kit, on_delete=models.CASCADE, related_name="components")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kit", "item"], name="one_component_per_item"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="component_quantity_positive"
            ),
        ]


class StockLocation(models.Model):
    """Where stock sits: a warehouse, a site's shelf, a van, a specialist's bag."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse")
        SITE = "site", _("Site")
        MOBILE = "mobile", _("Mobile unit")
        BAG = "bag", _("Specialist's bag")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The site whose supervisors look after this stock; none for a warehouse.
    site = models.ForeignKey(
        "accounts.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_locations",
        verbose_name=_("site"),
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bags",
        verbose_name=_("whose bag"),
    )
    # Field stock is often ahead of the records: a location may hand out more
    # than the ledger shows, recording the shortfall for a supervisor.
    allow_unrecorded_stock = models.BooleanField(
        _("allow handing out more than recorded"), default=False
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Lot(models.Model):
    """A batch of one item; the blank lot number holds stock without lots."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(_("lot number"), max_length=60, blank=True)
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)

    class Meta:
        ordering = ["item", "expires_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="one_lot_number_per_item")
        ]

    def __str__(self):
        label = self.number or _("no lot")
        if self.expires_on:
            return f"{label} ({self.expires_on:%Y-%m-%d})"
        return str(label)


class StockBalance(models.Model):
    """On-hand per location and lot: the ledger's running total.

    Written in the same transaction as every movement, so it always equals the
    sum of the movements (a test proves it). The check constraint is what makes
    negative stock impossible, even when two people draw the last unit at once.
    """

    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="balances")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="balances")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["location", "lot"], name="one_balance_per_location_lot"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_never_negative"),
        ]
        indexes = [models.Index(fields=["location", "item"])]


class StockMovement(models.Model):
    """One line of the append-only ledger. Never edited or deleted: reversed."""

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Received")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        DISTRIBUTE = "distribute", _("Handed out")
        UNRECORDED = "unrecorded", _("Unrecorded stock found")
        DISPOSE = "dispose", _("Disposed")
        EXPIRE = "expire", _("Expired")
        ADJUST = "adjust", _("Adjusted after a count")
        REVERSAL = "reversal", _("Reversal")

    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # No index: nothing looks movements up by kind alone (the stock pages narrow
    # by location, item and time first), and each index is written on every movement.
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # No index of its own: (location, item, time) in Meta.indexes serves it.
    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="movements", db_index=False
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="movements")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="movements")
    # Signed: positive into the location, negative out of it.
    quantity = models.IntegerField()
    occurred_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    encounter = models.ForeignKey(
        "outreach.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stock_movements",
    )
    # Both sides of a transfer share this (indexed where set: see Meta.indexes).
    transfer_group = models.UUIDField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    supplier = models.CharField(_("supplier"), max_length=120, blank=True)
    # Typed by staff (why stock was disposed of, reversed, adjusted), so it may
    # name someone: encrypted like every free text.
    reason = EncryptedTextField(_("reason"), blank=True)
    # Unrecorded stock waits for a supervisor to look at it (found through the
    # partial index in Meta.indexes: a plain one was written on every movement).
    needs_review = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["location", "item", "occurred_at"]),
            # Flagged movements are few among millions: a partial index finds them.
            models.Index(
                fields=["location"], condition=Q(needs_review=True), name="movement_flagged_idx"
            ),
            # So are transfers; the hand-outs (no group) are not written to it.
            models.Index(
                fields=["transfer_group"],
                condition=Q(transfer_group__isnull=False),
                name="movement_transfer_idx",
            ),
        ]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="movement_not_zero")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quantity} {self.item} @ {self.location}"


class FlagReview(models.Model):
    """A supervisor's look at a flagged movement; the movement itself stays as it was."""

    movement = models.OneToOneField(StockMovement, on_delete=models.PROTECT, related_name="review")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)
    comment = EncryptedTextField(_("comment"), blank=True)


class SyringeCollection(models.Model):
    """Used syringes brought back. Not stock: they go to disposal, not to people."""

    client_uuid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    location = models.ForeignKey(
        StockLocation, on_delete=models.PROTECT, related_name="collections"
    )
    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(
        "outreach.Encounter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    syringes = models.PositiveIntegerField(_("syringes"))
    # When collected by weight, the count is an estimate from the weight.
    weight_grams = models.PositiveIntegerField(_("weight in grams"), null=True, blank=True)
    is_estimate = models.BooleanField(default=False)

    class Meta:
        ordering = ["-occurred_at"]


class ReorderPoint(models.Model):
    """Below this much of an item, a location is low."""

    location = models.ForeignKey(
        StockLocation, on_delete=models.CASCADE, related_name="reorder_points"
    )
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    minimum = models.PositiveIntegerField(_("reorder at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["location", "item"], name="one_reorder_point_per_item")
        ]
