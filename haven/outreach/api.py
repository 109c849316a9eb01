"""Contact endpoints: the sites and services to log with, and logging a contact.

A contact carries a client UUID made on the phone. Sending it again returns
the stored contact with the same status (201); the same UUID with different
details is refused with 409. The rules themselves live in actions.py.
"""

from datetime import UTC
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from haven.accounts.models import Site
from haven.api.schemas import ApiError, Count, ErrorOut, Id, Moment, StrictSchema, Text
from haven.core import access
from haven.participants import codes
from haven.participants.api import (
    ENROLMENT_MADE_FOR,
    ParticipantOut,
    enrolled_by,
    participant_by_card_code,
    participant_out,
)
from haven.participants.models import Participant
from haven.supplies.models import Item, Kit

from . import catalog
from .actions import EncounterConflict, EncounterData, do_record_encounters
from .models import Service

router = Router(tags=["contacts"])


class SiteOut(Schema):
    id: int
    name: str
    kind: str


class ServiceOut(Schema):
    id: int
    code: str
    name: str
    kind: str


class SupplyLine(StrictSchema):
    item: Id
    quantity: Count


class KitLine(StrictSchema):
    kit: Id
    quantity: Count


class ContactIn(StrictSchema):
    """One contact. Give `participant` (an id) or `card_code`, or `anonymous_people`."""

    client_uuid: UUID
    site: Id
    contact_type: Text(20)
    occurred_at: Moment | None = None
    participant: Id | None = None
    card_code: Text(40) | None = None
    enrolment: UUID | None = Field(None, description=ENROLMENT_MADE_FOR)
    anonymous_people: Count = 0
    services: list[Id] = Field(default_factory=list, max_length=100)
    supplies: list[SupplyLine] = Field(default_factory=list, max_length=500)
    kits: list[KitLine] = Field(default_factory=list, max_length=100)
    secondary_people: Count = 0
    note: Text(100_000) = ""


class ContactOut(Schema):
    id: int
    client_uuid: UUID
    occurred_at: str
    site: int
    contact_type: str
    participant: ParticipantOut | None
    anonymous_people: int
    secondary_people: int
    services: list[int]
    supplies: list[SupplyLine]
    # Set when the participant sent had been linked to another record.
    notice: str | None = None


def sites_for(user):
    sites = Site.objects.filter(active=True)
    if user.role != "manager":
        sites = sites.filter(staff=user)
    return sites


@router.get("/sites", response=list[SiteOut])
def sites(request):
    """The sites this user logs contacts at."""
    return list(sites_for(request.auth).values("id", "name", "kind"))


@router.get("/services", response=list[ServiceOut])
def services(request):
    """Services that can be given at a contact, named in the user's language."""
    language = get_language()
    return [
        {"id": s.pk, "code": s.code, "name": s.localised_name(language), "kind": s.kind}
        for s in Service.objects.filter(active=True)
    ]


class Lookups:
    """Records by id for one request (a batch has many contacts).

    Sites, services, items and kits come from the contact catalog (one read
    of its version per request); anything else is read once.
    """

    def __init__(self):
        self._cache = {}
        self._catalog = None

    @property
    def catalog(self):
        if self._catalog is None:
            self._catalog = catalog.current()
        return self._catalog

    def get(self, model, pk, queryset=None):
        if queryset is None and model in catalog.MODELS:
            return self.catalog.get(model, pk)
        key = (model, pk)
        if key not in self._cache:
            self._cache[key] = (queryset or model.objects).filter(pk=pk).first()
        return self._cache[key]


def _participants(user, bodies):
    """({id: participant}, {card code: participant}, enrolled) for the bodies.

    The participants named whom `user` may open, in one query, read with
    whom each is merged into, so that the contact action need not read them
    again. One out of the user's record scope is left out, as an id or a code
    nobody has (and answered as one, by the same statements). A code that
    is not a valid card code is left out (the body is refused when it is
    turned into a contact). `enrolled`: the participants of the enrolments
    the bodies were made for (participants.api.enrolled_by), in one more
    query when any body names one.
    """
    ids = {body.participant for body in bodies if body.participant is not None}
    typed = set()
    for body in bodies:
        if body.card_code:
            try:
                typed.add(codes.validate(body.card_code))
            except codes.CardCodeError:
                pass
    enrolled = enrolled_by([body.enrolment for body in bodies if body.enrolment is not None])
    if not ids and not typed:
        return {}, {}, enrolled
    found = access.openable(
        user,
        Participant.objects.select_related("merged_into").filter(
            Q(pk__in=ids) | Q(card_code__in=typed)
        ),
    )
    by_id, by_code = {}, {}
    for participant in found:
        by_id[participant.pk] = participant
        by_code[participant.card_code] = participant
    return by_id, by_code, enrolled


