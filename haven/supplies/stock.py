"""Reading the ledger: on-hand, low stock, expiring lots, usage, days left.

Figures come from the running balances (StockBalance), which every movement
updates in its own transaction, so they never need a scan of the ledger.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Sum
from django.utils import timezone

from .models import ReorderPoint, StockBalance, StockMovement

Kind = StockMovement.Kind
# Where a specialist works from: running out of a usual supply there is a warning.
FIELD_KINDS = {"bag", "mobile"}


def on_hand(location, item=None):
    """{item_id: quantity} at a location (or one number when `item` is given)."""
    balances = StockBalance.objects.filter(location=location)
    if item is not None:
        return balances.filter(item=item).aggregate(n=Sum("quantity"))["n"] or 0
    return dict(
        balances.values_list("item_id").annotate(n=Sum("quantity")).values_list("item_id", "n")
    )


def by_lot(location):
    """Non-empty balances at a location, item by item, soonest expiry first."""
    return list(
        StockBalance.objects.filter(location=location, quantity__gt=0)
        .select_related("item", "lot")
        .order_by("item__sort_order", "item__name", F("lot__expires_on").asc(nulls_last=True))
    )


def usage_last_days(location, days=30):
    """{item_id: units handed out at contacts in the last `days` days}, net of edits."""
    return {item_id: used for (_location_id, item_id), used in _usage([location], days).items()}


def _usage(locations, days=30):
    """{(location_id, item_id): units handed out at contacts in the last `days` days}."""
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        StockMovement.objects.filter(
            location__in=locations,
            occurred_at__gte=since,
            encounter__isnull=False,
            kind__in=[Kind.DISTRIBUTE, Kind.REVERSAL],
        )
        .values_list("location_id", "item_id")
        .annotate(n=Sum("quantity"))
        .values_list("location_id", "item_id", "n")
    )
    return {(location_id, item_id): -total for location_id, item_id, total in rows if total}


def days_of_stock_left(available, used_in_30_days):
    """Whole days the stock lasts at the last 30 days' pace; None when nothing is used."""
    if used_in_30_days <= 0:
        return None
    return int(available / (used_in_30_days / 30))


def warn_below_days(location):
    """Days of stock left under which a location's item is low, by kind (a program setting)."""
    return settings.HAVEN_LOW_STOCK_DAYS.get(location.kind, 0)


@dataclass
class ItemStock:
    location: object
    item: object
    on_hand: int
    used_30_days: int
    days_left: int | None
    reorder_at: int | None
    low: bool
    # Why it is low: below the location's reorder point, fewer days left than
    # its kind of location should carry, or out of a usual supply in the field.
    reason: str = ""


def _stock_rows(locations):
    """ItemStock for every item a location holds, hands out, has a reorder point for, or
    (in a bag or mobile unit) should carry because it is a usual supply."""
    from .models import Item

    locations = list(locations)
    totals = {
        (row["location_id"], row["item_id"]): row["n"]
        for row in StockBalance.objects.filter(location__in=locations)
        .values("location_id", "item_id")
        .annotate(n=Sum("quantity"))
    }
    used = _usage(locations)
    minimums = {
        (location_id, item_id): minimum
        for location_id, item_id, minimum in ReorderPoint.objects.filter(
            location__in=locations
        ).values_list("location_id", "item_id", "minimum")
    }
    usual = list(Item.objects.filter(usual=True, active=True))
    keys = set(totals) | set(used) | set(minimums)
    for location in locations:
        if location.kind in FIELD_KINDS:
            keys |= {(location.pk, item.pk) for item in usual}
    items = Item.objects.in_bulk({item_id for _location_id, item_id in keys})
    by_id = {location.pk: location for location in locations}
    rows = []
    for location_id, item_id in sorted(keys):
        location, item = by_id[location_id], items[item_id]
        quantity = totals.get((location_id, item_id), 0)
        used_30 = used.get((location_id, item_id), 0)
        days_left = days_of_stock_left(quantity, used_30)
        minimum = minimums.get((location_id, item_id))
        reason = ""
        if minimum is not None:
            if quantity < minimum:
                reason = "reorder_point"
        elif days_left is not None and days_left < warn_below_days(location):
            reason = "days_left"
        elif quantity <= 0 and item.usual and item.active and location.kind in FIELD_KINDS:
            reason = "out"
        rows.append(
            ItemStock(location, item, quantity, used_30, days_left, minimum, bool(reason), reason)
        )
    return rows


def item_summary(location):
    """Per item at a location: on hand, used in 30 days, days left, reorder point, low."""
    rows = _stock_rows([location])
    return sorted(rows, key=lambda row: (row.item.sort_order, row.item.name))


def low_stock(locations):
    """ItemStock for every item that is low somewhere, most urgent first."""
    low = [row for row in _stock_rows(locations) if row.low]
    return sorted(low, key=lambda row: (row.days_left is not None, row.days_left or 0, row.on_hand))


def expiring(locations, within_days):
    """Balances whose lot expires within `within_days` days (or has expired), soonest first."""
    until = timezone.localdate() + datetime.timedelta(days=within_days)
    return list(
        StockBalance.objects.filter(
            location__in=locations, quantity__gt=0, lot__expires_on__lte=until
        )
        .select_related("location", "item", "lot")
        .order_by("lot__expires_on", "location__name")
    )


def flagged(locations):
    """Movements waiting for a supervisor's review."""
    return (
        StockMovement.objects.filter(location__in=locations, needs_review=True, review__isnull=True)
        .select_related("location", "item", "lot", "recorded_by")
        .order_by("occurred_at")
    )
