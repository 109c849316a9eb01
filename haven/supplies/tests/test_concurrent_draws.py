"""Contacts and transfers racing on one bag: a refusal is always a real shortage.

Threads with their own database connections, as several app servers are.
"""

import itertools
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter
from haven.supplies import actions
from haven.supplies.models import Lot, StockBalance, StockLocation, StockMovement

from .conftest import in_days

pytestmark = pytest.mark.django_db(transaction=True)

CONTACT_THREADS = 4
# Each thread logs at least the first number of contacts, and goes on until
# the lots have gone round (at most the second number), so that the two race.
CONTACTS_EACH = (25, 60)
ROTATIONS = 12
# Each lot is twice the most contacts there can be, so the bag is never
# short: whichever lot it holds, however often it came back, has enough for
# every contact still to come.
LOT_SIZE = 2 * CONTACT_THREADS * CONTACTS_EACH[1]


def test_contacts_racing_transfers_on_one_bag_are_never_refused_while_it_holds_stock(
    sam, downtown, participant, catalog, sams_bag
):
    from conftest import make_user

    naloxone = catalog["naloxone"]
    shelf = StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    lots = [f"ROTATE-{n}" for n in range(4)]
    actions.do_receive_stock(
        location=sams_bag,
        item=naloxone,
        quantity=LOT_SIZE,
        lot_number=lots[0],
        expires_on=in_days(100),
        by=sam,
    )
    for number, lot in enumerate(lots[1:], start=1):
        # Later lots expire sooner: each one arriving is the one drawn next.
        actions.do_receive_stock(
            location=shelf,
            item=naloxone,
            quantity=LOT_SIZE,
            lot_number=lot,
            expires_on=in_days(100 - number),
            by=sam,
        )
    peers = [make_user(f"peer{n}", "specialist", [downtown]) for n in range(CONTACT_THREADS)]
    for peer in peers:
        peer.draw_from = sams_bag
        peer.save()
    refused_contacts, transfer_problems, errors = [], [], []
    rotations_done = threading.Event()
    logged = []
    start = threading.Barrier(CONTACT_THREADS + 1)

    def log_contacts(peer):
        try:
            start.wait()
            for count in range(CONTACTS_EACH[1]):
                if count >= CONTACTS_EACH[0] and rotations_done.is_set():
                    break
                data = EncounterData(
                    client_uuid=uuid.uuid4(),
                    site=downtown,
                    contact_type="street",
                    participant=participant,
                    supplies={naloxone: 1},
                )
                try:
                    do_record_encounter(data, staff=peer)
                    logged.append(peer)
                except ValidationError as error:
                    refused_contacts.append(" ".join(error.messages))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    rotations = []

    def rotate_lots():
        """Bring the next lot into the bag, then send the one before back; again and again."""
        try:
            start.wait()
            numbers = itertools.cycle(lots)
            before = next(numbers)
            while len(rotations) < ROTATIONS:
                after = next(numbers)
                lot_after, lot_before = (
                    Lot.objects.get(number=after),
                    Lot.objects.get(number=before),
                )
                actions.do_transfer_stock(
                    source=shelf,
                    destination=sams_bag,
                    item=naloxone,
                    # Only this thread takes from the shelf: the whole lot.
                    quantity=StockBalance.objects.get(location=shelf, lot=lot_after).quantity,
                    lot=lot_after,
                    by=sam,
                )
                while left := StockBalance.objects.get(location=sams_bag, lot=lot_before).quantity:
                    try:
                        actions.do_transfer_stock(
                            source=sams_bag,
                            destination=shelf,
                            item=naloxone,
                            quantity=left,
                            lot=lot_before,
                            by=sam,
                        )
                    except ValidationError:
                        # Contacts took from this lot since it was read. Real
                        # only if the lot now holds less than was asked.
                        now = StockBalance.objects.get(location=sams_bag, lot=lot_before).quantity
                        if now >= left:
                            transfer_problems.append(f"refused {left} with {now} in the lot")
                            return
                rotations.append(after)
                before = after
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            rotations_done.set()
            connection.close()

    threads = [threading.Thread(target=log_contacts, args=(peer,)) for peer in peers]
    rotator = threading.Thread(target=rotate_lots)
    for thread in [*threads, rotator]:
        thread.start()
    for thread in [*threads, rotator]:
        thread.join()

    assert errors == []
    assert len(rotations) == ROTATIONS
    assert refused_contacts == []
    assert transfer_problems == []
    assert Encounter.objects.count() == len(logged) >= CONTACT_THREADS * CONTACTS_EACH[0]
    handed_out = StockMovement.objects.filter(kind="distribute").aggregate(n=Sum("quantity"))["n"]
    assert handed_out == -len(logged)
    for balance in StockBalance.objects.all():
        ledger = StockMovement.objects.filter(location=balance.location, lot=balance.lot).aggregate(
            n=Sum("quantity")
        )["n"]
        assert balance.quantity == ledger >= 0
    total = StockBalance.objects.filter(item=naloxone).aggregate(n=Sum("quantity"))["n"]
    assert total == LOT_SIZE * len(lots) - len(logged)
