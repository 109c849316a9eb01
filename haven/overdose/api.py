"""Overdose endpoints: the coarse areas for the form, and reporting an overdose.

A report carries a client UUID made on the phone. Sending it again returns
the stored report with the same status (201); the same UUID with different
details is refused with 409. The rules live in actions.py
(do_record_overdose_report), which the web form calls too.
"""

from datetime import UTC
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from haven.api.schemas import ApiError, ErrorOut, Id, Moment, StrictSchema, Text, YesNo
from haven.core import access
from haven.outreach.models import Encounter

from .actions import (
    OverdoseReportData,
    do_record_naloxone_details,
    do_record_overdose_report,
    naloxone_lines,
)
from .models import MAX_DOSES_PER_OVERDOSE, Area, NaloxoneDistribution, OverdoseReport, Substance

router = Router(tags=["overdose"])

# "Imported records" is for the import command, as on the web form.
ReporterChoice = Literal[
    tuple(c for c in OverdoseReport.Reporter.values if c != OverdoseReport.Reporter.IMPORTED)
]
OutcomeChoice = Literal[tuple(OverdoseReport.Outcome.values)]
NaloxoneSourceChoice = Literal[tuple(OverdoseReport.NaloxoneSource.values)]
SubstanceChoice = Literal[tuple(Substance.values)]


class AreaOut(Schema):
    id: int
    code: str
    name: str
    kind: str


class OverdoseReportIn(StrictSchema):
    """One overdose someone told us about. Places are areas, never addresses."""

    client_uuid: UUID
    occurred_at: Moment
    area: Id
    reported_by: ReporterChoice
    outcome: OutcomeChoice = OverdoseReport.Outcome.UNKNOWN
    naloxone_doses: StrictInt | None = Field(None, ge=0, le=MAX_DOSES_PER_OVERDOSE)
    naloxone_source: NaloxoneSourceChoice = OverdoseReport.NaloxoneSource.UNKNOWN
    emergency_services_called: YesNo | None = None
    rescue_breathing: YesNo | None = None
    stayed_with_person: YesNo | None = None
    substances: list[SubstanceChoice] = Field(default_factory=list, max_length=20)
    note: Text(100_000) = ""


class OverdoseReportOut(Schema):
    id: int
    client_uuid: UUID
    occurred_at: str
    area: int
    reported_by: str
    outcome: str
    naloxone_doses: int | None
    naloxone_source: str
    emergency_services_called: bool | None
    rescue_breathing: bool | None
    stayed_with_person: bool | None
    substances: list[str]


@router.get("/areas", response=list[AreaOut])
def areas(request):
    """The program's areas, for the overdose report form (for offline use)."""
    return list(Area.objects.filter(active=True).values("id", "code", "name", "kind"))


def _same_report(stored, body, user):
    """Whether `stored` is what `body` describes, sent by the same user."""
    return stored.recorded_by_id == user.pk and (
        stored.occurred_at,
        stored.area_id,
        stored.reported_by,
        stored.outcome,
        stored.naloxone_doses,
        stored.naloxone_source,
        stored.emergency_services_called,
        stored.rescue_breathing,
        stored.stayed_with_person,
        sorted(stored.substances),
        stored.note,
    ) == (
        body.occurred_at,
        body.area,
        body.reported_by,
        body.outcome,
        body.naloxone_doses,
        body.naloxone_source,
        body.emergency_services_called,
        body.rescue_breathing,
        body.stayed_with_person,
        sorted(set(body.substances)),
        body.note,
    )


