import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.outreach.actions import EncounterData, do_edit_encounter, do_record_encounter
from haven.outreach.models import Encounter
from haven.supplies import actions, stock
from haven.supplies.models import StockBalance, StockLocation, StockMovement

from .conftest import in_days


def receive(location, item, quantity, by, lot="L1", days=300):
    return actions.do_receive_stock(
        location=location,
        item=item,
        quantity=quantity,
        lot_number=lot,
        expires_on=in_days(days),
        by=by,
    )


def hand_out(staff, site, participant, supplies=None, kits=None, **extra):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=site,
        contact_type="fixed",
        participant=participant,
        supplies=supplies or {},
        kits=kits or {},
        **extra,
    )
    return do_record_encounter(data, staff=staff)[0]


def test_a_contact_draws_from_the_specialists_bag(sam, downtown, participant, catalog, sams_bag):
    receive(sams_bag, catalog["naloxone"], 5, sam)
    encounter = hand_out(sam, downtown, participant, {catalog["naloxone"]: 2})
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 3
    movement = StockMovement.objects.get(kind="distribute")
    assert movement.encounter == encounter
    assert movement.quantity == -2


def test_hand_outs_take_the_lot_that_expires_first_and_never_an_expired_one(
    sam, downtown, participant, catalog, sams_bag
):
    receive(sams_bag, catalog["naloxone"], 3, sam, lot="LATE", days=400)
    receive(sams_bag, catalog["naloxone"], 2, sam, lot="SOON", days=10)
    expired = receive(sams_bag, catalog["naloxone"], 4, sam, lot="OLD", days=1)
    # The lot has since expired: it stays on the shelf to be written off.
    type(expired.lot).objects.filter(pk=expired.lot.pk).update(expires_on=in_days(-1))
    hand_out(sam, downtown, participant, {catalog["naloxone"]: 3})
    drawn = StockMovement.objects.filter(kind="distribute").order_by("id")
    assert [(m.lot.number, m.quantity) for m in drawn] == [("SOON", -2), ("LATE", -1)]


def test_handing_out_more_than_on_hand_is_refused_with_item_and_count(
    sam, downtown, participant, catalog, sams_bag
):
    receive(sams_bag, catalog["naloxone"], 1, sam)
    receive(sams_bag, catalog["syringes"], 100, sam)
    with pytest.raises(ValidationError) as error:
        hand_out(sam, downtown, participant, {catalog["syringes"]: 20, catalog["naloxone"]: 2})
    assert error.value.message_dict["supplies"] == [
        "Not enough Naloxone nasal spray at Sam's bag: 1 on hand, 2 asked."
    ]
    # Nothing half-written: no contact, no syringes drawn.
    assert Encounter.objects.count() == 0
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 100
    assert not StockMovement.objects.filter(kind="distribute").exists()


def test_a_site_that_allows_it_records_the_shortfall_for_review(
    sam, downtown, participant, catalog, sams_bag
):
    sams_bag.allow_unrecorded_stock = True
    sams_bag.save()
    receive(sams_bag, catalog["naloxone"], 1, sam)
    hand_out(sam, downtown, participant, {catalog["naloxone"]: 3})
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 0
    flagged = StockMovement.objects.get(needs_review=True)
    assert flagged.kind == "unrecorded"
    assert flagged.quantity == 2
    assert -StockMovement.objects.filter(kind="distribute").aggregate(n=Sum("quantity"))["n"] == 3


def test_a_kit_draws_each_component(sam, downtown, participant, catalog, sams_bag, injection_kit):
    receive(sams_bag, catalog["syringes"], 100, sam)
    encounter = hand_out(
        sam, downtown, participant, {catalog["syringes"]: 5}, kits={injection_kit: 2}
    )
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 75
    assert encounter.supplies.get().quantity == 25


def test_without_a_stock_location_contacts_are_still_logged(sam, downtown, participant, catalog):
    encounter = hand_out(sam, downtown, participant, {catalog["syringes"]: 5})
    assert encounter.supplies.get().quantity == 5
    assert not StockMovement.objects.exists()


def test_the_site_shelf_is_used_when_the_user_carries_no_bag(
    sam, downtown, participant, catalog, shelf
):
    receive(shelf, catalog["syringes"], 50, sam)
    hand_out(sam, downtown, participant, {catalog["syringes"]: 5})
    assert stock.on_hand(shelf, catalog["syringes"]) == 45


def test_editing_a_contact_puts_back_and_draws_again(sam, downtown, participant, catalog, sams_bag):
    receive(sams_bag, catalog["syringes"], 100, sam)
    encounter = hand_out(sam, downtown, participant, {catalog["syringes"]: 30})
    edit = EncounterData(
        client_uuid=encounter.client_uuid,
        site=downtown,
        contact_type="fixed",
        participant=participant,
        supplies={catalog["syringes"]: 10},
        occurred_at=encounter.occurred_at,
    )
    do_edit_encounter(encounter, edit, editor=sam)
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 90
    assert StockMovement.objects.filter(kind="reversal").get().quantity == 30


