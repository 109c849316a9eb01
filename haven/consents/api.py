"""Consent endpoints: a participant's consents, recording one, and withdrawing one.

Participants are addressed by id in the path; the rules are haven/consents/actions.py's,
the same the consent page calls.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from haven.api.schemas import ApiError, ErrorOut, Id, PathId, StrictSchema, Text, YesNo
from haven.core import access
from haven.resources.models import Resource

from . import rules
from .actions import do_record_consent, do_withdraw_consent

router = Router(tags=["consents"])


class ConsentIn(StrictSchema):
    kind: Text(20) = Field(
        description="record_keeping, contact, sharing, certificate_name, research or tpo"
    )
    decision: Text(10) = Field(description="given or refused")
    how: Text(10) = Field(description="spoken, signed or paper")
    language: Text(2) = Field(description="The language of the text read or signed: en or es")
    provider: Id | None = Field(None, description="Sharing: the one provider (a resource id)")
    provider_need: Text(30) = Field("", description="Sharing: every provider of this need")
    expires_on: date | None = None
    expiry_event: Text(200) = ""
    discloser: Text(200) = ""
    information: Text(300) = ""
    purpose: Text(300) = ""
    told_of_right_to_revoke: YesNo = False
    signature: Text(200) = ""


class WithdrawIn(StrictSchema):
    consent: Id


class ConsentOut(Schema):
    id: int
    kind: str
    decision: str
    how: str
    language: str
    text_version: int
    recorded_at: datetime
    expires_on: date | None
    provider: int | None
    provider_need: str
    withdrawn_at: datetime | None
    in_force: bool


def consent_out(consent, in_force_ids):
    return {
        "id": consent.pk,
        "kind": consent.kind,
        "decision": consent.decision,
        "how": consent.how,
        "language": consent.language,
        "text_version": consent.text.version,
        "recorded_at": consent.recorded_at,
        "expires_on": consent.expires_on,
        "provider": consent.provider_id,
        "provider_need": consent.provider_need,
        "withdrawn_at": consent.withdrawn_at,
        "in_force": consent.pk in in_force_ids,
    }


def _all_out(participant):
    in_force = {consent.pk for consent in rules.consents_in_force(participant)}
    consents = rules.consents_of(participant).select_related("text")
    return [consent_out(consent, in_force) for consent in consents]


@router.get(
    "/{participant_id}/consents", response={200: list[ConsentOut], 403: ErrorOut, 404: ErrorOut}
)
def consents(request, participant_id: PathId):
    """Every consent of the participant (and of records linked to theirs), newest first."""
    participant = access.get_participant_for_user(request, participant_id, page="API consents")
    return Status(200, _all_out(participant))


@router.post(
    "/{participant_id}/consents",
    response={201: list[ConsentOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def record_consent(request, participant_id: PathId, body: ConsentIn):
    """Record a consent given or refused, to the current text of its kind."""
    participant = access.get_participant_for_user(
        request, participant_id, page="API consent recorded"
    )
    provider = None
    if body.provider is not None:
        provider = Resource.objects.filter(pk=body.provider, active=True).first()
        if provider is None:
            raise ApiError.one(400, _("No provider in the directory has this id."), "provider")
    values = body.dict(exclude={"provider"})
    try:
        do_record_consent(
            participant,
            by=request.auth,
            site=request.auth.default_site(),
            provider=provider,
            **values,
        )
    except ValidationError as error:
        raise ApiError.from_validation(error) from error
    return Status(201, _all_out(participant))


@router.post(
    "/{participant_id}/consents/withdraw",
    response={200: list[ConsentOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def withdraw_consent(request, participant_id: PathId, body: WithdrawIn):
    """Withdraw one of the participant's consents, now."""
    participant = access.get_participant_for_user(
        request, participant_id, page="API consent withdrawn"
    )
    consent = get_object_or_404(rules.consents_of(participant), pk=body.consent)
    try:
        do_withdraw_consent(consent, by=request.auth)
    except ValidationError as error:
        raise ApiError.from_validation(error) from error
    return Status(200, _all_out(participant))
