"""Consents a participant gave or refused, and what was disclosed under them.

A consent points at the exact text (kind, version, language) the participant
heard or signed; a new wording is a new version, so an old consent keeps its
text. Consents and disclosures are never deleted: a withdrawal is dated on
the consent, and what was disclosed before it stays in the accounting.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core.crypto import EncryptedTextField


class Kind(models.TextChoices):
    RECORD_KEEPING = "record_keeping", _("Keeping a record of contacts")
    CONTACT = "contact", _("Being contacted by phone or text")
    SHARING = "sharing", _("Sharing details with a provider for a referral")
    CERTIFICATE_NAME = "certificate_name", _("A name on a training certificate")
    RESEARCH = "research", _("Research")
    # The single consent for treatment, payment and health care operations
    # that the 2024 Part 2 rule allows (42 CFR 2.31(a)(4)(i)).
    TREATMENT_PAYMENT_OPERATIONS = (
        "tpo",
        _("Disclosure for treatment, payment and health care operations"),
    )


# Kinds that allow records to leave the program: in Part 2 mode they need
# every element of 42 CFR 2.31.
DISCLOSURE_KINDS = (Kind.SHARING, Kind.TREATMENT_PAYMENT_OPERATIONS)


class TextLanguage(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class ConsentText(models.Model):
    """One version of what a participant is told for a kind of consent, in English and Spanish."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    body_en = models.TextField(_("text in English"))
    body_es = models.TextField(_("text in Spanish"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="consent_text_version_once")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.version}"

    def body(self, language):
        return self.body_es if language == TextLanguage.SPANISH else self.body_en


class Consent(models.Model):
    class Decision(models.TextChoices):
        GIVEN = "given", _("Given")
        REFUSED = "refused", _("Refused")

    class How(models.TextChoices):
        SPOKEN = "spoken", _("Spoken")
        SIGNED_ON_SCREEN = "signed", _("Signed on the phone screen")
        PAPER = "paper", _("Signed on paper")
        # Consents carried over from the yes/no boxes of the old enrolment form.
        OLD_ENROLMENT_FORM = "old_form", _("Ticked on the old enrolment form")

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="consents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    language = models.CharField(
        _("language of the text"), max_length=2, choices=TextLanguage.choices
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(
        "accounts.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # Sharing: with one provider, or with every provider of a kind of service
    # (a need code of haven/resources); neither means any directory provider.
    provider = models.ForeignKey(
        "resources.Resource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("provider"),
    )
    provider_need = models.CharField(_("providers of"), max_length=30, blank=True)
    # The elements of 42 CFR 2.31 that are not fields above.
    discloser = models.CharField(_("who may disclose"), max_length=200, blank=True)
    information = models.CharField(
        _("how much and what kind of information"), max_length=300, blank=True
    )
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    expiry_event = models.CharField(_("or expires upon"), max_length=200, blank=True)
    told_of_right_to_revoke = models.BooleanField(_("told of the right to revoke"), default=False)
    # The participant's signature or mark, as typed or drawn on the screen.
    signature = EncryptedTextField(_("signature"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True) | models.Q(decision="given"),
                name="consent_only_given_is_withdrawn",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_decision_display()})"

    def in_force_on(self, moment):
        """Given, recorded by `moment`, not withdrawn by then, and not expired."""
        if self.decision != self.Decision.GIVEN or self.recorded_at > moment:
            return False
        if self.withdrawn_at is not None and self.withdrawn_at <= moment:
            return False
        return self.expires_on is None or timezone.localdate(moment) <= self.expires_on

    @property
    def body(self):
        return self.text.body(self.language)

    @property
    def provider_need_label(self):
        from haven.resources.models import Need

        return Need(self.provider_need).label if self.provider_need in Need.values else ""


class Disclosure(models.Model):
    """Records of a participant that left the program: to whom, when, what, under which consent."""

    class Channel(models.TextChoices):
        REFERRAL = "referral", _("A referral that shared their details")
        PRINTED = "printed", _("A printed record")
        EXPORTED = "exported", _("An exported record")

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="disclosures"
    )
    channel = models.CharField(_("how"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("to whom"), max_length=200)
    information = models.CharField(_("what"), max_length=300)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    # Empty for a record printed for the participant themself, who needs no consent.
    consent = models.ForeignKey(
        Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    referral = models.ForeignKey(
        "resources.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The 42 CFR 2.32 notice went with it (always, in Part 2 mode).
    part2_notice = models.BooleanField(default=False)

    class Meta:
        ordering = ["-made_at", "-id"]
