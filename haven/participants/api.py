"""Participant endpoints: find by card code, the user's recent participants, the phone's kept set.

Card codes travel in request bodies only, never in a URL or query string.
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from haven.api.schemas import ApiError, ErrorOut, StrictSchema, Text
from haven.consents.actions import do_record_enrolment_consents
from haven.consents.forms import EnrolmentConsentForm
from haven.core import access
from haven.core.already_saved import AlreadySaved

from . import codes
from .actions import (
    CODES_PER_DEVICE,
    EnrolmentConflict,
    do_enroll_with_reserved_code,
    do_reserve_card_codes,
)
from .forms import ParticipantForm, UICForm
from .lookup import (
    by_card_code_for,
    kept_contacts,
    kept_for_offline,
    recent_participants,
)
from .models import ReservedCardCode

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


# The `enrolment` of a record made on a phone for someone enrolled there (a
# contact, a referral, a training attendee): see participant_by_card_code.
ENROLMENT_MADE_FOR = (
    "Made on the phone for someone enrolled there: the client UUID of that enrolment. "
    "The card code must then be the one it was stored with, else the record is refused "
    "(400 on `enrolment`) rather than given to whoever has the code"
)


def participant_out(participant):
    return {"id": participant.pk, "card_code": participant.display_code, "alias": participant.alias}


def participant_by_card_code(
    text, *, user, field="card_code", missing_status=400, known=None, made_for=None, enrolled=None
):
    """(the typed code's record, the kept record), or ApiError saying what is wrong.

    `user`: who reads or writes for the person. One out of their record scope
    is answered as a code nobody has (lookup.by_card_code_for), so that the
    answer does not confirm the code is someone's at another site.

    `known`: {card code: participant} already read with whom each is merged
    into (select_related("merged_into")), to look in instead of the database.

    `made_for`: the client UUID of the enrolment made on a phone for the
    person the record is for (a record made before Haven had them). The code
    must then be the one that enrolment was stored with: when the enrolment
    was refused (its code taken by someone else meanwhile) or stored with
    another code, whoever has this code now is not that person. `enrolled`:
    what enrolled_by() read already for these enrolments.
    """
    try:
        code = codes.validate(text)
    except codes.CardCodeError as error:
        raise ApiError.one(400, str(error), field) from error
    participant = by_card_code_for(user, code, known=known)
    if participant is None:
        raise ApiError.one(
            missing_status,
            _("No participant has the card code %(code)s.") % {"code": codes.format_code(code)},
            field,
        )
    if made_for is not None:
        if enrolled is None:
            enrolled = enrolled_by([made_for])
        if enrolled.get(made_for) != participant.pk:
            raise ApiError.one(
                400,
                _(
                    "%(code)s is not the card of the person this was made for: their "
                    "enrolment on the phone was not saved with this code. Choose who "
                    "this is for."
                )
                % {"code": codes.format_code(code)},
                "enrolment",
            )
    return participant, participant.canonical()


def enrolled_by(enrolments):
    """{client UUID of an enrolment made on a phone: id of the participant it enrolled},
    for those of `enrolments` Haven stored."""
    if not enrolments:
        return {}
    return dict(
        ReservedCardCode.objects.filter(
            client_uuid__in=set(enrolments), participant__isnull=False
        ).values_list("client_uuid", "participant_id")
    )


@router.post("/lookup", response={200: LookupOut, 400: ErrorOut, 404: ErrorOut})
def lookup(request, body: CardCodeIn):
    """Find a participant by card code. A mistyped code is a 400 that says it has a typo.

    In site scope the code of a participant out of the user's record scope is
    a 404, as a code nobody has: a 403 confirmed that the code was someone's.
    """
    found, kept = participant_by_card_code(body.card_code, user=request.auth, missing_status=404)
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


class KeptSupplyOut(Schema):
    item: int
    quantity: int


class KeptContactOut(Schema):
    """What the timeline shows of a contact with no signal: no note, no staff, no site."""

    occurred_at: str
    contact_type: str
    services: list[int]
    supplies: list[KeptSupplyOut]


class KeptParticipantOut(ParticipantOut):
    # One of the user's recent participants, offered first on the quick log (newest first).
    recent: bool
    recent_contacts: list[KeptContactOut]


def kept_contact_out(encounter):
    return {
        "occurred_at": encounter.occurred_at.isoformat(),
        "contact_type": encounter.contact_type,
        "services": sorted(service.pk for service in encounter.services.all()),
        "supplies": [
            {"item": line.item_id, "quantity": line.quantity}
            for line in sorted(encounter.supplies.all(), key=lambda line: line.item_id)
            if line.quantity
        ],
    }


@router.get("/kept", response=list[KeptParticipantOut])
def kept_participants(request):
    """The participants the phone keeps to find them with no signal: card code,
    alias and their last few contacts (when, what kind, services and supplies).

    The user's recent participants and their sites' active ones (see
    lookup.kept_for_offline). Each is audited as shown when the phone
    downloads the set, since the phone may show any of them later, offline.
    """
    kept = kept_for_offline(request.auth)
    access.shown_each(request, kept, page="API participants kept on the phone")
    contacts = kept_contacts(kept)
    return [
        {
            **participant_out(participant),
            "recent": participant.recent,
            "recent_contacts": [kept_contact_out(e) for e in contacts.get(participant.pk, [])],
        }
        for participant in kept
    ]


class CardCodesIn(StrictSchema):
    device: UUID = Field(description="The phone's own random id: each phone gets its own codes.")


class CardCodesOut(Schema):
    card_codes: list[str]


@router.post("/card-codes", response={200: CardCodesOut, 400: ErrorOut})
def card_codes(request, body: CardCodesIn):
    """Card codes held for this phone, to enrol people with no signal (topped up each time)."""
    held = do_reserve_card_codes(by=request.auth, device=body.device, count=CODES_PER_DEVICE)
    return Status(200, {"card_codes": [codes.format_code(code) for code in held]})


class EnrolmentIn(StrictSchema):
    """An enrolment made with no signal, with a card code held for the phone
    (POST /participants/card-codes). Every answer is optional, as on the form."""

    client_uuid: UUID
    card_code: Text(40)
    alias: Text(60) = ""
    year_of_birth: StrictInt | None = None
    gender: Text(20) = ""
    race_ethnicity: Text(40) = ""
    zip_code: Text(5) = ""
    # The consent questions of the enrolment form, unprefixed: {kind: "given" or
    # "refused", "how": ..., "language": ...}; a kind left out was not asked.
    consents: dict[str, Text(20)] = {}
    # The UIC questions, as the form asks them; only the code they make is kept.
    uic_answers: dict[str, Text(60)] = {}


def store_enrolment(user, body, lookups=None):
    """Enrol a participant sent by a phone; returns (status, participant). Raises ApiError."""
    try:
        code = codes.validate(body.card_code)
    except codes.CardCodeError as error:
        raise ApiError.one(400, str(error), "card_code") from error
    answers = body.model_dump(exclude={"client_uuid", "card_code", "uic_answers", "consents"})
    form = ParticipantForm(
        {key: value for key, value in answers.items() if value not in (None, False)}
    )
    uic_form = UICForm(body.uic_answers)
    consent_form = EnrolmentConsentForm({f"consent-{k}": v for k, v in body.consents.items()})
    if not all([form.is_valid(), uic_form.is_valid(), consent_form.is_valid()]):
        errors = {
            **form.errors,
            **{f"uic_answers.{k}": v for k, v in uic_form.errors.items()},
            **{f"consents.{k}": v for k, v in consent_form.errors.items()},
        }
        raise ApiError.from_validation(ValidationError(errors))
    profile = {name: form.cleaned_data[name] for name in form.Meta.fields}
    site = user.default_site()
    try:
        with transaction.atomic():
            participant, created = do_enroll_with_reserved_code(
                by=user,
                site=site,
                client_uuid=body.client_uuid,
                card_code=code,
                uic=uic_form.cleaned_data["uic"],
                **profile,
            )
            if created:
                # The answers the person gave on the phone, as on the enrolment page.
                do_record_enrolment_consents(
                    participant,
                    consent_form.answers(),
                    how=consent_form.cleaned_data["how"],
                    language=consent_form.cleaned_data["language"],
                    by=user,
                    site=site,
                )
    except AlreadySaved as error:
        raise ApiError.already_saved(error.client_uuid) from error
    except EnrolmentConflict as error:
        raise ApiError.one(409, str(error), error.field) from error
    except ValidationError as error:
        raise ApiError.from_validation(error) from error
    return (201 if created else 200), participant


@router.post(
    "/enrolments", response={200: ParticipantOut, 201: ParticipantOut, 400: ErrorOut, 409: ErrorOut}
)
def enrol(request, body: EnrolmentIn):
    """Enrol someone with a card code held for this phone; sent again, stored once."""
    status, participant = store_enrolment(request.auth, body)
    access.shown(request, participant, page="API enrolment")
    return Status(status, participant_out(participant))
