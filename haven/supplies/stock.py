"""Reading the ledger: on-hand, low stock, expiring lots, usage, days left.

Figures come from the running balances (StockBalance), which every movement
updates in its own transaction, so they never need a scan of the ledger.
"""

import datetime

from django.db.models import F, Sum
from django.utils import timezone

from .models import ReorderPoint, StockBalance, StockMovement

Kind = StockMovement.Kind


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
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        StockMovement.objects.filter(
            location=location,
            occurred_at__gte=since,
            encounter__isnull=False,
            kind__in=[Kind.DISTRIBUTE, Kind.REVERSAL],
        )
        .values_list("item_id")
        .annotate(n=Sum("quantity"))
        .values_list("item_id", "n")
    )
    return {item_id: -total for item_id, total in rows if total}


def days_of_stock_left(available, used_in_30_days):
    """Whole days the stock lasts at the last 30 days' pace; None when nothing is used."""
    if used_in_30_days <= 0:
        return None
    return int(available / (used_in_30_days / 30))


def item_summary(location):
    """Per item at a location: on hand, used in 30 days, days left, reorder point."""
    from .models import Item

    available = on_hand(location)
    used = usage_last_days(location)
    minimums = dict(
        ReorderPoint.objects.filter(location=location).values_list("item_id", "minimum")
    )
    item_ids = set(available) | set(used) | set(minimums)
    rows = []
    for item in Item.objects.filter(pk__in=item_ids):
        quantity = available.get(item.pk, 0)
        rows.append(
            {
                "item": item,
                "on_hand": quantity,
                "used_30_days": used.get(item.pk, 0),
                "days_left": days_of_stock_left(quantity, used.get(item.pk, 0)),
                "reorder_at": minimums.get(item.pk),
                "low": item.pk in minimums and quantity < minimums[item.pk],
            }
        )
    return rows


def low_stock(locations):
    """(location, item, on hand, reorder point) for every location below a reorder point."""
    points = ReorderPoint.objects.filter(location__in=locations).select_related("location", "item")
    totals = {
        (row["location_id"], row["item_id"]): row["n"]
        for row in StockBalance.objects.filter(location__in=locations)
        .values("location_id", "item_id")
        .annotate(n=Sum("quantity"))
    }
    low = []
    for point in points:
        quantity = totals.get((point.location_id, point.item_id), 0)
        if quantity < point.minimum:
            low.append((point.location, point.item, quantity, point.minimum))
    return low


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
