"""Participant endpoints: find by card code, the user's recent participants.

Card codes travel in request bodies only, never in a URL or query string.
"""

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from haven.api.schemas import ApiError, ErrorOut, StrictSchema, Text
from haven.core import access

from . import codes
from .lookup import recent_participants
from .models import Participant

router = Router(tags=["participants"])


class CardCodeIn(StrictSchema):
    card_code: Text(40)


class ParticipantOut(Schema):
    """As little as the field needs: the id, the card code and the alias."""

    id: int
    card_code: str
    alias: str


class LookupOut(ParticipantOut):
    # The typed code belonged to a duplicate linked to this record.
    linked_from: str | None = None


def participant_out(participant):
    return {"id": participant.pk, "card_code": participant.display_code, "alias": participant.alias}


def participant_by_card_code(text, *, field="card_code", missing_status=400, known=None):
    """(the typed code's record, the kept record), or ApiError saying what is wrong.

    `known`: {card code: participant} already read with whom each is merged
    into (select_related("merged_into")), to look in instead of the database.
    """
    try:
        code = codes.validate(text)
    except codes.CardCodeError as error:
        raise ApiError.one(400, str(error), field) from error
    if known is not None:
        participant = known.get(code)
    else:
        participant = (
            Participant.objects.select_related("merged_into").filter(card_code=code).first()
        )
    if participant is None:
        raise ApiError.one(
            missing_status,
            _("No participant has the card code %(code)s.") % {"code": codes.format_code(code)},
            field,
        )
    return participant, participant.canonical()


@router.post("/lookup", response={200: LookupOut, 400: ErrorOut, 404: ErrorOut})
def lookup(request, body: CardCodeIn):
    """Find a participant by card code. A mistyped code is a 400 that says it has a typo."""
    found, kept = participant_by_card_code(body.card_code, missing_status=404)
    access.require_in_scope(request.auth, kept)
    # The typed code's own record is named too when it was linked to another.
    access.shown_each(request, (kept, found), page="API lookup")
    result = participant_out(kept)
    result["linked_from"] = found.display_code if found.pk != kept.pk else None
    return Status(200, result)


@router.get("/recent", response=list[ParticipantOut])
def recent(request):
    """The participants this user logged most recently (card code and alias only)."""
    recent = recent_participants(request.auth)
    access.shown_each(request, recent, page="API recent participants")
    return [participant_out(participant) for participant in recent]
