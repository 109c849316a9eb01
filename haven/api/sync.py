"""POST /sync: many records made offline, each stored on its own.

Every record is validated and stored in its own savepoint inside the batch's
one transaction, so one bad record does not sink the rest, and the answer has
one result per record in the order sent. Every record kind is idempotent by its client UUID, so a
batch sent again (because the answer was lost) stores nothing twice.
"""

from typing import Any

import pydantic
from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from haven.core.permissions import PARTICIPANT_ROLES
from haven.outreach.api import ContactIn, Lookups, store_contact
from haven.overdose.api import OverdoseReportIn, store_overdose_report
from haven.resources.api import (
    ReferralIn,
    ReferralStatusSyncIn,
    store_referral,
    store_referral_status,
)
from haven.supplies.api import STOCK_ROLES, ReceiveIn, TransferIn, store_receipt, store_transfer

from .schemas import ApiError, ErrorOut, FieldError, StrictSchema

router = Router(tags=["sync"])

MAX_RECORDS = 1000

# kind -> (input schema, store function, roles that may send it)
KINDS = {
    "contact": (ContactIn, store_contact, PARTICIPANT_ROLES),
    "stock_receive": (ReceiveIn, store_receipt, STOCK_ROLES),
    "stock_transfer": (TransferIn, store_transfer, STOCK_ROLES),
    "overdose_report": (OverdoseReportIn, store_overdose_report, PARTICIPANT_ROLES),
    "referral": (ReferralIn, store_referral, PARTICIPANT_ROLES),
    "referral_status": (ReferralStatusSyncIn, store_referral_status, PARTICIPANT_ROLES),
}


class SyncIn(StrictSchema):
    records: list[dict[str, Any]] = Field(
        max_length=MAX_RECORDS,
        description=(
            "Each record is the body of its endpoint (POST /contacts, /stock/receive, "
            "/stock/transfer, /overdose-reports, /referrals, /referrals/{id}/status with "
            "`referral` and a `client_uuid`) plus `kind`: contact, stock_receive, "
            "stock_transfer, overdose_report, referral or referral_status."
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


def _sync_one(user, record, lookups):
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise ApiError.one(
            400,
            _("Unknown kind of record; send one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)},
            "kind",
        )
    schema, store, roles = KINDS[kind]
    if user.role not in roles:
        raise ApiError.one(403, _("Your role may not send this kind of record."), "kind")
    fields = {key: value for key, value in record.items() if key != "kind"}
    try:
        body = schema.model_validate(fields)
    except pydantic.ValidationError as error:
        raise ApiError.from_pydantic(error.errors()) from error
    status, stored, *rest = store(user, body, lookups)
    notice = rest[0] if rest else None
    return {"status": status, "id": stored.pk, "notice": notice}


@router.post("/sync", response={200: SyncOut, 400: ErrorOut})
def sync(request, body: SyncIn):
    """Store a batch of offline records; one result per record, in order."""
    user = request.auth
    lookups = Lookups()
    results = []
    # One commit for the batch (a commit waits for the disk; 500 of them took
    # seconds on PostgreSQL), with each record in its own savepoint inside it,
    # so that one refused record is undone alone and the others are kept.
    with transaction.atomic():
        for index, record in enumerate(body.records):
            results.append(_sync_record(user, index, record, lookups))
    return Status(200, {"results": results})


def _sync_record(user, index, record, lookups):
    client_uuid = record.get("client_uuid")
    result = {
        "index": index,
        "kind": record.get("kind") if isinstance(record.get("kind"), str) else None,
        "client_uuid": client_uuid if isinstance(client_uuid, str) else None,
    }
    try:
        with transaction.atomic():
            result.update(_sync_one(user, record, lookups))
    except ApiError as error:
        result.update(status=error.status, **error.body())
    return result
