"""Contact endpoints: the sites and services to log with, and logging a contact.

A contact carries a client UUID made on the phone. Sending it again returns
the stored contact with the same status (201); the same UUID with different
details is refused with 409. The rules themselves live in actions.py.
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from haven.accounts.models import Site
from haven.api.schemas import ApiError, Count, ErrorOut, Id, Moment, StrictSchema, Text
from haven.core import access
from haven.participants.api import ParticipantOut, participant_by_card_code, participant_out
from haven.participants.models import Participant
from haven.supplies.models import Item, Kit

from .actions import EncounterConflict, EncounterData, do_record_encounters
from .models import Encounter, Service

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
    """Catalog records by id, each read once per request (a batch has many contacts)."""

    def __init__(self):
        self._cache = {}

    def get(self, model, pk, queryset=None):
        key = (model, pk)
        if key not in self._cache:
            self._cache[key] = (queryset or model.objects).filter(pk=pk).first()
        return self._cache[key]


def encounter_data(body, lookups):
    """Turn a ContactIn into EncounterData, or raise ApiError naming the field."""
    errors = []
    participant = None
    if body.participant is not None and body.card_code:
        errors.append(("card_code", _("Give a participant or a card code, not both.")))
    elif body.card_code:
        participant = participant_by_card_code(body.card_code)[0]
    elif body.participant is not None:
        participant = Participant.objects.filter(pk=body.participant).first()
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
    """Record a contact; returns (status, encounter, notice). Raises ApiError."""
    [outcome] = store_contacts(user, [body], lookups)
    if isinstance(outcome, ApiError):
        raise outcome
    return outcome


def store_contacts(user, bodies, lookups):
    """Record many contacts at once (a synced batch): per body, in order, either
    (status, encounter, notice) or the ApiError that refused it."""
    outcomes, submissions = [None] * len(bodies), []
    for index, body in enumerate(bodies):
        try:
            submissions.append((index, body, *encounter_data(body, lookups)))
        except ApiError as error:
            outcomes[index] = error
    stored = do_record_encounters([data for _i, _b, data, _p in submissions], staff=user)
    for (index, body, _data, sent_participant), outcome in zip(submissions, stored, strict=True):
        outcomes[index] = _contact_outcome(user, body, sent_participant, outcome)
    return outcomes


def _contact_outcome(user, body, sent_participant, outcome):
    if isinstance(outcome, ValidationError):
        return ApiError.from_validation(outcome)
    if isinstance(outcome, EncounterConflict):
        return ApiError.one(409, str(outcome), "client_uuid")
    encounter, _created = outcome
    if encounter.staff_id != user.pk:
        return ApiError.one(
            409,
            _("This contact (%(uuid)s) was saved by someone else.") % {"uuid": body.client_uuid},
            "client_uuid",
        )
    notice = None
    if sent_participant is not None and sent_participant.pk != encounter.participant_id:
        notice = _(
            "%(sent)s is linked to %(kept)s; the contact was saved with the kept record."
        ) % {"sent": sent_participant.display_code, "kept": encounter.participant.display_code}
    return 201, encounter, notice


def contact_out(encounter, notice=None):
    return {
        "id": encounter.pk,
        "client_uuid": encounter.client_uuid,
        "occurred_at": encounter.occurred_at.isoformat(),
        "site": encounter.site_id,
        "contact_type": encounter.contact_type,
        "participant": participant_out(encounter.participant) if encounter.participant else None,
        "anonymous_people": encounter.anonymous_people,
        "secondary_people": encounter.secondary_people,
        "services": sorted(encounter.services.values_list("id", flat=True)),
        "supplies": [
            {"item": item, "quantity": quantity}
            for item, quantity in encounter.supplies.order_by("item_id").values_list(
                "item_id", "quantity"
            )
        ],
        "notice": notice,
    }


@router.post("/contacts", response={201: ContactOut, 400: ErrorOut, 409: ErrorOut})
def create_contact(request, body: ContactIn):
    """Log a contact. Idempotent by client_uuid."""
    status, encounter, notice = store_contact(request.auth, body, Lookups())
    encounter = Encounter.objects.select_related("participant").get(pk=encounter.pk)
    access.shown(request, encounter.participant, encounter, page="API contact saved")
    return Status(status, contact_out(encounter, notice))
