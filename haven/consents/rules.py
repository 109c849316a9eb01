"""What a consent allows, asked by every feature that needs one.

Referrals, certificates and reminders call consent_in_force() before they use
what a consent governs; nothing else decides it. In Part 2 mode (the
HAVEN_PART2_MODE setting) a consent that lets records leave the program must
have every element of 42 CFR 2.31, and every disclosure carries the notice of
42 CFR 2.32.
"""

from collections import defaultdict

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.core import part2

from .models import DISCLOSURE_KINDS, Consent, Kind

# The notice of 42 CFR 2.32 that goes with every disclosure in Part 2 mode; it
# lives in haven/core so that documents of any app can print it.
PART2_NOTICE = part2.NOTICE

# How far back the accounting of disclosures goes (42 CFR 2.24: three years).
ACCOUNTING_YEARS = 3


def part2_mode():
    return part2.part2_mode()


def consents_of(participant):
    """Every consent of this person, on this record and on records linked to it as duplicates."""
    person = participant.canonical()
    return Consent.objects.filter(participant_id__in=person.linked_ids())


def covers_provider(consent, provider):
    """Whether a sharing consent names `provider`, a class of providers it is in, or any."""
    if consent.provider_id is not None:
        return consent.provider_id == provider.pk
    if consent.provider_need:
        return consent.provider_need in provider.need_codes()
    return True


def consent_in_force(participant, kind, *, provider=None, at=None):
    """The consent of `kind` in force for this person at `at` (default: now), or None.

    For sharing, give the `provider` (a haven/resources Resource) the details
    would go to: only a consent naming it, or a class of providers it is in,
    counts. The newest answer wins: a later refusal overrides an older "yes"
    that was never withdrawn, and so does a later "yes" until a date that has
    passed (the person's last word was that it should end then).
    """
    moment = at or timezone.now()
    candidates = consents_of(participant).filter(kind=kind, recorded_at__lte=moment)
    return _in_force(candidates.order_by("-recorded_at", "-id"), kind, provider, moment)


def _in_force(newest_first, kind, provider, moment):
    """consent_in_force's answer among these consents of `kind`, newest first.

    The newest answer that concerns the question decides; an older one is
    never reached. (For sharing, an answer about other providers does not
    concern this one.)
    """
    for consent in newest_first:
        if consent.recorded_at > moment:
            continue
        if provider is not None and kind == Kind.SHARING and not covers_provider(consent, provider):
            continue
        # Refused, withdrawn by `moment` or run out by then: it answers no, and
        # an older "yes" does not come back.
        return consent if consent.in_force_on(moment) else None
    return None


def answers_of(participant, kind):
    """This person's consents of `kind`, newest first: what taken_back_since() decides on."""
    return list(consents_of(participant).filter(kind=kind).order_by("-recorded_at", "-id"))


def answers_of_each(participants, kind):
    """{participant id: answers_of(participant, kind)} for many people, in one query.

    For a list that asks taken_back_since() of each row. A record linked as a
    duplicate points at the kept record itself (do_merge_participants moves
    the records linked to a duplicate to its keeper), so a person is a kept
    record and the records linked to it, as consents_of() finds them.
    """
    person_of = {
        participant.pk: participant.merged_into_id or participant.pk for participant in participants
    }
    if not person_of:
        return {}
    people = set(person_of.values())
    answers = (
        Consent.objects.filter(kind=kind)
        .filter(Q(participant_id__in=people) | Q(participant__merged_into_id__in=people))
        .annotate(person=Coalesce("participant__merged_into_id", "participant_id"))
        .order_by("-recorded_at", "-id")
    )
    by_person = defaultdict(list)
    for answer in answers:
        by_person[answer.person].append(answer)
    return {pk: by_person[person] for pk, person in person_of.items()}


def taken_back_since(participant, kind, since, *, answers=None):
    """Whether this person took back a consent of `kind` they gave outside the records at `since`.

    For a consent also asked outside the consent records (a training's box for
    a name on a certificate, ticked at `since`): the newest answer wins. The
    box is their answer until they answer on their consents page after it (a
    consent or a refusal recorded later, or a withdrawal dated later); from
    then their consents page decides, by consent_in_force()'s rule: a refusal
    or withdrawal takes the box back, and so does a consent until a date that
    has passed, until a new consent is given. An answer older than the box is
    outlived by it.

    `answers` are the person's consents of `kind` newest first, as
    answers_of() or answers_of_each() read them; they are read if not given.
    """
    if answers is None:
        answers = answers_of(participant, kind)
    now = timezone.now()
    answered_later = any(
        since < answer.recorded_at <= now
        or (answer.withdrawn_at is not None and since < answer.withdrawn_at <= now)
        for answer in answers
    )
    return answered_later and _in_force(answers, kind, None, now) is None


def consents_in_force(participant, at=None):
    """Every consent in force now, newest first, for the participant's page."""
    moment = at or timezone.now()
    consents = consents_of(participant).select_related("text", "provider")
    return [
        consent
        for consent in consents
        if consent.in_force_on(moment)
        and consent_in_force(participant, consent.kind, provider=consent.provider, at=moment)
        == consent
    ]


def missing_part2_elements(consent):
    """The elements of 42 CFR 2.31 a consent for disclosure lacks, as labels a person can act on.

    The participant's name or code is the record's card code, which every
    consent has; the signature's date is when the consent was recorded.
    """
    if consent.kind not in DISCLOSURE_KINDS or consent.decision != Consent.Decision.GIVEN:
        return []
    missing = []
    if not consent.discloser.strip():
        missing.append(("discloser", _("Who may disclose the records.")))
    if not consent.information.strip():
        missing.append(("information", _("How much and what kind of information.")))
    if consent.kind == Kind.SHARING and consent.provider_id is None and not consent.provider_need:
        missing.append(("provider", _("To whom: a provider or a class of providers.")))
    if not consent.purpose.strip():
        missing.append(("purpose", _("The purpose of the disclosure.")))
    if not consent.told_of_right_to_revoke:
        missing.append(
            ("told_of_right_to_revoke", _("That they were told of the right to revoke."))
        )
    if consent.expires_on is None and not consent.expiry_event.strip():
        missing.append(("expires_on", _("An expiry date or event.")))
    if consent.how not in (Consent.How.SIGNED_ON_SCREEN, Consent.How.PAPER):
        missing.append(("how", _("A signature: spoken consent is not enough for Part 2.")))
    elif not consent.signature.strip():
        missing.append(("signature", _("The participant's signature or mark.")))
    return missing


def accounting_start(now=None):
    """The first moment the accounting covers: the same day three years earlier."""
    now = now or timezone.now()
    try:
        return now.replace(year=now.year - ACCOUNTING_YEARS)
    except ValueError:  # 29 February
        return now.replace(year=now.year - ACCOUNTING_YEARS, day=28)


def accounting_of_disclosures(participant, now=None):
    """Every disclosure of this person's records in the past three years, newest first."""
    from .models import Disclosure

    now = now or timezone.now()
    person = participant.canonical()
    return (
        Disclosure.objects.filter(
            participant_id__in=person.linked_ids(),
            made_at__gte=accounting_start(now),
            made_at__lte=now,
        )
        .select_related("consent", "consent__text", "made_by", "referral")
        .order_by("-made_at", "-id")
    )
