"""Demo stock: a warehouse, a shelf or van per site, a bag per field worker.

Stock arrives 60 days before the end of the demo period and moves down to
the bags; the contacts of the last 30 days draw from the bags through the
real ledger, so on-hand, usage and days left are all consistent.

Used syringes come back over the whole period, at about two thirds of those
handed out, as programs see: some counted at the contact where a participant
brings them, the rest weighed from each site's drop box once a week.
"""

import datetime
import random
import uuid
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from haven.accounts.models import Site
from haven.outreach.models import Encounter, EncounterSupply

from . import actions, stock
from .models import Kit, KitComponent, ReorderPoint, StockLocation, SyringeCollection

SITE_LOCATION_KIND = {
    Site.Kind.DROP_IN: StockLocation.Kind.SITE,
    Site.Kind.FIXED: StockLocation.Kind.SITE,
    Site.Kind.MOBILE: StockLocation.Kind.MOBILE,
}
# The share of contacts with syringes where used ones are brought back, and of the
# syringes handed out at a site in a week that its drop box holds at the week's end.
BROUGHT_BACK_AT_CONTACTS = 0.35
IN_THE_DROP_BOX = 0.3
# Units received per item, and how many lots they come in.
RECEIPTS = {"naloxone": (3000, 3), "injection": (60000, 2), "default": (6000, 1)}


def add_demo_records(*, rng, sites, staff, items, end, **_other):
    manager = next(user for user in staff if user.role == "manager")
    by_name = {item.name: item for item in items}
    kit = Kit.objects.create(name="Safer injection kit", name_es="Kit de inyección más segura")
    for name, quantity in [
        ("Syringes 1cc", 10),
        ("Cookers", 2),
        ("Cottons", 2),
        ("Alcohol pads", 4),
        ("Tourniquets", 1),
    ]:
        KitComponent.objects.create(kit=kit, item=by_name[name], quantity=quantity)

    warehouse = StockLocation.objects.create(name="Central warehouse", kind="warehouse")
    shelves = {}
    for site in sites:
        kind = SITE_LOCATION_KIND.get(site.kind)
        if kind:
            shelves[site.pk] = StockLocation.objects.create(
                name=f"{site.name} stock", kind=kind, site=site
            )
    arrived = end - datetime.timedelta(days=60)
    today = timezone.localdate()
    for item in items:
        total, lots = RECEIPTS.get(item.category, RECEIPTS["default"])
        for lot_index in range(lots):
            # One naloxone lot expires soon, so the expiring list has something in it.
            days = 40 if item.category == "naloxone" and lot_index == 0 else rng.randint(200, 700)
            actions.do_receive_stock(
                location=warehouse,
                item=item,
                quantity=total // lots,
                lot_number=f"{item.pk:03d}-{lot_index + 1}",
                expires_on=today + datetime.timedelta(days=days),
                supplier="State health department",
                by=manager,
                occurred_at=arrived,
            )
    field_staff = [user for user in staff if user.role in ("specialist", "supervisor")]
    for shelf in shelves.values():
        for item in items:
            share = stock.on_hand(warehouse, item) // (len(shelves) + 1)
            actions.do_transfer_stock(
                source=warehouse, destination=shelf, item=item, quantity=share, by=manager
            )
            ReorderPoint.objects.create(location=shelf, item=item, minimum=max(10, share // 10))
    for user in field_staff:
        site = user.sites.order_by("pk").first()
        source = shelves.get(site.pk, warehouse)
        bag = StockLocation.objects.create(
            name=f"{user.username}'s bag",
            kind="bag",
            site=site,
            holder=user,
            # Street outreach runs ahead of the records more often than not.
            allow_unrecorded_stock=site.kind == Site.Kind.STREET,
        )
        for item in items:
            actions.do_transfer_stock(
                source=source,
                destination=bag,
                item=item,
                quantity=max(1, stock.on_hand(source, item) // 4),
                by=user if user.role == "supervisor" else manager,
            )
        user.draw_from = bag
        user.save(update_fields=["draw_from"])
    _draw_recent_contacts(end - datetime.timedelta(days=30))
    # A generator of their own, seeded from the demo's without drawing from it, so the
    # records other apps add after this one stay as they were.
    _collect_used_syringes(random.Random(sum(rng.getstate()[1])), shelves, warehouse, end)


def _collect_used_syringes(rng, shelves, warehouse, end):
    """Used syringes brought back over the period (bulk-created, as the contacts are)."""
    handed_out = (
        EncounterSupply.objects.filter(item__reporting_group="syringes")
        .select_related("encounter__staff")
        .order_by("encounter__occurred_at", "pk")
    )
    collections = []
    weekly = defaultdict(int)  # (site id, week's Monday) -> syringes handed out

    def collection(**fields):
        count = fields.pop("syringes")
        weighed = rng.random() < 0.3
        weight = round(count * settings.SYRINGE_GRAMS_EACH * rng.uniform(0.9, 1.1))
        collections.append(
            SyringeCollection(
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
                syringes=max(1, round(weight / settings.SYRINGE_GRAMS_EACH)) if weighed else count,
                weight_grams=weight if weighed else None,
                is_estimate=weighed,
                **fields,
            )
        )

    for line in handed_out:
        encounter = line.encounter
        day = timezone.localdate(encounter.occurred_at)
        weekly[encounter.site_id, day - datetime.timedelta(days=day.weekday())] += line.quantity
        if rng.random() < BROUGHT_BACK_AT_CONTACTS:
            collection(
                location=encounter.staff.draw_from or shelves.get(encounter.site_id, warehouse),
                site_id=encounter.site_id,
                encounter=encounter,
                occurred_at=encounter.occurred_at,
                recorded_by=encounter.staff,
                syringes=max(1, round(line.quantity * rng.uniform(0.5, 1.2))),
            )
    staff_of = {
        site_id: list(location.site.staff.filter(role__in=("specialist", "supervisor")))
        for site_id, location in shelves.items()
    }
    for (site_id, monday), count in sorted(weekly.items()):
        emptied = timezone.make_aware(
            datetime.datetime.combine(monday + datetime.timedelta(days=6), datetime.time(16))
        )
        if site_id not in shelves or not staff_of[site_id] or emptied > end:
            continue  # street outreach has no drop box; this week's is emptied later
        collection(
            location=shelves[site_id],
            site_id=site_id,
            encounter=None,
            occurred_at=emptied,
            recorded_by=rng.choice(staff_of[site_id]),
            syringes=max(1, round(count * IN_THE_DROP_BOX * rng.uniform(0.8, 1.2))),
        )
    SyringeCollection.objects.bulk_create(collections, batch_size=1000)


def _draw_recent_contacts(since):
    recent = (
        Encounter.objects.filter(occurred_at__gte=since)
        .select_related("staff__draw_from", "site")
        .prefetch_related("supplies__item")
        .order_by("occurred_at")
    )
    for encounter in recent:
        location = encounter.staff.draw_from
        supplies = {line.item: line.quantity for line in encounter.supplies.all()}
        if location is None or not supplies:
            continue
        try:
            with transaction.atomic():
                actions.draw_for_encounter(
                    encounter, supplies, location=location, by=encounter.staff
                )
        except actions.NotEnoughStock:
            # The demo bag ran dry: this contact was handed out from elsewhere.
            continue
