"""Finding participants: one search box for card code, UIC or alias."""

from django.db.models import Q
from django.utils.translation import gettext as _

from haven.core import access

from . import codes
from .models import Participant


def find(text, limit=20, *, user):
    """Return (exact_participant_or_None, other_matches, card_code_error).

    A text that looks like a card code is checked first, so that a typo is
    reported as a typo rather than as "nothing found". Only participants in
    the user's record scope are found.
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
            participant = Participant.objects.filter(card_code=code).first()
            if participant is not None:
                if access.may_open_participant(user, participant):
                    return participant.canonical(), [], None
                card_error = _("This card is not one of your sites' participants.")
    folded = text.casefold()
    candidates = Participant.objects.filter(
        Q(uic=normalised) | Q(alias_folded__startswith=folded), merged_into__isnull=True
    )
    matches = list(
        access.participants_in_scope(user, candidates).order_by("alias_folded", "card_code")[:limit]
    )
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
