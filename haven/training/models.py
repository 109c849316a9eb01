"""Overdose-response trainings: sessions, who came, quizzes, certificates.

Privacy: a session may record a headcount alone. An attendee is listed only
when there is a reason: a participant known by card code, or a person who
wants a certificate and consents to their name being printed on it. The
consent is kept on the attendance record itself until the consents app
(being built separately) can hold it.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.consents import rules
from haven.consents.models import Kind
from haven.core.crypto import EncryptedTextField


def new_token():
    """An unguessable token for a public link (quiz or certificate check)."""
    return secrets.token_urlsafe(16)


class Topic(models.TextChoices):
    OVERDOSE_RESPONSE = "overdose_response", _("Overdose response and naloxone")
    SAFER_USE = "safer_use", _("Safer use")
    XYLAZINE_WOUND_CARE = "xylazine_wound_care", _("Xylazine and wound care")
    TRAIN_THE_TRAINER = "train_the_trainer", _("Train the trainer")


class Audience(models.TextChoices):
    PARTICIPANTS = "participants", _("Participants")
    FAMILY_FRIENDS = "family_friends", _("Family and friends")
    AGENCY_STAFF = "agency_staff", _("Staff of another agency")
    FIRST_RESPONDERS = "first_responders", _("First responders")
    COMMUNITY = "community", _("Community")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class TrainingSession(models.Model):
    client_uuid = models.UUIDField(unique=True, editable=False)
    topic = models.CharField(_("topic"), max_length=30, choices=Topic.choices)
    held_on = models.DateField(_("date"))
    site = models.ForeignKey(
        "accounts.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_sessions",
        verbose_name=_("site"),
    )
    place = models.CharField(
        _("place"), max_length=200, blank=True, help_text=_("When not at one of our sites.")
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="trainings_given", verbose_name=_("trainers")
    )
    audience = models.CharField(_("audience"), max_length=30, choices=Audience.choices)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    # Everyone in the room, listed or not: enough on its own.
    headcount = models.PositiveIntegerField(_("people present"))
    # The session's QR code: attendees open the quiz with it, without an account.
    quiz_token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=False) | ~Q(place=""), name="training_has_a_place"
            )
        ]

    def __str__(self):
        return f"{self.get_topic_display()} {self.held_on:%Y-%m-%d}"

    @property
    def where(self):
        return str(self.site) if self.site_id else self.place


class Attendee(models.Model):
    """One listed person at a session: a participant, or named with consent."""

    client_uuid = models.UUIDField(unique=True, editable=False)
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="attendees")
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    # Printed on the certificate; kept only with consent, encrypted at rest.
    name = EncryptedTextField(_("name on the certificate"), blank=True)
    consents_to_named_certificate = models.BooleanField(default=False)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The attendee's own quiz link, so that their answers can lead to a certificate.
    quiz_token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(participant__isnull=False) | Q(consents_to_named_certificate=True),
                name="attendee_is_a_participant_or_consented",
            ),
            models.UniqueConstraint(
                fields=["session", "participant"], name="participant_once_per_session"
            ),
        ]

    # A participant's answers on their consents page to a name on a certificate,
    # newest first, when a list read them for every row at once
    # (read_name_answers); None: name_may_be_printed() reads them itself.
    name_answers = None

    def __str__(self):
        return f"{_('Attendee')} {self.pk}"

    def name_may_be_printed(self):
        """A name, kept with consent, that a participant has not taken back since.

        A participant's consent to a name on a certificate is also one of their
        consent records, and the newest answer wins: refused or withdrawn on
        their consents page after this attendance's box was ticked, or given
        there later until a date that has passed, the name goes on no
        certificate and no check page until they consent again
        (haven/consents/rules.py, taken_back_since).
        """
        if not (self.consents_to_named_certificate and self.name):
            return False
        if self.participant_id is None:
            return True
        return not rules.taken_back_since(
            self.participant,
            Kind.CERTIFICATE_NAME,
            self.consent_recorded_at or self.created_at,
            answers=self.name_answers,
        )


def read_name_answers(attendees):
    """Read the name answers of every participant among `attendees` in one query.

    So that a list of certificates decides each holder's name by the same
    rule (name_may_be_printed) without asking the database once per holder.
    The attendees' participants must be loaded already (select_related).
    """
    holders = [attendee for attendee in attendees if attendee.participant_id is not None]
    answers = rules.answers_of_each(
        [attendee.participant for attendee in holders], Kind.CERTIFICATE_NAME
    )
    for attendee in holders:
        attendee.name_answers = answers[attendee.participant_id]


class Area(models.TextChoices):
    """The four areas of the Opioid Overdose Knowledge Scale."""

    RISKS = "risks", _("Risks of an overdose")
    SIGNS = "signs", _("Signs of an overdose")
    ACTIONS = "actions", _("What to do")
    NALOXONE = "naloxone", _("Using naloxone")


class Question(models.Model):
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    text = models.CharField(_("question"), max_length=300)
    text_es = models.CharField(_("question in Spanish"), max_length=300)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text

    def localised(self, language):
        return self.text_es if language == "es" and self.text_es else self.text


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=200)
    text_es = models.CharField(max_length=200)
    correct = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def localised(self, language):
        return self.text_es if language == "es" and self.text_es else self.text


class Stage(models.TextChoices):
    PRE = "pre", _("Before")
    POST = "post", _("After")
    FOLLOW_UP = "follow_up", _("Three months later")


class QuizAttempt(models.Model):
    """One filled-in quiz: its score per area. The answers themselves are not kept."""

    # The form's own id: a quiz sent twice is stored once.
    client_uuid = models.UUIDField(unique=True, editable=False)
    # None for the public self-paced course.
    session = models.ForeignKey(
        TrainingSession, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    attendee = models.ForeignKey(
        Attendee, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices)
    language = models.CharField(max_length=5, choices=Language.choices)
    # {area: [right, asked]}
    scores = models.JSONField()
    right = models.PositiveIntegerField()
    asked = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendee", "stage"],
                condition=Q(attendee__isnull=False),
                name="one_attempt_per_attendee_and_stage",
            )
        ]

    @property
    def percent(self):
        return round(100 * self.right / self.asked) if self.asked else 0

    def passed(self):
        return self.asked and 100 * self.right >= settings.TRAINING_PASS_PERCENT * self.asked


class SessionKitMovement(models.Model):
    """A ledger movement of the kits handed out at a session."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="kit_movements"
    )
    movement = models.OneToOneField(
        "supplies.StockMovement", on_delete=models.PROTECT, related_name="training"
    )