def store_overdose_report(user, body, lookups=None):
    """Record an overdose report; returns (201, report). Raises ApiError."""
    stored = OverdoseReport.objects.filter(client_uuid=body.client_uuid).first()
    if stored is None:
        area = Area.objects.filter(pk=body.area).first()
        if area is None:
            raise ApiError.one(400, _("No area has this id."), "area")
        data = OverdoseReportData(
            client_uuid=body.client_uuid,
            occurred_at=body.occurred_at,
            area=area,
            reported_by=body.reported_by,
            outcome=body.outcome,
            naloxone_doses=body.naloxone_doses,
            naloxone_source=body.naloxone_source,
            emergency_services_called=body.emergency_services_called,
            rescue_breathing=body.rescue_breathing,
            stayed_with_person=body.stayed_with_person,
            substances=sorted(set(body.substances)),
            note=body.note,
        )
        try:
            stored, _created = do_record_overdose_report(data, by=user)
        except ValidationError as error:
            raise ApiError.from_validation(error) from error
    if not _same_report(stored, body, user):
        raise ApiError.already_saved(body.client_uuid)
    return 201, stored


def overdose_report_out(report):
    return {
        "id": report.pk,
        "client_uuid": report.client_uuid,
        "occurred_at": report.occurred_at.astimezone(UTC).isoformat(),
        "area": report.area_id,
        "reported_by": report.reported_by,
        "outcome": report.outcome,
        "naloxone_doses": report.naloxone_doses,
        "naloxone_source": report.naloxone_source,
        "emergency_services_called": report.emergency_services_called,
        "rescue_breathing": report.rescue_breathing,
        "stayed_with_person": report.stayed_with_person,
        "substances": report.substances,
    }


@router.post("/overdose-reports", response={201: OverdoseReportOut, 400: ErrorOut, 409: ErrorOut})
def create_overdose_report(request, body: OverdoseReportIn):
    """Report an overdose. Idempotent by client_uuid; the note is stored, never sent back."""
    status, report = store_overdose_report(request.auth, body)
    return Status(status, overdose_report_out(report))


# Naloxone details made on the phone (a kind of the sync batch only) ----------

FormulationChoice = Literal[tuple(NaloxoneDistribution.Formulation.values)]
RefillReasonChoice = Literal[("", *NaloxoneDistribution.RefillReason.values)]


class NaloxoneLineIn(StrictSchema):
    item: Id
    formulation: FormulationChoice
    refill_reason: RefillReasonChoice = ""


class NaloxoneDetailsIn(StrictSchema):
    """First kit or refill, and why, for the naloxone of a contact logged on the phone.

    `contact` is that contact's client UUID: the details travel behind it in
    the outbox and are stored once it is in Haven. Sent again, they store
    nothing more (one detail per item of the contact).
    """

    client_uuid: UUID
    contact: UUID
    lines: list[NaloxoneLineIn] = Field(min_length=1, max_length=50)


def store_naloxone_details(user, body, lookups=None):
    """Record the naloxone details of a contact; returns (201 or 200, encounter). Raises ApiError.

    200 when the same details were stored already (a batch sent again).
    """
    encounter = Encounter.objects.filter(client_uuid=body.contact).first()
    if encounter is None:
        raise ApiError.one(
            400,
            _("The contact of these naloxone details is not in Haven: fix or send it first."),
            "contact",
        )
    if not access.may_edit_contact(user, encounter):
        raise ApiError.one(403, _("You may not change this contact."), "contact")
    handed_out = {line.item_id for line in naloxone_lines(encounter)}
    errors = [
        ("lines", _("Item %(id)s is not naloxone handed out at this contact.") % {"id": line.item})
        for line in body.lines
        if line.item not in handed_out
    ]
    if errors:
        raise ApiError(400, errors)
    reasons = {line.item: line.refill_reason for line in body.lines}
    formulations = {line.item: line.formulation for line in body.lines}
    stored = {
        detail.item_id: (detail.formulation, detail.refill_reason)
        for detail in NaloxoneDistribution.objects.filter(encounter=encounter)
    }
    if all(stored.get(item) == (formulations[item], reasons[item]) for item in reasons):
        return 200, encounter
    try:
        do_record_naloxone_details(encounter, by=user, reasons=reasons, formulations=formulations)
    except ValidationError as error:
        raise ApiError.from_validation(error) from error
    return 201, encounter
