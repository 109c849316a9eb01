"""POST /sync: many records made offline, each stored on its own.

Every record is validated and stored on its own inside the batch's one
transaction (contacts sent together are written together, refused ones left
out), so one bad record does not sink the rest, and the answer has one result
per record in the order sent. Every record kind is idempotent by its client
UUID, so a batch sent again (because the answer was lost) stores nothing twice.
"""

import itertools
from typing import Any

import pydantic
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from haven.core import access
from haven.core.permissions import PARTICIPANT_ROLES
from haven.outreach.api import ContactIn, Lookups, store_contact, store_contacts
from haven.overdose.api import (
    NaloxoneDetailsIn,
    OverdoseReportIn,
    store_naloxone_details,
    store_overdose_report,
)
from haven.participants import codes
from haven.participants.api import EnrolmentIn, store_enrolment
from haven.resources.api import (
    ReferralIn,
    ReferralStatusSyncIn,
    store_referral,
    store_referral_status,
)
from haven.supplies.api import STOCK_ROLES, ReceiveIn, TransferIn, store_receipt, store_transfer
from haven.training.api import AttendeeIn, store_attendee

from .schemas import ApiError, ErrorOut, FieldError, StrictSchema

router = Router(tags=["sync"])

MAX_RECORDS = 1000

# kind -> (input schema, store function, roles that may send it)
KINDS = {
    # An enrolment comes before the contacts logged for that person, as sent.
    "enrolment": (EnrolmentIn, store_enrolment, PARTICIPANT_ROLES),
    "contact": (ContactIn, store_contact, PARTICIPANT_ROLES),
    "stock_receive": (ReceiveIn, store_receipt, STOCK_ROLES),
    "stock_transfer": (TransferIn, store_transfer, STOCK_ROLES),
    "overdose_report": (OverdoseReportIn, store_overdose_report, PARTICIPANT_ROLES),
    # After the contact it belongs to: the phone sends it once that contact is stored.
    "naloxone_details": (NaloxoneDetailsIn, store_naloxone_details, PARTICIPANT_ROLES),
    "referral": (ReferralIn, store_referral, PARTICIPANT_ROLES),
    "referral_status": (ReferralStatusSyncIn, store_referral_status, PARTICIPANT_ROLES),
    "training_attendee": (AttendeeIn, store_attendee, PARTICIPANT_ROLES),
}


class SyncIn(StrictSchema):
    records: list[dict[str, Any]] = Field(
        max_length=MAX_RECORDS,
        description=(
            "Each record is the body of its endpoint (POST /participants/enrolments, "
            "/contacts, /stock/receive, /stock/transfer, /overdose-reports, /referrals, "
            "/referrals/{id}/status with `referral` and a `client_uuid`, /training/attendees) "
            "plus `kind`: enrolment, contact, stock_receive, stock_transfer, overdose_report, "
            "referral, referral_status or training_attendee; or `naloxone_details` (sync only: "
            "`contact`, the contact's client UUID, and `lines` of item, formulation and "
            "refill_reason)."
        ),
    )


class RecordResult(Schema):
    index: int
    kind: str | None
    client_uuid: str | None
    status: int
    id: int | None = None
    notice: str | None = None
    detail: str | None = None
    field: str | None = None
    errors: list[FieldError] = []


class SyncOut(Schema):
    results: list[RecordResult]


def _parse(user, record):
    """(kind, body) of one record, or ApiError naming what is wrong with it."""
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ApiError.one(
            400,
            _("Unknown kind of record; send one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)},
            "kind",
        )
    schema, _store, roles = KINDS[kind]
    if user.role not in roles:
        raise ApiError.one(403, _("Your role may not send this kind of record."), "kind")
    fields = {key: value for key, value in record.items() if key != "kind"}
    try:
        return kind, schema.model_validate(fields)
    except pydantic.ValidationError as error:
        raise ApiError.from_pydantic(error.errors()) from error


@router.post("/sync", response={200: SyncOut, 400: ErrorOut})
def sync(request, body: SyncIn):
    """Store a batch of offline records; one result per record, in order."""
    user = request.auth
    lookups = Lookups()
    results = [_result_head(index, record) for index, record in enumerate(body.records)]
    parsed = []
    for result, record in zip(results, body.records, strict=True):
        try:
            parsed.append((result, *_parse(user, record)))
        except ApiError as error:
            _refused(result, error)
    # One commit for the batch (a commit waits for the disk; 500 of them took
    # seconds on PostgreSQL). Contacts sent one after another are stored
    # together, a few statements per table (see do_record_encounters); other
    # records each in a savepoint. Either way one refused record is undone
    # alone and the others are kept, in the order sent.
    # The card codes of enrolments refused in this batch, each with whether
    # Haven holds that enrolment already (with other details): the records
    # sent after them for that person wait (refused too) until the enrolment
    # is fixed, or they are changed to name someone, rather than reach whoever
    # else has that code.
    refused_enrolments = {}
    with transaction.atomic():
        for kind, run in itertools.groupby(parsed, key=lambda entry: entry[1]):
            run = list(run)
            for result, _kind, body in run:
                if _names(body, refused_enrolments):
                    _refused(result, _waits_for_enrolment(body, refused_enrolments))
            run = [entry for entry in run if not _names(entry[2], refused_enrolments)]
            if kind == "contact":
                outcomes = store_contacts(user, [body for _r, _k, body in run], lookups)
            else:
                outcomes = [_store_one(user, kind, body, lookups) for _r, _k, body in run]
            for (result, _kind, body), outcome in zip(run, outcomes, strict=True):
                if isinstance(outcome, ApiError):
                    _refused(result, outcome)
                    if kind == "enrolment":
                        saved = outcome.client_uuid is not None  # ApiError.already_saved
                        refused_enrolments[codes.normalise(body.card_code)] = saved
                else:
                    status, stored, *rest = outcome
                    notice = rest[0] if rest else None
                    result.update(status=status, id=stored.pk, notice=notice)
                    if notice:
                        # The notice names the record the sent one is linked to.
                        access.shown(
                            request, stored.participant, stored, page="API sync (linked record)"
                        )
    return Status(200, {"results": results})


def _refused(result, error):
    # The result names the record by its client UUID as sent; an error's own
    # copy of it (ApiError.already_saved) is the same UUID, written as Python does.
    result.update(status=error.status, **{**error.body(), "client_uuid": result["client_uuid"]})


def _names(body, card_codes):
    card_code = getattr(body, "card_code", None)
    return bool(card_code) and codes.normalise(card_code) in card_codes


def _waits_for_enrolment(body, refused_enrolments):
    code = codes.normalise(body.card_code)
    if refused_enrolments[code]:
        # The phone's copy of an enrolment Haven holds already is discarded,
        # not fixed (outbox.js): the record is changed to name the person.
        message = _(
            "%(code)s is the card of someone whose enrolment was already saved with "
            "different details: check the saved record, then change who this is for."
        )
    else:
        message = _(
            "%(code)s is the card of someone whose enrolment Haven did not accept: "
            "fix the enrolment first, then send this again."
        )
    return ApiError.one(400, message % {"code": codes.format_code(code)}, "card_code")


def _store_one(user, kind, body, lookups):
    _schema, store, _roles = KINDS[kind]
    try:
        with transaction.atomic():
            return store(user, body, lookups)
    except ApiError as error:
        return error


def _result_head(index, record):
    client_uuid = record.get("client_uuid")
    return {
        "index": index,
        "kind": record.get("kind") if isinstance(record.get("kind"), str) else None,
        "client_uuid": client_uuid if isinstance(client_uuid, str) else None,
    }