def test_a_replayed_contact_draws_once(sam, downtown, participant, catalog, sams_bag):
    receive(sams_bag, catalog["syringes"], 100, sam)
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=downtown,
        contact_type="fixed",
        participant=participant,
        supplies={catalog["syringes"]: 10},
    )
    first, _ = do_record_encounter(data, staff=sam)
    again = EncounterData(
        client_uuid=data.client_uuid,
        site=downtown,
        contact_type="fixed",
        participant=participant,
        supplies={catalog["syringes"]: 10},
        occurred_at=first.occurred_at,
    )
    do_record_encounter(again, staff=sam)
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 90


@pytest.mark.django_db(transaction=True)
def test_two_people_drawing_the_last_units_at_once_never_go_negative(
    sam, downtown, participant, catalog, sams_bag
):
    from conftest import make_user

    receive(sams_bag, catalog["naloxone"], 5, sam)
    workers = [sam] + [make_user(f"peer{n}", "specialist", [downtown]) for n in range(5)]
    for worker in workers[1:]:
        worker.draw_from = sams_bag
        worker.save()
    barrier = threading.Barrier(len(workers))
    outcomes = []

    def draw(worker):
        try:
            barrier.wait()
            hand_out(worker, downtown, participant, {catalog["naloxone"]: 2})
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=draw, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("saved") == 2
    assert all("Not enough" in outcome for outcome in outcomes if outcome != "saved")
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 1
    assert Encounter.objects.count() == 2
    assert StockBalance.objects.filter(quantity__lt=0).count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks are PostgreSQL's; SQLite runs one writer at a time by design",
)
def test_a_draw_from_one_bag_does_not_wait_for_a_draw_from_another_holding_the_same_lot(
    sam, olga, downtown, eastside, catalog, sams_bag
):
    from django.db import transaction

    olgas_bag = StockLocation.objects.create(
        name="Olga's bag", kind="bag", site=eastside, holder=olga
    )
    # The same lot in both bags, as after two transfers from one shipment.
    shelf = StockLocation.objects.create(name="Shelf", kind="site", site=downtown)
    receive(shelf, catalog["naloxone"], 10, sam, lot="SHARED")
    for bag in (sams_bag, olgas_bag):
        actions.do_transfer_stock(
            source=shelf, destination=bag, item=catalog["naloxone"], quantity=5, by=sam
        )
    holding, release = threading.Event(), threading.Event()

    def sam_draws_and_waits():
        try:
            with transaction.atomic():
                actions.Drawing(sams_bag, [catalog["naloxone"]], by=sam)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    sam_drawing = threading.Thread(target=sam_draws_and_waits)
    sam_drawing.start()
    try:
        holding.wait(30)
        # Olga's bag is not Sam's: her draw must not need a row Sam holds. A
        # lock that has to wait would fail at once (lock_timeout), instead of
        # a clock deciding whether it waited.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1ms'")
            drawing = actions.Drawing(olgas_bag, [catalog["naloxone"]], by=olga)
        assert drawing.usable[catalog["naloxone"].pk][0].quantity == 5
    finally:
        release.set()
        sam_drawing.join()


