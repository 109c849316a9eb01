"""Supplies endpoints: the catalog for offline use, and stock received or moved.

Stock movements carry a client UUID like contacts do; the actions store a
replay once, and a UUID reused for a different movement is refused with 409.
"""

from datetime import date
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Prefetch, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from haven.api.auth import auth_for
from haven.api.schemas import ApiError, ErrorOut, Id, Moment, StrictSchema, Text
from haven.core.permissions import MANAGER, SUPERVISOR

from . import actions
from .forms import locations_for
from .models import Item, Kit, KitComponent, Lot, StockMovement

router = Router(tags=["supplies"])

# Receiving and moving stock is for the people who look after it.
STOCK_ROLES = (SUPERVISOR, MANAGER)
Quantity = Id  # at least 1, and small enough for the database


class ItemOut(Schema):
    id: int
    name: str
    category: str
    unit: str
    doses_per_unit: int
    max_per_contact: int
    usual: bool


class ComponentOut(Schema):
    item: int
    quantity: int


class KitOut(Schema):
    id: int
    name: str
    components: list[ComponentOut]


class LocationOut(Schema):
    id: int
    name: str
    kind: str
    site: int | None


class ReceiveIn(StrictSchema):
    client_uuid: UUID
    location: Id
    item: Id
    quantity: Quantity
    lot_number: Text(60) = ""
    expires_on: date | None = None
    supplier: Text(120) = ""
    occurred_at: Moment | None = None


class TransferIn(StrictSchema):
    client_uuid: UUID
    source: Id
    destination: Id
    item: Id
    quantity: Quantity
    lot: Id | None = None


class MovementOut(Schema):
    id: int
    client_uuid: UUID
    kind: str
    item: int
    quantity: int


@router.get("/items", response=list[ItemOut])
def items(request):
    """Items handed out now, named in the user's language."""
    language = get_language()
    return [
        {
            "id": item.pk,
            "name": item.localised_name(language),
            "category": item.category,
            "unit": item.unit,
            "doses_per_unit": item.doses_per_unit,
            "max_per_contact": item.max_per_contact,
            "usual": item.usual,
        }
        for item in Item.objects.filter(active=True)
    ]


@router.get("/kits", response=list[KitOut])
def kits(request):
    """Kits handed out now, with what each is made of."""
    language = get_language()
    components = Prefetch("components", queryset=KitComponent.objects.order_by("item_id"))
    return [
        {
            "id": kit.pk,
            "name": kit.localised_name(language),
            "components": [
                {"item": part.item_id, "quantity": part.quantity} for part in kit.components.all()
            ],
        }
        for kit in Kit.objects.filter(active=True, components__isnull=False)
        .distinct()
        .prefetch_related(components)
    ]


@router.get("/stock/locations", response=list[LocationOut], auth=auth_for(*STOCK_ROLES))
def locations(request):
    """Stock locations this user looks after."""
    return [
        {"id": loc.pk, "name": loc.name, "kind": loc.kind, "site": loc.site_id}
        for loc in locations_for(request.auth)
    ]


def _location(user, pk, field):
    location = locations_for(user).filter(pk=pk).first()
    if location is None:
        raise ApiError.one(
            403, _("You do not look after stock location %(id)s.") % {"id": pk}, field
        )
    return location


def _item(pk):
    item = Item.objects.filter(pk=pk).first()
    if item is None:
        raise ApiError.one(400, _("Item %(id)s is not in the catalog.") % {"id": pk}, "item")
    return item


def _replay_or_none(client_uuid):
    return StockMovement.objects.filter(client_uuid=client_uuid).first()


def store_receipt(user, body, lookups=None):
    """Returns (201, movement). Raises ApiError."""
    stored = _replay_or_none(body.client_uuid)
    if stored is None:
        location = _location(user, body.location, "location")
        try:
            stored = actions.do_receive_stock(
                location=location,
                item=_item(body.item),
                quantity=body.quantity,
                lot_number=body.lot_number,
                expires_on=body.expires_on,
                supplier=body.supplier,
                by=user,
                client_uuid=body.client_uuid,
                occurred_at=body.occurred_at,
            )
        except ValidationError as error:
            raise ApiError.from_validation(error) from error
        except IntegrityError:
            # The same receipt sent twice at once; the other copy was stored.
            stored = _replay_or_none(body.client_uuid)
            if stored is None:
                raise
    if not _same_receipt(stored, user, body):
        raise ApiError.already_saved(body.client_uuid)
    return 201, stored


def _same_receipt(stored, user, body):
    """Whether a stored movement is this receipt, in everything the sender said."""
    return (
        stored.kind == StockMovement.Kind.RECEIVE
        and stored.recorded_by_id == user.pk
        and (stored.location_id, stored.item_id, stored.quantity)
        == (body.location, body.item, body.quantity)
        and stored.lot.number == body.lot_number.strip()
        and (body.expires_on is None or stored.lot.expires_on == body.expires_on)
        and stored.supplier == body.supplier.strip()
        and (body.occurred_at is None or stored.occurred_at == body.occurred_at)
    )


def store_transfer(user, body, lookups=None):
    """Returns (201, the first movement). Raises ApiError."""
    stored = _replay_or_none(body.client_uuid)
    if stored is None:
        source = _location(user, body.source, "source")
        destination = _location(user, body.destination, "destination")
        lot = None
        if body.lot is not None:
            lot = Lot.objects.filter(pk=body.lot).first()
            if lot is None:
                raise ApiError.one(400, _("Lot %(id)s does not exist.") % {"id": body.lot}, "lot")
        try:
            stored = actions.do_transfer_stock(
                source=source,
                destination=destination,
                item=_item(body.item),
                quantity=body.quantity,
                lot=lot,
                by=user,
                client_uuid=body.client_uuid,
            )[0]
        except ValidationError as error:
            raise ApiError.from_validation(error) from error
        except IntegrityError:
            stored = _replay_or_none(body.client_uuid)
            if stored is None:
                raise
    group = StockMovement.objects.filter(transfer_group=stored.transfer_group)
    moved = group.filter(quantity__gt=0).aggregate(n=Sum("quantity"))["n"]
    destinations = set(group.filter(quantity__gt=0).values_list("location_id", flat=True))
    same = (
        stored.kind == StockMovement.Kind.TRANSFER_OUT
        and stored.recorded_by_id == user.pk
        and (stored.location_id, stored.item_id, moved) == (body.source, body.item, body.quantity)
        and destinations == {body.destination}
        and (body.lot is None or stored.lot_id == body.lot)
    )
    if not same:
        raise ApiError.already_saved(body.client_uuid)
    return 201, stored


def movement_out(movement, body):
    return {
        "id": movement.pk,
        "client_uuid": body.client_uuid,
        "kind": movement.kind,
        "item": movement.item_id,
        "quantity": body.quantity,
    }


@router.post(
    "/stock/receive",
    response={201: MovementOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    auth=auth_for(*STOCK_ROLES),
)
def receive(request, body: ReceiveIn):
    """A shipment arrives at a location. Idempotent by client_uuid."""
    status, movement = store_receipt(request.auth, body)
    return Status(status, movement_out(movement, body))


@router.post(
    "/stock/transfer",
    response={201: MovementOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    auth=auth_for(*STOCK_ROLES),
)
def transfer(request, body: TransferIn):
    """Move stock between two locations, both sides or nothing. Idempotent by client_uuid."""
    status, movement = store_transfer(request.auth, body)
    return Status(status, movement_out(movement, body))
