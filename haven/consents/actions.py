"""Writes of consents and disclosures. Views, the API and other apps call these."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry

from . import rules
from .models import Consent, ConsentText, Disclosure, Kind


def current_text(kind):
    """The newest wording of a kind of consent, or None if the program has written none."""
    return ConsentText.objects.filter(kind=kind).order_by("-version").first()


@transaction.atomic
def do_save_consent_text(*, kind, body_en, body_es, by):
    """A new version of a consent's wording. Consents already recorded keep theirs."""
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose a kind of consent.")
    if not body_en.strip():
        errors["body_en"] = _("Write the text in English.")
    if not body_es.strip():
        errors["body_es"] = _("Write the text in Spanish.")
    if errors:
        raise ValidationError(errors)
    # Lock the kind's versions so that two managers saving at once get two versions.
    list(ConsentText.objects.select_for_update().filter(kind=kind).values_list("pk", flat=True))
    last = ConsentText.objects.filter(kind=kind).aggregate(last=Max("version"))["last"] or 0
    text = ConsentText.objects.create(
        kind=kind, version=last + 1, body_en=body_en.strip(), body_es=body_es.strip(), created_by=by
    )
    audit.record(by, AuditEntry.Action.CREATE, text, version=text.version)
    return text


def do_record_consent(
    participant,
    *,
    kind,
    decision,
    how,
    language,
    by,
    site=None,
    text=None,
    expires_on=None,
    provider=None,
    provider_need="",
    discloser="",
    information="",
    purpose="",
    expiry_event="",
    told_of_right_to_revoke=False,
    signature="",
):
    """Record a consent given or refused, to the current text of its kind (or `text`)."""
    text = text or current_text(kind)
    if text is None:
        raise ValidationError(
            {"kind": _("The program has not written a text for this consent yet.")}
        )
    consent = Consent(
        participant=participant.canonical(),
        kind=kind,
        text=text,
        language=language,
        decision=decision,
        how=how,
        recorded_at=timezone.now(),
        recorded_by=by,
        site=site,
        expires_on=expires_on,
        provider=provider,
        provider_need=provider_need or "",
        discloser=discloser,
        information=information,
        purpose=purpose,
        expiry_event=expiry_event,
        told_of_right_to_revoke=told_of_right_to_revoke,
        signature=signature,
    )
    errors = {}
    if text.kind != kind:
        errors["kind"] = _("This text is for another kind of consent.")
    if expires_on is not None and expires_on < timezone.localdate():
        errors["expires_on"] = _("This consent would already have expired.")
    if provider is not None and provider_need:
        errors["provider_need"] = _("Name one provider or a class of providers, not both.")
    if kind != Kind.SHARING and (provider is not None or provider_need):
        errors["provider"] = _("Only a consent to share names a provider.")
    if rules.part2_mode():
        for field, message in rules.missing_part2_elements(consent):
            errors.setdefault(field, []).append(
                _("Part 2 needs this in a consent for disclosure: %(element)s")
                % {"element": message}
            )
    if errors:
        raise ValidationError(errors)
    consent.full_clean(exclude=["participant", "text", "recorded_by"])
    with transaction.atomic():
        consent.save()
        audit.record(
            by,
            AuditEntry.Action.CREATE,
            consent,
            participant=consent.participant,
            kind=kind,
            decision=decision,
        )
    return consent


def do_withdraw_consent(consent, *, by):
    """Withdraw a consent now. What it allowed stops at once; past disclosures stay accounted."""
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.decision != Consent.Decision.GIVEN:
            raise ValidationError(
                _("This consent was refused, never given: there is nothing to withdraw.")
            )
        if consent.withdrawn_at is not None:
            raise ValidationError(
                _("This consent was already withdrawn on %(date)s.")
                % {"date": timezone.localtime(consent.withdrawn_at).strftime("%Y-%m-%d")}
            )
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = by
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit.record(
            by,
            AuditEntry.Action.UPDATE,
            consent,
            participant=consent.participant,
            fields=["withdrawn_at"],
        )
    return consent


class ConsentMissing(ValidationError):
    """Sharing was asked for without a consent in force; says what to record."""


def require_sharing_consent(participant, provider):
    """The sharing consent in force for `provider`, or ConsentMissing saying so."""
    consent = rules.consent_in_force(participant, Kind.SHARING, provider=provider)
    if consent is None:
        raise ConsentMissing(
            {
                "share_details": _(
                    "%(code)s has no consent in force to share their details with "
                    "%(provider)s. Record their consent first, or refer without sharing "
                    "details."
                )
                % {"code": participant.display_code, "provider": provider}
            }
        )
    return consent


def do_record_disclosure(
    participant, *, channel, recipient, information, by, consent=None, purpose="", referral=None
):
    """Log records that left the program, in the caller's transaction.

    Under a consent, the consent is locked and asked again, so that a
    withdrawal saved a moment earlier stops the disclosure.
    """
    now = timezone.now()
    if consent is not None:
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if not consent.in_force_on(now):
            raise ConsentMissing({"share_details": _("This consent was withdrawn or has expired.")})
    disclosure = Disclosure.objects.create(
        participant=participant.canonical(),
        channel=channel,
        recipient=str(recipient)[:200],
        information=information[:300],
        purpose=(purpose or (consent.purpose if consent else ""))[:300],
        consent=consent,
        referral=referral,
        made_at=now,
        made_by=by,
        part2_notice=rules.part2_mode(),
    )
    audit.record(
        by,
        AuditEntry.Action.EXPORT,
        disclosure,
        participant=disclosure.participant,
        channel=channel,
    )
    return disclosure


def do_record_enrolment_consents(participant, answers, *, how, language, by, site):
    """The answers given at enrolment ({kind: decision}), each to its current text."""
    return [
        do_record_consent(
            participant, kind=kind, decision=decision, how=how, language=language, by=by, site=site
        )
        for kind, decision in answers.items()
    ]
