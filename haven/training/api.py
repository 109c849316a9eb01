"""Attendance from a phone: one attendee at a time, or many in the sync batch
when the phone had no signal during the session. Idempotent by client UUID."""

from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from haven.api.schemas import ApiError, ErrorOut, Id, StrictSchema, Text, YesNo
from haven.participants.api import ENROLMENT_MADE_FOR, participant_by_card_code

from .actions import do_add_attendee, do_raise_headcount
from .forms import MAX_HEADCOUNT
from .models import TrainingSession
from .views import may_see_session

router = Router(tags=["training"])


class AttendeeIn(StrictSchema):
    """One attendee (a card code, or a name with consent), or the headcount alone, or both."""

    client_uuid: UUID
    session: Id
    card_code: Text(20) = ""
    enrolment: UUID | None = Field(None, description=ENROLMENT_MADE_FOR)
    name: Text(120) = ""
    consents_to_named_certificate: YesNo = False
    headcount: Annotated[StrictInt, Field(ge=0, le=MAX_HEADCOUNT)] | None = Field(
        None,
        description="People present as counted on the phone: the session's headcount is "
        "raised to it, never lowered, so a count sent twice or late counts nobody twice",
    )


class AttendeeOut(Schema):
    id: int | None = Field(description="The attendee listed; none for a headcount alone")
    session: int
    listed: bool


def store_attendee(user, body, lookups=None):
    """List one attendee; returns (201 or 200, attendee). Raises ApiError."""
    session = TrainingSession.objects.filter(pk=body.session).first()
    if session is None:
        raise ApiError.one(404, _("No training session has this id."), "session")
    if not may_see_session(user, session):
        raise ApiError.one(403, _("You may not list attendees at this session."), "session")
    # The card code is looked up first: a code refused raises no headcount either.
    participant = (
        participant_by_card_code(body.card_code, user=user, made_for=body.enrolment)[1]
        if body.card_code
        else None
    )
    if body.headcount is not None:
        raised = do_raise_headcount(session, body.headcount, by=user)
        if not body.card_code and not body.name and not body.consents_to_named_certificate:
            return (201 if raised else 200), session
    try:
        attendee, created = do_add_attendee(
            session,
            client_uuid=body.client_uuid,
            by=user,
            participant=participant,
            name=body.name,
            consent=body.consents_to_named_certificate,
        )
    except ValidationError as error:
        raise ApiError.from_validation(error) from error
    if attendee.session_id != session.pk:
        # Listed at another session: the same UUID with other details.
        raise ApiError.already_saved(body.client_uuid)
    return (201 if created else 200), attendee


def attendee_out(stored):
    if isinstance(stored, TrainingSession):  # the headcount alone
        return {"id": None, "session": stored.pk, "listed": False}
    return {"id": stored.pk, "session": stored.session_id, "listed": True}


@router.post(
    "/training/attendees",
    response={
        200: AttendeeOut,
        201: AttendeeOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
)
def create_attendee(request, body: AttendeeIn):
    """List an attendee at a session: a participant by card code, or a name with consent
    to a named certificate. Idempotent by client_uuid; the headcount alone needs no call."""
    # One transaction, as each record of a synced batch: an attendee refused
    # (a name without consent, someone listed already) raises no headcount.
    with transaction.atomic():
        status, attendee = store_attendee(request.auth, body)
    return Status(status, attendee_out(attendee))
