"""Recording contacts. The quick-log view and the API both call these."""

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.core import access, audit
from haven.core.already_saved import AlreadySaved
from haven.core.db import batch, inserts
from haven.core.models import AuditEntry
from haven.participants.models import Participant
from haven.reports import summaries
from haven.supplies.actions import (
    Drawing,
    StockMoved,
    draw_for_encounter,
    drawn_for,
    expand_kits,
    location_for,
    locations_for,
    lock_locations,
    return_for_encounter,
)

from .models import Encounter, EncounterRevision, EncounterSupply

# Clocks on phones drift; a contact a few minutes "in the future" is not a mistake.
FUTURE_TOLERANCE = timedelta(minutes=10)


class EncounterConflict(AlreadySaved):
    """The client UUID was already used for a different contact."""


@dataclass
class EncounterData:
    """Everything a contact is made of, as submitted."""

    client_uuid: object
    site: object
    contact_type: str
    occurred_at: datetime = None
    participant: object = None
    anonymous_people: int = 0
    services: list = field(default_factory=list)
    supplies: dict = field(default_factory=dict)  # Item -> quantity
    kits: dict = field(default_factory=dict)  # Kit -> how many, drawn as their components
    secondary_people: int = 0
    note: str = ""

    def fingerprint(self, with_time=True):
        """A hash of the submission, to tell an honest replay from a clash."""
        payload = {
            "site": self.site.pk,
            "contact_type": self.contact_type,
            # In UTC: the form gives local time, the API whatever offset the phone sent.
            "occurred_at": (
                self.occurred_at.astimezone(UTC).isoformat()
                if with_time and self.occurred_at
                else None
            ),
            "participant": self.participant.pk if self.participant else None,
            "anonymous_people": self.anonymous_people,
            "services": sorted(service.pk for service in self.services),
            "supplies": sorted((item.pk, qty) for item, qty in self.supplies.items() if qty),
            "secondary_people": self.secondary_people,
            "note": self.note,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def validate_encounter(data, staff):
    """Raise ValidationError naming each field at fault; return nothing."""
    errors = {}
    now = timezone.now()
    if data.occurred_at and data.occurred_at > now + FUTURE_TOLERANCE:
        errors["occurred_at"] = _("A contact cannot be in the future.")
    if data.site is None:
        errors["site"] = _("Choose a site.")
    elif not data.site.active:
        errors["site"] = _("%(site)s is closed; choose another site.") % {"site": data.site}
    elif staff.role != "manager" and data.site.pk not in staff.allowed_site_ids():
        errors["site"] = _("You are not assigned to %(site)s.") % {"site": data.site}
    if data.contact_type not in Encounter.ContactType.values:
        errors["contact_type"] = _("Choose a contact type.")
    if data.participant is None and not data.anonymous_people:
        errors["participant"] = _(
            "Choose a participant, or log an anonymous contact with the number of people."
        )
    if data.participant is not None and not access.may_open_participant(staff, data.participant):
        # As for an id nobody has: the answer must not confirm that it is someone's.
        errors["participant"] = _("No participant has this id.")
    if data.participant is not None and data.anonymous_people:
        errors["anonymous_people"] = _("A contact is with a participant or anonymous, not both.")
    if not 0 <= data.anonymous_people <= 200:
        errors["anonymous_people"] = _("Enter between 1 and 200 people.")
    if not 0 <= data.secondary_people <= 200:
        errors["secondary_people"] = _("Enter between 0 and 200 people.")
    for service in data.services:
        if not service.active:
            errors["services"] = _("%(service)s is no longer offered.") % {"service": service}
    supply_errors = []
    for item, quantity in data.supplies.items():
        if not item.active:
            supply_errors.append(_("%(item)s is no longer handed out.") % {"item": item})
        elif quantity < 0:
            supply_errors.append(_("%(item)s: a quantity cannot be negative.") % {"item": item})
        elif quantity > item.max_per_contact:
            supply_errors.append(
                _("%(item)s: %(qty)s is more than %(max)s, the most for one contact.")
                % {"item": item, "qty": quantity, "max": item.max_per_contact}
            )
    if supply_errors:
        errors["supplies"] = supply_errors
    if len(data.note) > settings.NOTE_MAX_LENGTH:
        errors["note"] = _("A note can be at most %(max)s characters; this one has %(n)s.") % {
            "max": settings.NOTE_MAX_LENGTH,
            "n": len(data.note),
        }
    if errors:
        raise ValidationError(errors)


def do_record_encounter(data, *, staff, participants_current=False):
    """Store a contact once. Returns (encounter, created).

    A replay of the same submission returns the stored contact with
    created=False; the same UUID with a different body raises EncounterConflict.
    """
    [outcome] = do_record_encounters([data], staff=staff, participants_current=participants_current)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def do_record_encounters(submissions, *, staff, participants_current=False):
    """Store a run of contacts (a synced batch) in one go, each at most once.

    Returns one outcome per submission, in order: (encounter, created) as
    do_record_encounter returns it, or the error that refused it
    (ValidationError, NotEnoughStock, EncounterConflict). A refused contact
    stores nothing and the others are kept. Each table is read and written
    once per run, not once per contact, so hundreds of contacts cost a few
    dozen statements; stock is drawn in the order sent, so a contact that
    finds the bag empty is refused just as it would be alone.

    `participants_current`: the caller read the submissions' participants
    (and whom they are merged into) in this request, so they are not read
    again. Otherwise they are: a participant object may predate a merge.
    """
    outcomes = []
    for run in _runs_without_repeats(submissions):
        sent_times = [data.occurred_at for data in run]
        # A lone contact is almost never a replay: it is inserted without
        # looking for its UUID first, and looked for only when the insert
        # finds the UUID taken. A batch looks first (one read for all).
        attempts = (len(run) > 1, True, True)
        for attempt, look_first in enumerate(attempts, start=1):
            for data, sent_time in zip(run, sent_times, strict=True):
                data.occurred_at = sent_time
            try:
                run_outcomes = _record_run(run, staff, participants_current, look_first)
                break
            except IntegrityError:
                # The UUID was stored before, or by another request between
                # our look and our insert: once more, it is now a replay.
                if attempt == len(attempts):
                    raise
        outcomes += run_outcomes
    return outcomes


def _uuid(value):
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _runs_without_repeats(submissions):
    """Split where a client UUID comes again, so the repeat sees the first as stored."""
    run, seen = [], set()
    for data in submissions:
        key = _uuid(data.client_uuid)
        if key in seen:
            yield run
            run, seen = [], set()
        run.append(data)
        seen.add(key)
    if run:
        yield run


def _record_run(submissions, staff, participants_current, look_first):
    """Check a run before its transaction, then store it in one.

    On SQLite a writing transaction holds the whole database, so the draws are
    planned before it too, from what the bags held a moment ago, and the
    transaction only writes, lowering each lot only if it still holds what is
    planned from it. When another writer took from a lot meanwhile, or a draw
    was refused or needs found stock recorded, the draws are planned again
    inside the transaction, where no one else writes, so a refusal is always a
    real shortage. On PostgreSQL a transaction locks only the bags it draws
    from (their rows, read and locked in one statement), so it plans under
    that lock, as every other writer of a bag does.
    """
    outcomes, checked = _checked(submissions, staff, participants_current, look_first)
    if _plans_ahead():
        planned = _planned(checked, staff, lock=False)
        if all(drawing.certain for drawing in planned.drawings.values()):
            try:
                with transaction.atomic():
                    return _written(planned, outcomes, staff)
            except StockMoved:
                pass
    with transaction.atomic():
        return _written(_planned(checked, staff, lock=True), outcomes, staff)


def _plans_ahead():
    """Whether draws are planned before the transaction: where a transaction
    holds the whole database (SQLite), not where it can lock a bag's row."""
    return not connection.features.has_select_for_update


def _checked(submissions, staff, participants_current, look_first):
    """(outcomes so far, [(index, data, fingerprint)] of the new contacts that pass the checks).

    Replays and refusals have their outcome already; the new contacts' are None.
    """
    stored = {}
    if look_first:
        stored = Encounter.objects.in_bulk(
            [_uuid(data.client_uuid) for data in submissions], field_name="client_uuid"
        )
    fresh = None if participants_current else _fresh_participants(submissions)
    outcomes = [None] * len(submissions)
    checked = []
    for index, data in enumerate(submissions):
        try:
            existing = stored.get(_uuid(data.client_uuid))
            if existing is not None:
                outcomes[index] = _replayed(existing, data, fresh)
                continue
            _prepare(data, fresh)
            time_given = data.occurred_at is not None
            data.occurred_at = data.occurred_at or timezone.now()
            validate_encounter(data, staff)
            fingerprint = data.fingerprint(with_time=time_given)
        except (ValidationError, EncounterConflict) as error:
            outcomes[index] = error
            continue
        checked.append((index, data, fingerprint))
    return outcomes, checked


@dataclass
class PlannedRun:
    contacts: list  # (index, Encounter not yet saved, data)
    drawings: dict  # stock location -> Drawing
    refused: dict  # index -> NotEnoughStock


def _planned(checked, staff, *, lock):
    """The contacts to store and their draws from the bags.

    `lock`: inside the transaction, the bags locked as they are read;
    otherwise read ahead of the transaction (see _record_run).
    """
    handing_out = [data for _index, data, _fingerprint in checked if any(data.supplies.values())]
    sites = list(dict.fromkeys(data.site for data in handing_out))
    stock_of = {item for data in handing_out for item, qty in data.supplies.items() if qty}
    locations = locations_for(staff, sites, lock=lock, stock_of=stock_of)
    drawings = _drawings(handing_out, locations, staff)
    planned = PlannedRun(contacts=[], drawings=drawings, refused={})
    for index, data, fingerprint in checked:
        encounter = Encounter(
            client_uuid=data.client_uuid,
            submission_fingerprint=fingerprint,
            occurred_at=data.occurred_at,
            site=data.site,
            staff=staff,
            participant=data.participant,
            anonymous_people=data.anonymous_people,
            contact_type=data.contact_type,
            secondary_people=data.secondary_people,
            note=data.note,
        )
        drawing = drawings.get(locations.get(data.site))
        try:
            if drawing is not None and data.supplies:
                drawing.plan(encounter, data.supplies)
        except ValidationError as error:
            planned.refused[index] = error
            continue
        planned.contacts.append((index, encounter, data))
    return planned


def _written(planned, outcomes, staff):
    """Store a planned run; returns the run's outcomes. Call inside its transaction.

    The rows only this user writes come first; the rows every save writes
    (the month's supply totals, the audit log) last, so that a save holds
    them for the least time: from their write to the commit.
    """
    outcomes = [planned.refused.get(index, outcome) for index, outcome in enumerate(outcomes)]
    added = [(encounter, data) for _index, encounter, data in planned.contacts]
    for index, encounter, _data in planned.contacts:
        outcomes[index] = (encounter, True)
    # Hand-written INSERTs (haven/core/db/inserts.py): bulk_create cost more CPU than the writes.
    inserts.insert(encounter for encounter, _data in added)
    # The writes after the contacts' own rows are not read back: on PostgreSQL
    # they go to the server together, in one round trip (haven/core/db/batch.py).
    with batch.together():
        Through = Encounter.services.through
        inserts.insert(
            (
                Through(encounter=encounter, service=service)
                for encounter, data in added
                for service in set(data.services)
            ),
            returning=False,
        )
        _write_supplies(added)
        for drawing in planned.drawings.values():
            drawing.write(returning=False)
        summaries.contacts_added(
            [(encounter, data.supplies, data.services) for encounter, data in added]
        )
        audit.append(
            [
                audit.unsaved_entry(
                    staff, AuditEntry.Action.CREATE, encounter, participant=data.participant
                )
                for encounter, data in added
            ]
        )
    return outcomes


def _drawings(handing_out, locations, staff):
    """A Drawing per stock location the contacts hand out from (locked by the
    caller, or read ahead of the transaction)."""
    items = defaultdict(set)
    for data in handing_out:
        if locations[data.site] is not None:
            items[locations[data.site]].update(item for item, qty in data.supplies.items() if qty)
    return {
        location: Drawing(location, location_items, by=staff, locked=True)
        for location, location_items in items.items()
    }


def _fresh_participants(submissions):
    """The submissions' participants read afresh: a merge made a moment ago counts."""
    ids = {data.participant.pk for data in submissions if data.participant is not None}
    return Participant.objects.select_related("merged_into").in_bulk(ids)


def _replayed(existing, data, fresh):
    if data.occurred_at is None:
        data.occurred_at = existing.occurred_at
    _prepare(data, fresh)
    # A contact first sent without a time took the time it arrived, so a
    # resend with the phone's time (the outbox's copy of a quick-log form
    # whose answer was lost) is the same contact.
    if existing.submission_fingerprint not in (data.fingerprint(), data.fingerprint(False)):
        raise EncounterConflict(data.client_uuid)
    return existing, False


def _prepare(data, fresh):
    """Settle what a submission means before checking or storing it.

    A contact with a merged record belongs to the record it was merged into
    (`fresh`: the participants read afresh, since the caller's copy may
    predate a merge made a moment ago; None when the caller's copy is
    current), and kits are handed out as their components.
    """
    if data.participant is not None:
        if fresh is not None:
            data.participant = fresh.get(data.participant.pk, data.participant)
        data.participant = data.participant.canonical()
    if data.kits:
        data.supplies = expand_kits(data.supplies, data.kits)
        data.kits = {}


def _write_supplies(contacts):
    """Store the supply lines of (encounter, data) pairs, in one statement."""
    inserts.insert(
        (
            EncounterSupply(encounter=encounter, item=item, quantity=quantity)
            for encounter, data in contacts
            for item, quantity in data.supplies.items()
            if quantity
        ),
        returning=False,
    )


def snapshot(encounter):
    return {
        "occurred_at": encounter.occurred_at.isoformat(),
        "site": encounter.site_id,
        "participant": encounter.participant_id,
        "anonymous_people": encounter.anonymous_people,
        "contact_type": encounter.contact_type,
        "services": sorted(encounter.services.values_list("code", flat=True)),
        "supplies": {
            str(line.item_id): line.quantity for line in encounter.supplies.order_by("item_id")
        },
        "secondary_people": encounter.secondary_people,
        "note": encounter.note,
    }


def do_edit_encounter(encounter, data, *, editor):
    """Change a contact, keeping what it was before as a revision.

    Supplies drawn for it are put back and drawn again as edited.
    """
    _prepare(data, _fresh_participants([data]))
    data.occurred_at = data.occurred_at or encounter.occurred_at
    validate_encounter(data, editor)
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        drawn = drawn_for(encounter)
        location = location_for(encounter.staff, data.site)
        # Every location the edit puts back to or draws from, held at once.
        held = lock_locations([movement.location_id for movement in drawn] + [location])
        before = snapshot(encounter)
        counted_before = summaries.contribution_of(encounter)
        EncounterRevision.objects.create(
            encounter=encounter, edited_by=editor, previous=json.dumps(before)
        )
        encounter.occurred_at = data.occurred_at
        encounter.site = data.site
        encounter.participant = data.participant
        encounter.anonymous_people = data.anonymous_people
        encounter.contact_type = data.contact_type
        encounter.secondary_people = data.secondary_people
        encounter.note = data.note
        encounter.save()
        encounter.services.set(data.services)
        encounter.supplies.all().delete()
        _write_supplies([(encounter, data)])
        return_for_encounter(encounter, by=editor, reason=_("Contact edited"), movements=drawn)
        if location is not None and data.supplies:
            draw_for_encounter(
                encounter,
                data.supplies,
                location=held[location.pk],
                by=encounter.staff,
                locked=True,
            )
        summaries.contact_changed(counted_before, encounter)
        after = snapshot(encounter)
        changed = sorted(key for key in after if after[key] != before[key])
        audit.record(
            editor,
            AuditEntry.Action.UPDATE,
            encounter,
            participant=encounter.participant,
            fields=changed,
        )
    return encounter
