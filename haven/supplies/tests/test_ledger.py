import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.supplies import actions, stock
from haven.supplies.models import Lot, StockBalance, StockMovement

from .conftest import in_days


def receive(location, item, quantity, by, lot="L1", days=300):
    return actions.do_receive_stock(
        location=location,
        item=item,
        quantity=quantity,
        lot_number=lot,
        expires_on=in_days(days),
        supplier="State DOH",
        by=by,
    )


def test_receiving_adds_stock_and_records_the_lot(warehouse, catalog, max_manager):
    movement = receive(warehouse, catalog["naloxone"], 120, max_manager)
    assert movement.kind == "receive"
    assert movement.lot.number == "L1"
    assert movement.supplier == "State DOH"
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 120
    assert AuditEntry.objects.filter(object_type="supplies.stockmovement").count() == 1


def test_transfer_moves_stock_both_sides(warehouse, shelf, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 100, max_manager)
    out, into = actions.do_transfer_stock(
        source=warehouse, destination=shelf, item=catalog["naloxone"], quantity=40, by=max_manager
    )
    assert (out.quantity, into.quantity) == (-40, 40)
    assert out.transfer_group == into.transfer_group
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 60
    assert stock.on_hand(shelf, catalog["naloxone"]) == 40


def test_transfer_takes_the_lot_that_expires_first(warehouse, shelf, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 10, max_manager, lot="LATE", days=400)
    receive(warehouse, catalog["naloxone"], 10, max_manager, lot="SOON", days=30)
    movements = actions.do_transfer_stock(
        source=warehouse, destination=shelf, item=catalog["naloxone"], quantity=15, by=max_manager
    )
    taken = [(m.lot.number, m.quantity) for m in movements if m.quantity < 0]
    assert taken == [("SOON", -10), ("LATE", -5)]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"quantity": 0}, "quantity", "at least 1"),
        ({"quantity": -5}, "quantity", "at least 1"),
        ({"quantity": 1000}, "quantity", "Not enough"),
        ({"destination": "same"}, "destination", "different location"),
        ({"item": "retired"}, "item", "retired"),
        ({"item": None}, "item", "from the catalog"),
    ],
)
def test_bad_transfers_are_refused_and_write_nothing(
    warehouse, shelf, catalog, max_manager, change, field, message
):
    receive(warehouse, catalog["naloxone"], 10, max_manager)
    before = StockMovement.objects.count()
    arguments = {
        "source": warehouse,
        "destination": shelf,
        "item": catalog["naloxone"],
        "quantity": 5,
        "by": max_manager,
    }
    arguments.update(change)
    if change.get("destination") == "same":
        arguments["destination"] = warehouse
    if change.get("item") == "retired":
        arguments["item"] = catalog["retired"]
    with pytest.raises(ValidationError) as error:
        actions.do_transfer_stock(**arguments)
    assert message in " ".join(error.value.message_dict[field])
    assert StockMovement.objects.count() == before
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 10


def test_transfer_of_a_lot_that_is_not_there_is_refused(warehouse, shelf, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 10, max_manager)
    elsewhere = Lot.objects.create(item=catalog["naloxone"], number="OTHER")
    with pytest.raises(ValidationError, match="is not at Warehouse"):
        actions.do_transfer_stock(
            source=warehouse,
            destination=shelf,
            item=catalog["naloxone"],
            quantity=1,
            lot=elsewhere,
            by=max_manager,
        )


def test_receiving_expired_stock_is_refused(warehouse, catalog, max_manager):
    with pytest.raises(ValidationError, match="expiry date has passed"):
        receive(warehouse, catalog["naloxone"], 10, max_manager, days=-1)
    assert StockMovement.objects.count() == 0


def test_a_lot_keeps_one_expiry_date(warehouse, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 10, max_manager, lot="A", days=100)
    with pytest.raises(ValidationError, match="recorded as expiring"):
        receive(warehouse, catalog["naloxone"], 10, max_manager, lot="A", days=200)


def test_replayed_receipt_is_stored_once(warehouse, catalog, max_manager):
    key = uuid.uuid4()
    for _ in range(2):
        actions.do_receive_stock(
            location=warehouse,
            item=catalog["syringes"],
            quantity=500,
            by=max_manager,
            client_uuid=key,
        )
    assert stock.on_hand(warehouse, catalog["syringes"]) == 500


def test_dispose_and_expire_take_stock_out_with_a_reason(warehouse, catalog, max_manager):
    movement = receive(warehouse, catalog["naloxone"], 10, max_manager)
    actions.do_remove_stock(
        location=warehouse,
        lot=movement.lot,
        quantity=3,
        kind="expire",
        reason="Past date",
        by=max_manager,
    )
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 7
    with pytest.raises(ValidationError, match="Say why"):
        actions.do_remove_stock(
            location=warehouse,
            lot=movement.lot,
            quantity=1,
            kind="dispose",
            reason=" ",
            by=max_manager,
        )


