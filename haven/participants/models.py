import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import codes


def current_year():
    return datetime.date.today().year


class Participant(models.Model):
    """A person the program serves, known by a card code, never by legal name."""

    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        TRANS_WOMAN = "trans_woman", _("Trans woman")
        TRANS_MAN = "trans_man", _("Trans man")
        NON_BINARY = "non_binary", _("Non-binary")
        OTHER = "other", _("Another identity")
        DECLINED = "declined", _("Prefers not to say")

    class RaceEthnicity(models.TextChoices):
        AMERICAN_INDIAN = "american_indian", _("American Indian or Alaska Native")
        ASIAN = "asian", _("Asian")
        BLACK = "black", _("Black or African American")
        HISPANIC = "hispanic", _("Hispanic or Latino/a/e")
        PACIFIC_ISLANDER = "pacific_islander", _("Native Hawaiian or Pacific Islander")
        WHITE = "white", _("White")
        MULTIPLE = "multiple", _("More than one")
        OTHER = "other", _("Another")
        DECLINED = "declined", _("Prefers not to say")

    card_code = models.CharField(_("card code"), max_length=7, unique=True, editable=False)
    uic = models.CharField(_("UIC"), max_length=20, blank=True, db_index=True)
    alias = models.CharField(
        _("alias"), max_length=60, blank=True, help_text=_("A street name or nickname; optional.")
    )
    alias_folded = models.CharField(max_length=60, blank=True, db_index=True, editable=False)
    year_of_birth = models.PositiveSmallIntegerField(
        _("year of birth"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1900), MaxValueValidator(current_year)],
    )
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, blank=True)
    race_ethnicity = models.CharField(
        _("race/ethnicity"), max_length=20, choices=RaceEthnicity.choices, blank=True
    )
    zip_code = models.CharField(
        _("ZIP code"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("Enter a five-digit ZIP code."))],
    )
    # A duplicate is linked to the record it duplicates, never deleted, so
    # that both histories stay and the link can be audited.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # When this person (with any records merged into this one) first received
    # naloxone from the program: a later naloxone hand-out is a refill. Kept
    # by haven/reports/summaries.py on every write; never typed.
    first_naloxone_at = models.DateTimeField(null=True, blank=True, editable=False)
    enrolled_at = models.DateTimeField(default=timezone.now, db_index=True)
    enrolled_site = models.ForeignKey(
        "accounts.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(merged_into=models.F("id")),
                name="participant_not_merged_into_self",
            )
        ]

    def __str__(self):
        return self.display_code

    def save(self, *args, **kwargs):
        if not self.card_code:
            self.card_code = self._unused_code()
        self.alias_folded = self.alias.casefold().strip()
        super().save(*args, **kwargs)

    @property
    def display_code(self):
        return codes.format_code(self.card_code)

    def canonical(self):
        """The record this one is merged into, following chains of merges."""
        record = self
        seen = {record.pk}
        while record.merged_into_id and record.merged_into_id not in seen:
            seen.add(record.merged_into_id)
            record = record.merged_into
        return record

    def linked_ids(self):
        """Ids of this record and every record merged into it, at any depth."""
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            frontier = list(
                Participant.objects.filter(merged_into_id__in=frontier)
                .exclude(pk__in=ids)
                .values_list("pk", flat=True)
            )
            ids.update(frontier)
        return ids

    @staticmethod
    def _unused_code(rng=None):
        """A code no participant has and no phone holds for enrolling offline."""
        while True:
            code = codes.generate(rng)
            taken = Participant.objects.filter(card_code=code).exists()
            if not taken and not ReservedCardCode.objects.filter(code=code).exists():
                return code


class ReservedCardCode(models.Model):
    """A card code held for one phone, so that it can enrol people with no signal.

    A phone asks for a few while it has signal; each is given to one phone
    only (the code is unique here and never made for anyone else), and the
    enrolment the phone later sends with it is stored once: its client UUID
    is kept with the participant it made, so a replay finds that participant.
    """

    code = models.CharField(max_length=7, unique=True, editable=False)
    reserved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The phone's own random id, so that two phones of one user never share codes.
    device = models.UUIDField(db_index=True)
    reserved_at = models.DateTimeField(default=timezone.now)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True)
    participant = models.OneToOneField(
        Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return codes.format_code(self.code)
