"""Finding participants: one search box for card code, UIC or alias."""

import itertools
from datetime import timedelta

from django.apps import apps
from django.db.models import F, Max, Q, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from haven.core import access
from haven.core.db import reads

from . import codes
from .models import Participant

PARTICIPANT_FIELDS = tuple(field.name for field in Participant._meta.concrete_fields)


def by_card_code(code):
    """The participant with this (valid, normalised) card code, or None.

    Read with a hand-written statement (haven/core/db/reads.py): it is the
    first read of every quick-log save. The record it is merged into, if
    any (rare), is read when asked for (canonical()).
    """
    sql = f"{reads.select(Participant, PARTICIPANT_FIELDS)} WHERE card_code = %s"
    found = reads.instances(Participant, PARTICIPANT_FIELDS, sql, [code])
    return found[0] if found else None


def by_card_code_for(user, code, *, known=None):
    """The participant with this (valid, normalised) card code whom `user` may open, or None.

    Every write that names a participant by card code (a contact, a referral,
    a training attendee, a duplicate link; on a page, through the API or in a
    synced batch) finds them here, with the record scope of the search and the
    lookup (core/access.py). A participant out of the user's scope is None, as
    a code nobody has: the answer must not confirm that the code is someone's
    at another site, nor write anything for them. Every read by card code
    (the search box, the API lookup) finds the person here too.

    `known`: {card code: participant} read already (a synced batch's), to look
    in instead of the database. Read it through access.openable, so that the
    code of someone out of scope is missing from it, as a code nobody has.
    """
    if known is not None:
        participant = known.get(code)
        if participant is None or not access.may_open_participant(user, participant):
            return None
        return participant
    if not access.site_scoped(user):
        return by_card_code(code)
    # One statement, the record scope in it: a code of someone out of scope
    # and a code nobody has are asked the same query and get the same empty
    # answer, in about the same time, where reading the record and then
    # checking its scope took more statements for the first than the second.
    return access.openable(user, Participant.objects.filter(card_code=code)).first()


def find(text, limit=20, *, user):
    """Return (exact_participant_or_None, other_matches, card_code_error).

    A text that looks like a card code is checked first, so that a typo is
    reported as a typo rather than as "nothing found". Only participants in
    the user's record scope are found; the card code of one out of it finds
    nobody, as a code nobody has (by_card_code_for).
    """
    text = (text or "").strip()
    if not text:
        return None, [], None
    normalised = codes.normalise(text)
    card_error = None
    if len(normalised) == codes.CODE_LENGTH:
        try:
            code = codes.validate(text)
        except codes.CardCodeError as error:
            card_error = str(error)
        else:
            # A code of someone out of the user's scope is answered as a code
            # nobody has: "not one of your sites'" confirmed it was someone's.
            participant = by_card_code_for(user, code)
            if participant is not None:
                return participant.canonical(), [], None
    folded = text.casefold()
    candidates = Participant.objects.filter(
        Q(uic=normalised) | Q(alias_folded__startswith=folded), merged_into__isnull=True
    )
    # In scope through any of their linked records, as by card code.
    matches = list(access.openable(user, candidates).order_by("alias_folded", "card_code")[:limit])
    if card_error and matches:
        card_error = None
    return None, matches, card_error


# How many recent participants the quick log offers as one-tap choices.
RECENT_PARTICIPANTS = 8


def recent_participants(user):
    """The participants this user logged most recently, newest first (kept records)."""
    ids = []
    for participant_id in (
        user.encounters.filter(participant__isnull=False)
        .order_by("-occurred_at")
        .values_list("participant_id", flat=True)[:50]
    ):
        if participant_id not in ids:
            ids.append(participant_id)
        if len(ids) == RECENT_PARTICIPANTS:
            break
    by_id = Participant.objects.in_bulk(ids)
    kept = [by_id[pk].canonical() for pk in ids if pk in by_id]
    return [participant for participant in kept if access.may_open_participant(user, participant)]


# How far back a participant counts as one of a site's active participants,
# and how many the phone keeps at most (newest first): enough for a shift,
# little enough that a lost phone gives away few.
ACTIVE_DAYS = 90
MOST_KEPT = 1000


def kept_for_offline(user):
    """The participants a phone keeps for finding them with no signal.

    The user's recent participants (marked `recent`, newest first), then
    those enrolled or seen at the user's sites in the last ACTIVE_DAYS days,
    newest first; merged records are left out (their contacts go to the
    record they were linked to).
    """
    since = timezone.now() - timedelta(days=ACTIVE_DAYS)
    site_ids = list(user.sites.values_list("id", flat=True))
    current = Participant.objects.filter(merged_into__isnull=True)
    seen = (
        current.filter(encounters__site_id__in=site_ids, encounters__occurred_at__gte=since)
        .annotate(last_seen=Max("encounters__occurred_at"))
        .order_by("-last_seen")[:MOST_KEPT]
    )
    enrolled = current.filter(enrolled_site_id__in=site_ids, enrolled_at__gte=since).order_by(
        "-enrolled_at"
    )[:MOST_KEPT]
    recent = recent_participants(user)
    recent_ids = {participant.pk for participant in recent}
    kept = {}
    for participant in itertools.chain(recent, seen, enrolled):
        if len(kept) == MOST_KEPT:
            break
        # The quick log and the search list the recent ones from what the phone keeps.
        participant.recent = participant.pk in recent_ids
        kept.setdefault(participant.pk, participant)
    return list(kept.values())


# How many of a kept participant's latest contacts the phone keeps for their
# timeline with no signal: enough to see what they had lately, no more.
KEPT_CONTACTS = 5


def kept_contacts(participants):
    """{participant id: [contact, newest first]}: the last KEPT_CONTACTS contacts of each
    (theirs and their linked duplicates') in the last ACTIVE_DAYS days, with their
    services and supplies read, in three queries."""
    ids = [participant.pk for participant in participants]
    if not ids:
        return {}
    # Read by the model's name: outreach sits above participants (imports point down).
    encounters = apps.get_model("outreach", "Encounter").objects
    owner = Coalesce("participant__merged_into_id", "participant_id")
    latest = (
        encounters.filter(
            Q(participant_id__in=ids) | Q(participant__merged_into_id__in=ids),
            occurred_at__gte=timezone.now() - timedelta(days=ACTIVE_DAYS),
        )
        .annotate(
            owner=owner,
            rank=Window(RowNumber(), partition_by=[owner], order_by=F("occurred_at").desc()),
        )
        .filter(rank__lte=KEPT_CONTACTS)
        .prefetch_related("services", "supplies")
        .order_by("owner", "-occurred_at")
    )
    kept = {}
    for encounter in latest:
        kept.setdefault(encounter.owner, []).append(encounter)
    return kept