def test_count_posts_adjustments_and_reports_variance(warehouse, catalog, max_manager):
    first = receive(warehouse, catalog["naloxone"], 10, max_manager, lot="A")
    second = receive(warehouse, catalog["syringes"], 100, max_manager, lot="B")
    results = actions.do_record_count(
        location=warehouse, counts={first.lot: 8, second.lot: 100}, by=max_manager
    )
    assert [
        (lot.number, expected, counted, variance) for lot, expected, counted, variance in results
    ] == [
        ("A", 10, 8, -2),
        ("B", 100, 100, 0),
    ]
    assert StockMovement.objects.filter(kind="adjust").get().quantity == -2
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 8


def test_reversing_a_transfer_undoes_both_sides(warehouse, shelf, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 10, max_manager)
    out, _into = actions.do_transfer_stock(
        source=warehouse, destination=shelf, item=catalog["naloxone"], quantity=4, by=max_manager
    )
    actions.do_reverse_movement(out, reason="Wrong van", by=max_manager)
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 10
    assert stock.on_hand(shelf, catalog["naloxone"]) == 0
    with pytest.raises(ValidationError, match="already reversed"):
        actions.do_reverse_movement(out, reason="Again", by=max_manager)


def test_a_reversal_that_would_go_negative_is_refused(warehouse, shelf, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 10, max_manager)
    out, _into = actions.do_transfer_stock(
        source=warehouse, destination=shelf, item=catalog["naloxone"], quantity=4, by=max_manager
    )
    lot = out.lot
    actions.do_remove_stock(
        location=shelf, lot=lot, quantity=4, kind="dispose", reason="Damaged", by=max_manager
    )
    with pytest.raises(ValidationError, match="Not enough"):
        actions.do_reverse_movement(out, reason="Wrong van", by=max_manager)
    assert stock.on_hand(warehouse, catalog["naloxone"]) == 6


def test_syringes_collected_by_weight_are_an_estimate(settings, shelf, downtown, sam):
    settings.SYRINGE_GRAMS_EACH = 2.5
    collection = actions.do_collect_syringes(
        location=shelf, site=downtown, weight_grams=1000, by=sam
    )
    assert collection.syringes == 400
    assert collection.is_estimate
    counted = actions.do_collect_syringes(location=shelf, site=downtown, syringes=35, by=sam)
    assert not counted.is_estimate
    with pytest.raises(ValidationError, match="either a count"):
        actions.do_collect_syringes(location=shelf, site=downtown, by=sam)


def test_movements_cannot_be_zero(warehouse, catalog, max_manager):
    with pytest.raises(ValidationError):
        receive(warehouse, catalog["naloxone"], 0, max_manager)


def test_balances_equal_the_sum_of_movements(warehouse, shelf, catalog, max_manager):
    receive(warehouse, catalog["naloxone"], 50, max_manager, lot="A")
    receive(warehouse, catalog["naloxone"], 50, max_manager, lot="B", days=30)
    actions.do_transfer_stock(
        source=warehouse, destination=shelf, item=catalog["naloxone"], quantity=70, by=max_manager
    )
    for balance in StockBalance.objects.all():
        ledger = StockMovement.objects.filter(location=balance.location, lot=balance.lot).aggregate(
            n=Sum("quantity")
        )["n"]
        assert balance.quantity == ledger


@pytest.mark.django_db(transaction=True)
def test_reasons_typed_before_encryption_are_encrypted_by_the_migration(migrator):
    old = migrator.apply_initial_migration(("supplies", "0003_stockmovement_movement_flagged_idx"))
    apps = old.apps
    user = apps.get_model("accounts", "User").objects.create(username="max", role="manager")
    location = apps.get_model("supplies", "StockLocation").objects.create(
        name="Warehouse", kind="warehouse"
    )
    item = apps.get_model("supplies", "Item").objects.create(name="Gauze", category="hygiene")
    lot = apps.get_model("supplies", "Lot").objects.create(item=item, number="")
    movements = apps.get_model("supplies", "StockMovement").objects
    common = {"location": location, "item": item, "lot": lot, "recorded_by": user}
    typed = movements.create(
        kind="dispose", quantity=-1, occurred_at=timezone.now(), reason="Jane's", **common
    )
    untyped = movements.create(kind="receive", quantity=5, occurred_at=timezone.now(), **common)
    review = apps.get_model("supplies", "FlagReview").objects.create(
        movement=untyped, reviewed_by=user, comment="Seen by Jane"
    )

    new = migrator.apply_tested_migration(("supplies", "0004_free_text_encrypted"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM supplies_stockmovement WHERE id = %s", [typed.pk])
        assert "Jane" not in cursor.fetchone()[0]
        cursor.execute("SELECT comment FROM supplies_flagreview WHERE id = %s", [review.pk])
        assert "Jane" not in cursor.fetchone()[0]
    movements = new.apps.get_model("supplies", "StockMovement").objects
    assert (movements.get(pk=typed.pk).reason, movements.get(pk=untyped.pk).reason) == (
        "Jane's",
        "",
    )
    reviews = new.apps.get_model("supplies", "FlagReview").objects
    assert reviews.get(pk=review.pk).comment == "Seen by Jane"

    back = migrator.apply_tested_migration(("supplies", "0003_stockmovement_movement_flagged_idx"))
    assert back.apps.get_model("supplies", "StockMovement").objects.get(pk=typed.pk).reason == (
        "Jane's"
    )
