import datetime

import pytest
from django.utils import timezone

from haven.supplies.models import Kit, KitComponent, StockLocation


@pytest.fixture
def warehouse(db):
    return StockLocation.objects.create(name="Warehouse", kind=StockLocation.Kind.WAREHOUSE)


@pytest.fixture
def shelf(downtown):
    return StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)


@pytest.fixture
def sams_bag(sam, downtown):
    bag = StockLocation.objects.create(name="Sam's bag", kind="bag", site=downtown, holder=sam)
    sam.draw_from = bag
    sam.save()
    return bag


@pytest.fixture
def injection_kit(catalog):
    kit = Kit.objects.create(name="Safer injection kit")
    KitComponent.objects.create(kit=kit, item=catalog["syringes"], quantity=10)
    return kit


def in_days(days):
    return timezone.localdate() + datetime.timedelta(days=days)
