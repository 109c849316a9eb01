"""Participant endpoints: find by card code, the user's recent participants, the phone's kept set.

Card codes travel in request bodies only, never in a URL or query string.
"""

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from haven.api.schemas import ApiError, ErrorOut, StrictSchema, Text
from haven.core import access

from . import codes
from .lookup import kept_for_offline, recent_participants
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


def participant_by_card_code(text, *, field="card_code", missing_status=400):
    """The kept record for a typed card code, or ApiError saying what is wrong."""
    try:
        code = codes.validate(text)
    except codes.CardCodeError as error:
        raise ApiError.one(400, str(error), field) from error
    participant = Participant.objects.filter(card_code=code).first()
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


@router.get("/kept", response=list[ParticipantOut])
def kept_participants(request):
    """The participants the phone keeps to find them with no signal (card code and alias).

    The user's recent participants and their sites' active ones (see
    lookup.kept_for_offline). Each is audited as shown when the phone
    downloads the set, since the phone may show any of them later, offline.
    """
    kept = kept_for_offline(request.auth)
    access.shown_each(request, kept, page="API participants kept on the phone")
    return [participant_out(participant) for participant in kept]
