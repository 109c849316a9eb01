from django.db import models
from django.utils.translation import gettext_lazy as _


class Item(models.Model):
    """Something the program hands out. Stock accounting builds on this."""

    class Category(models.TextChoices):
        NALOXONE = "naloxone", _("Naloxone")
        INJECTION = "injection", _("Injection equipment")
        SMOKING = "smoking", _("Safer smoking")
        TEST_STRIPS = "test_strips", _("Test strips")
        SAFER_SEX = "safer_sex", _("Safer sex")
        WOUND_CARE = "wound_care", _("Wound care")
        HYGIENE = "hygiene", _("Hygiene")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
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
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def localised_name(self, language_code):
        if language_code and language_code.startswith("es") and self.name_es:
            return self.name_es
        return self.name
