"""Writes that touch participants. Views and the API both call these."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.already_saved import AlreadySaved
from haven.core.models import AuditEntry
from haven.reports import summaries

from . import codes
from .models import Participant, ReservedCardCode


@transaction.atomic
def do_enroll_participant(*, by, site, **profile):
    participant = Participant(created_by=by, enrolled_site=site, **profile)
    participant.full_clean()
    participant.save()
    audit.record(by, AuditEntry.Action.CREATE, participant, site=site.pk if site else None)
    return participant


@transaction.atomic
def do_update_participant(participant, *, by, **profile):
    changed = sorted(name for name, value in profile.items() if getattr(participant, name) != value)
    for name, value in profile.items():
        setattr(participant, name, value)
    participant.full_clean()
    participant.save()
    if summaries.REPORTED_ANSWERS.intersection(changed):
        summaries.figures_changed()  # the demographics of every period they were served in
    # Field names only: the values are the participant's, not the log's.
    audit.record(by, AuditEntry.Action.UPDATE, participant, fields=changed)
    return participant


@transaction.atomic
def do_merge_participants(*, duplicate, keeper, by):
    """Link `duplicate` to `keeper`. Both records and their histories stay."""
    duplicate = Participant.objects.select_for_update().get(pk=duplicate.pk)
    # Read fresh: the caller's copy may predate another merge.
    keeper = Participant.objects.get(pk=keeper.pk).canonical()
    if duplicate.pk == keeper.pk:
        raise ValidationError(_("These are the same participant."))
    if duplicate.merged_into_id:
        raise ValidationError(
            _("%(code)s is already linked to another record.") % {"code": duplicate.display_code}
        )
    if duplicate.pk in keeper.linked_ids():
        raise ValidationError(_("That would link the records in a circle."))
    duplicate.merged_into = keeper
    duplicate.merged_at = timezone.now()
    duplicate.save(update_fields=["merged_into", "merged_at"])
    # Records merged into the duplicate follow it to the keeper.
    Participant.objects.filter(merged_into=duplicate).update(merged_into=keeper)
    # The first naloxone of either record is now the kept record's.
    summaries.refresh_first_naloxone(keeper)
    audit.record(by, AuditEntry.Action.MERGE, duplicate, keeper=keeper.pk)
    audit.record(by, AuditEntry.Action.MERGE, keeper, duplicate=duplicate.pk)
    return keeper


# How many card codes a phone holds for enrolling people with no signal, and
# how many one user's phones may hold between them (a handful of phones).
CODES_PER_DEVICE = 10
MOST_HELD_PER_USER = 5 * CODES_PER_DEVICE


class EnrolmentConflict(Exception):
    """The card code was used already by another enrolment."""

    def __init__(self, message, field="card_code"):
        super().__init__(message)
        self.field = field


@transaction.atomic
def do_reserve_card_codes(*, by, device, count=CODES_PER_DEVICE):
    """The unused codes held for this user's phone, topped up to `count`. Returns codes."""
    held = list(
        ReservedCardCode.objects.filter(reserved_by=by, device=device, participant__isnull=True)
        .order_by("reserved_at", "pk")
        .values_list("code", flat=True)
    )
    unused = ReservedCardCode.objects.filter(reserved_by=by, participant__isnull=True)
    if len(held) < count and unused.count() + count - len(held) > MOST_HELD_PER_USER:
        raise ValidationError(
            _("Your phones hold %(n)s unused card codes already; enrol with those first.")
            % {"n": unused.count()}
        )
    while len(held) < count:
        code = Participant._unused_code()
        try:
            # Another request may have made the same code meanwhile: try another.
            with transaction.atomic():
                ReservedCardCode.objects.create(code=code, reserved_by=by, device=device)
        except IntegrityError:
            continue
        held.append(code)
    return held


@transaction.atomic
def do_enroll_with_reserved_code(*, by, site, client_uuid, card_code, **profile):
    """Enrol someone with a code their phone held (enrolled with no signal).

    Stored once: the same enrolment sent again (same client UUID, same user,
    same card code) returns the participant it made. Returns (participant,
    created). Raises ValidationError for a code not held for this user,
    EnrolmentConflict for a code used by another enrolment, or AlreadySaved
    for a client UUID used by another user's enrolment or with another code.
    """
    done = ReservedCardCode.objects.filter(client_uuid=client_uuid).first()
    if done is not None:
        # The UUID answers with the person it enrolled only to the phone's user
        # and the enrolment it was: anyone else sending it learns nothing.
        if done.reserved_by_id != by.pk or done.code != card_code:
            raise AlreadySaved(client_uuid)
        return done.participant, False
    reservation = ReservedCardCode.objects.select_for_update().filter(code=card_code).first()
    if reservation is None or reservation.reserved_by_id != by.pk:
        raise ValidationError(
            {
                "card_code": _("The card code %(code)s was not kept for you to enrol with.")
                % {"code": codes.format_code(card_code)}
            }
        )
    if reservation.participant_id is not None:
        raise EnrolmentConflict(
            _("The card code %(code)s was used already for someone else.") % {"code": reservation}
        )
    participant = do_enroll_participant(by=by, site=site, card_code=card_code, **profile)
    reservation.participant = participant
    reservation.client_uuid = client_uuid
    reservation.save(update_fields=["participant", "client_uuid"])
    return participant, True