class Certificate(models.Model):
    """A certificate of a session's attendee, or of someone who passed the public course.

    A course certificate has no attendee: it carries the quiz attempt that
    passed and the name its holder gave, with their consent, for it.
    """

    attendee = models.OneToOneField(
        Attendee, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate"
    )
    # The public course's passed quiz (one certificate per quiz).
    attempt = models.OneToOneField(
        QuizAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="certificate"
    )
    # The course certificate's name (a session's is the attendee's), given with consent.
    name = EncryptedTextField(_("name on the certificate"), blank=True)
    consent_recorded_at = models.DateTimeField(null=True, blank=True)
    # Where its holder asked to be reminded of a refresher before it expires (optional).
    email = EncryptedTextField(_("email for a refresher reminder"), blank=True)
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # What the verification page's QR code carries; never guessable.
    code = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    issued_on = models.DateField()
    expires_on = models.DateField(db_index=True)
    # None for a course certificate: nobody on the staff issued it.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attendee__isnull=False, attempt__isnull=True)
                | Q(attendee__isnull=True, attempt__isnull=False),
                name="certificate_of_an_attendee_or_a_course_quiz",
            )
        ]

    @property
    def from_course(self):
        return self.attendee_id is None

    @property
    def holder_name(self):
        """The name to print or show; empty once a participant took back their consent."""
        if self.from_course:
            return self.name
        return self.attendee.name if self.attendee.name_may_be_printed() else ""

    @property
    def topic_label(self):
        if self.from_course:
            return _("Overdose response and naloxone (self-paced course)")
        return self.attendee.session.get_topic_display()

    @property
    def trained_on(self):
        if self.from_course:
            return timezone.localdate(self.attempt.submitted_at)
        return self.attendee.session.held_on

    @property
    def trainer_names(self):
        if self.from_course:
            return _("Self-paced online course")
        trainers = self.attendee.session.trainers.all()
        return ", ".join(trainer.get_full_name() or trainer.username for trainer in trainers)


class CourseText(models.Model):
    """Paragraphs of the public course that each program writes for itself."""

    class Key(models.TextChoices):
        GOOD_SAMARITAN = "good_samaritan", _("Good Samaritan protections")

    key = models.CharField(max_length=40, choices=Key.choices, unique=True)
    text = models.TextField(_("text in English"))
    text_es = models.TextField(_("text in Spanish"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def localised(self, language):
        return self.text_es if language == "es" and self.text_es else self.text
