"""Writes that touch participants. Views and the API both call these."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.core import audit
from haven.core.models import AuditEntry
from haven.reports import summaries

from .models import Participant


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