operations = st.lists(
    st.tuples(
        st.sampled_from(["receive", "transfer", "hand_out", "dispose", "count"]),
        st.integers(min_value=1, max_value=40),
        st.sampled_from(["naloxone", "syringes"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=operations)
def test_on_hand_always_equals_the_ledger_and_never_goes_negative(
    steps, sam, downtown, participant, catalog, shelf, sams_bag
):
    StockMovement.objects.all().delete()
    StockBalance.objects.all().delete()
    Encounter.objects.all().delete()
    expected = {
        ("shelf", "naloxone"): 0,
        ("shelf", "syringes"): 0,
        ("bag", "naloxone"): 0,
        ("bag", "syringes"): 0,
    }
    places = {"shelf": shelf, "bag": sams_bag}
    for kind, quantity, name in steps:
        item = catalog[name]
        try:
            if kind == "receive":
                receive(shelf, item, quantity, sam)
                expected[("shelf", name)] += quantity
            elif kind == "transfer":
                actions.do_transfer_stock(
                    source=shelf, destination=sams_bag, item=item, quantity=quantity, by=sam
                )
                expected[("shelf", name)] -= quantity
                expected[("bag", name)] += quantity
            elif kind == "hand_out":
                hand_out(sam, downtown, participant, {item: min(quantity, item.max_per_contact)})
                expected[("bag", name)] -= min(quantity, item.max_per_contact)
            elif kind == "dispose":
                balance = StockBalance.objects.filter(
                    location=shelf, item=item, quantity__gt=0
                ).first()
                if balance:
                    actions.do_remove_stock(
                        location=shelf,
                        lot=balance.lot,
                        quantity=min(quantity, balance.quantity),
                        kind="dispose",
                        reason="Damaged",
                        by=sam,
                    )
                    expected[("shelf", name)] -= min(quantity, balance.quantity)
            else:
                sheet = actions.count_sheet(sams_bag)
                counts = {row.lot: max(0, row.quantity - 1) for row in sheet if row.item == item}
                actions.do_record_count(location=sams_bag, counts=counts, by=sam)
                expected[("bag", name)] -= sum(
                    1 for row in sheet if row.item == item and row.quantity
                )
        except ValidationError:
            pass  # refused: nothing may have changed, which the checks below prove
        for (place, item_name), quantity_expected in expected.items():
            assert stock.on_hand(places[place], catalog[item_name]) == quantity_expected
        for balance in StockBalance.objects.all():
            ledger = (
                StockMovement.objects.filter(location=balance.location, lot=balance.lot).aggregate(
                    n=Sum("quantity")
                )["n"]
                or 0
            )
            assert balance.quantity == ledger >= 0


# On SQLite a contact's draws are planned before its transaction, from what
# the bag held a moment ago (haven/outreach/actions.py, _record_run). Another
# writer may take from the bag or fill it between that plan and the write;
# these tests put such a writer there, on both databases.


@pytest.fixture
def between_plan_and_write(monkeypatch):
    """Run `meanwhile` once, after a contact's draws were planned ahead of its transaction."""
    from haven.outreach import actions as outreach_actions

    planned_ahead = outreach_actions._planned
    meanwhile = []

    def planned(checked, staff, *, lock):
        plan = planned_ahead(checked, staff, lock=lock)
        if not lock and meanwhile:
            meanwhile.pop()()
        return plan

    monkeypatch.setattr(outreach_actions, "_plans_ahead", lambda: True)
    monkeypatch.setattr(outreach_actions, "_planned", planned)
    return meanwhile.append


def assert_balances_equal_the_ledger():
    for balance in StockBalance.objects.all():
        ledger = StockMovement.objects.filter(location=balance.location, lot=balance.lot)
        assert balance.quantity == ledger.aggregate(total=Sum("quantity"))["total"]


def test_a_lot_emptied_after_the_plan_is_drawn_again_from_the_next_lot(
    sam, downtown, participant, catalog, sams_bag, between_plan_and_write
):
    soon = receive(sams_bag, catalog["naloxone"], 2, sam, lot="SOON", days=10)
    receive(sams_bag, catalog["naloxone"], 10, sam, lot="LATE", days=400)
    between_plan_and_write(
        lambda: actions.do_remove_stock(
            location=sams_bag, lot=soon.lot, quantity=2, kind="dispose", reason="Wet", by=sam
        )
    )
    hand_out(sam, downtown, participant, {catalog["naloxone"]: 2})
    drawn = StockMovement.objects.filter(kind="distribute")
    assert [(m.lot.number, m.quantity) for m in drawn] == [("LATE", -2)]
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 8
    assert_balances_equal_the_ledger()


def test_a_bag_emptied_after_the_plan_refuses_the_contact_as_really_short(
    sam, downtown, participant, catalog, sams_bag, between_plan_and_write
):
    only = receive(sams_bag, catalog["naloxone"], 2, sam)
    receive(sams_bag, catalog["syringes"], 100, sam)
    between_plan_and_write(
        lambda: actions.do_remove_stock(
            location=sams_bag, lot=only.lot, quantity=2, kind="dispose", reason="Wet", by=sam
        )
    )
    with pytest.raises(ValidationError) as error:
        hand_out(sam, downtown, participant, {catalog["naloxone"]: 2, catalog["syringes"]: 10})
    assert error.value.message_dict["supplies"] == [
        "Not enough Naloxone nasal spray at Sam's bag: 0 on hand, 2 asked."
    ]
    assert Encounter.objects.count() == 0
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 100
    assert_balances_equal_the_ledger()


def test_a_shortage_seen_before_the_transaction_is_checked_again_under_the_lock(
    sam, downtown, participant, catalog, sams_bag, between_plan_and_write
):
    receive(sams_bag, catalog["naloxone"], 1, sam, lot="OLD")
    between_plan_and_write(lambda: receive(sams_bag, catalog["naloxone"], 5, sam, lot="NEW"))
    encounter = hand_out(sam, downtown, participant, {catalog["naloxone"]: 2})
    assert encounter.pk is not None
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 4
    assert_balances_equal_the_ledger()


def test_a_plan_that_still_fits_is_written_as_planned(
    sam, downtown, participant, catalog, sams_bag, between_plan_and_write
):
    receive(sams_bag, catalog["naloxone"], 5, sam)
    between_plan_and_write(lambda: receive(sams_bag, catalog["syringes"], 50, sam))
    hand_out(sam, downtown, participant, {catalog["naloxone"]: 2})
    assert stock.on_hand(sams_bag, catalog["naloxone"]) == 3
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 50
    assert_balances_equal_the_ledger()