def encounter_data(user, body, lookups, participants=None):
    """Turn a ContactIn from `user` into EncounterData, or raise ApiError naming the field.

    `participants` is what _participants() read for these bodies.
    """
    by_id, by_code, enrolled = participants or _participants(user, [body])
    errors = []
    participant = None
    if body.participant is not None and body.card_code:
        errors.append(("card_code", _("Give a participant or a card code, not both.")))
    elif body.card_code:
        participant = participant_by_card_code(
            body.card_code, user=user, known=by_code, made_for=body.enrolment, enrolled=enrolled
        )[0]
    elif body.participant is not None:
        participant = by_id.get(body.participant)
        if participant is None:
            errors.append(("participant", _("No participant has this id.")))
    services = []
    for pk in dict.fromkeys(body.services):
        service = lookups.get(Service, pk)
        if service is None:
            errors.append(("services", _("Service %(id)s is not in the catalog.") % {"id": pk}))
        else:
            services.append(service)
    supplies = {}
    for line in body.supplies:
        item = lookups.get(Item, line.item)
        if item is None:
            errors.append(("supplies", _("Item %(id)s is not in the catalog.") % {"id": line.item}))
        elif line.quantity:
            supplies[item] = supplies.get(item, 0) + line.quantity
    kits = {}
    for line in body.kits:
        kit = lookups.get(Kit, line.kit)
        if kit is None or not kit.active:
            errors.append(("kits", _("Kit %(id)s is not handed out.") % {"id": line.kit}))
        elif line.quantity:
            kits[kit] = kits.get(kit, 0) + line.quantity
    if errors:
        raise ApiError(400, errors)
    data = EncounterData(
        client_uuid=body.client_uuid,
        site=lookups.get(Site, body.site),
        contact_type=body.contact_type,
        occurred_at=body.occurred_at,
        participant=participant,
        anonymous_people=body.anonymous_people,
        services=services,
        supplies=supplies,
        kits=kits,
        secondary_people=body.secondary_people,
        note=body.note,
    )
    return data, participant


def store_contact(user, body, lookups):
    """Record a contact; returns (status, encounter, notice, written). Raises ApiError.

    `written` is the EncounterData as stored (kits as their components), or
    None when the contact was stored before (a replay).
    """
    [outcome] = store_contacts(user, [body], lookups)
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


def store_contacts(user, bodies, lookups):
    """Record many contacts at once (a synced batch): per body, in order, either
    (status, encounter, notice, written) or the ApiError that refused it."""
    outcomes, submissions = [None] * len(bodies), []
    participants = _participants(user, bodies)
    for index, body in enumerate(bodies):
        try:
            submissions.append((index, body, *encounter_data(user, body, lookups, participants)))
        except ApiError as error:
            outcomes[index] = error
    stored = do_record_encounters(
        [data for _i, _b, data, _p in submissions], staff=user, participants_current=True
    )
    for (index, body, data, sent_participant), outcome in zip(submissions, stored, strict=True):
        outcomes[index] = _contact_outcome(user, body, data, sent_participant, outcome)
    return outcomes


def _contact_outcome(user, body, data, sent_participant, outcome):
    if isinstance(outcome, ValidationError):
        return ApiError.from_validation(outcome)
    if isinstance(outcome, EncounterConflict):
        return ApiError.already_saved(outcome.client_uuid)
    encounter, created = outcome
    if encounter.staff_id != user.pk:
        # Another user's contact: answered as any other clash, naming nothing of it.
        return ApiError.already_saved(body.client_uuid)
    notice = None
    if sent_participant is not None and sent_participant.pk != encounter.participant_id:
        notice = _(
            "%(sent)s is linked to %(kept)s; the contact was saved with the kept record."
        ) % {"sent": sent_participant.display_code, "kept": encounter.participant.display_code}
    return 201, encounter, notice, data if created else None


def contact_out(encounter, notice=None, written=None):
    """The answer for a stored contact: from `written` (the EncounterData just
    stored) when there is one, else read back."""
    if written is not None:
        services = sorted({service.pk for service in written.services})
        supplies = sorted((item.pk, quantity) for item, quantity in written.supplies.items())
    else:
        services = sorted(encounter.services.values_list("id", flat=True))
        supplies = encounter.supplies.order_by("item_id").values_list("item_id", "quantity")
    return {
        "id": encounter.pk,
        "client_uuid": encounter.client_uuid,
        # In UTC, as the database gives it back: a replay answers the same.
        "occurred_at": encounter.occurred_at.astimezone(UTC).isoformat(),
        "site": encounter.site_id,
        "contact_type": encounter.contact_type,
        "participant": participant_out(encounter.participant) if encounter.participant else None,
        "anonymous_people": encounter.anonymous_people,
        "secondary_people": encounter.secondary_people,
        "services": services,
        "supplies": [
            {"item": item, "quantity": quantity} for item, quantity in supplies if quantity
        ],
        "notice": notice,
    }


@router.post("/contacts", response={201: ContactOut, 400: ErrorOut, 409: ErrorOut})
def create_contact(request, body: ContactIn):
    """Log a contact. Idempotent by client_uuid."""
    status, encounter, notice, written = store_contact(request.auth, body, Lookups())
    access.shown(request, encounter.participant, encounter, page="API contact saved")
    return Status(status, contact_out(encounter, notice, written))
