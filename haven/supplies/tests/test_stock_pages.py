import csv
import io
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from haven.outreach.actions import EncounterData, do_record_encounter
from haven.supplies import actions, stock
from haven.supplies.models import Item, Kit, ReorderPoint, StockLocation, StockMovement

from .conftest import in_days


@pytest.fixture
def stocked(warehouse, shelf, sams_bag, catalog, max_manager):
    actions.do_receive_stock(
        location=warehouse,
        item=catalog["naloxone"],
        quantity=100,
        lot_number="N1",
        expires_on=in_days(20),
        by=max_manager,
    )
    actions.do_transfer_stock(
        source=warehouse, destination=shelf, item=catalog["naloxone"], quantity=30, by=max_manager
    )
    return {"warehouse": warehouse, "shelf": shelf, "bag": sams_bag}


def test_supervisor_restocks_a_bag_from_the_site_shelf(login, sue, stocked, catalog):
    response = login(sue).post(
        reverse("supplies:transfer"),
        {
            "source": stocked["shelf"].pk,
            "destination": stocked["bag"].pk,
            "item": catalog["naloxone"].pk,
            "quantity": 12,
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("supplies:location", args=[stocked["bag"].pk])
    assert stock.on_hand(stocked["bag"], catalog["naloxone"]) == 12
    assert stock.on_hand(stocked["shelf"], catalog["naloxone"]) == 18


def test_a_transfer_that_is_too_big_says_what_is_on_hand(login, sue, stocked, catalog):
    response = login(sue).post(
        reverse("supplies:transfer"),
        {
            "source": stocked["shelf"].pk,
            "destination": stocked["bag"].pk,
            "item": catalog["naloxone"].pk,
            "quantity": 31,
        },
    )
    assert response.status_code == 400
    assert "30 on hand" in response.content.decode()
    assert stock.on_hand(stocked["bag"], catalog["naloxone"]) == 0


def test_supervisors_only_see_their_sites_stock(login, sue, olga, stocked, eastside, catalog):
    van = StockLocation.objects.create(name="Eastside van", kind="mobile", site=eastside)
    client = login(sue)
    assert client.get(reverse("supplies:location", args=[van.pk])).status_code == 403
    assert (
        client.get(reverse("supplies:location", args=[stocked["warehouse"].pk])).status_code == 403
    )
    response = client.post(
        reverse("supplies:transfer"),
        {
            "source": stocked["shelf"].pk,
            "destination": van.pk,
            "item": catalog["naloxone"].pk,
            "quantity": 1,
        },
    )
    assert "Select a valid choice" in response.content.decode()
    assert stock.on_hand(van, catalog["naloxone"]) == 0


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("supplies:overview", {"supervisor", "manager"}),
        ("supplies:receive", {"supervisor", "manager"}),
        ("supplies:transfer", {"supervisor", "manager"}),
        ("supplies:review", {"supervisor", "manager"}),
        ("supplies:export_stock", {"supervisor", "manager"}),
        ("supplies:export_ledger", {"supervisor", "manager"}),
        ("supplies:catalog", {"manager"}),
        ("supplies:item_new", {"manager"}),
        ("supplies:kit_new", {"manager"}),
        ("supplies:my_bag", {"specialist", "other_site_specialist", "supervisor", "manager"}),
        ("supplies:collect", {"specialist", "other_site_specialist", "supervisor", "manager"}),
    ],
)
def test_each_role_is_let_in_or_refused(name, allowed, personas, login, stocked):
    for role, user in personas.items():
        status = login(user).get(reverse(name)).status_code
        assert status == (200 if role in allowed else 403), f"{role} on {name}: {status}"


def test_location_pages_refuse_specialists_and_analysts(personas, login, stocked):
    for role in ("specialist", "analyst", "admin"):
        for name in ("supplies:location", "supplies:count", "supplies:remove", "supplies:restock"):
            url = reverse(name, args=[stocked["shelf"].pk])
            assert login(personas[role]).get(url).status_code == 403, (role, name)


def test_overview_shows_low_and_expiring_stock(login, max_manager, stocked, catalog):
    ReorderPoint.objects.create(location=stocked["shelf"], item=catalog["naloxone"], minimum=50)
    content = login(max_manager).get(reverse("supplies:overview"), {"days": 30}).content.decode()
    assert "Nothing is low" not in content
    assert "below its reorder point of 50" in content
    assert "Expiring within 30 days" in content
    assert "N1" in content
    later = login(max_manager).get(reverse("supplies:overview"), {"days": 5}).content.decode()
    assert "No stock expires in this time" in later


def test_location_page_shows_usage_and_days_left(
    login, sue, sam, downtown, participant, stocked, catalog
):
    actions.do_transfer_stock(
        source=stocked["shelf"],
        destination=stocked["bag"],
        item=catalog["naloxone"],
        quantity=30,
        by=sue,
    )
    for _ in range(3):
        do_record_encounter(
            EncounterData(
                client_uuid=uuid.uuid4(),
                site=downtown,
                contact_type="fixed",
                participant=participant,
                supplies={catalog["naloxone"]: 2},
            ),
            staff=sam,
        )
    response = login(sue).get(reverse("supplies:location", args=[stocked["bag"].pk]))
    row = next(r for r in response.context["summary"] if r.item == catalog["naloxone"])
    assert (row.on_hand, row.used_30_days, row.days_left) == (24, 6, 120)


def test_count_sheet_posts_adjustments_and_shows_variance(login, sue, stocked, catalog):
    client = login(sue)
    sheet = client.get(reverse("supplies:count", args=[stocked["shelf"].pk]))
    lot = sheet.context["sheet"][0].lot
    response = client.post(
        reverse("supplies:count", args=[stocked["shelf"].pk]), {f"lot_{lot.pk}": "27"}
    )
    assert response.status_code == 200
    assert response.context["results"] == [(lot, 30, 27, -3)]
    assert stock.on_hand(stocked["shelf"], catalog["naloxone"]) == 27


def test_count_refuses_negative_and_text(login, sue, stocked):
    client = login(sue)
    lot = client.get(reverse("supplies:count", args=[stocked["shelf"].pk])).context["sheet"][0].lot
    for bad in ("-1", "ten"):
        response = client.post(
            reverse("supplies:count", args=[stocked["shelf"].pk]), {f"lot_{lot.pk}": bad}
        )
        assert response.status_code == 400
    assert not StockMovement.objects.filter(kind="adjust").exists()


def test_a_count_note_over_the_limit_is_refused_and_nothing_is_posted(login, sue, stocked):
    client = login(sue)
    lot = client.get(reverse("supplies:count", args=[stocked["shelf"].pk])).context["sheet"][0].lot
    response = client.post(
        reverse("supplies:count", args=[stocked["shelf"].pk]),
        {f"lot_{lot.pk}": "27", "note": "x" * 301},
    )
    assert response.status_code == 400
    assert "300 characters" in response.content.decode()
    assert not StockMovement.objects.filter(kind="adjust").exists()
    with pytest.raises(ValidationError):
        actions.do_record_count(location=stocked["shelf"], counts={lot: 27}, by=sue, note="x" * 301)
    assert not StockMovement.objects.filter(kind="adjust").exists()


def test_typed_reasons_and_comments_are_stored_encrypted(login, sue, stocked, catalog):
    lot = actions.count_sheet(stocked["shelf"])[0].lot
    actions.do_record_count(
        location=stocked["shelf"], counts={lot: 27}, by=sue, note="Jane Doe took two"
    )
    movement = StockMovement.objects.get(kind="adjust")
    assert movement.reason == "Jane Doe took two"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM supplies_stockmovement WHERE id = %s", [movement.pk])
        assert "Jane" not in cursor.fetchone()[0]
    with pytest.raises(ValidationError):
        actions.do_reverse_movement(movement, reason="y" * 301, by=sue)


def test_flagged_movements_are_reviewed(login, sue, sam, downtown, participant, stocked, catalog):
    stocked["bag"].allow_unrecorded_stock = True
    stocked["bag"].save()
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=downtown,
            contact_type="fixed",
            participant=participant,
            supplies={catalog["naloxone"]: 2},
        ),
        staff=sam,
    )
    client = login(sue)
    flagged = client.get(reverse("supplies:review")).context["flagged"]
    assert len(flagged) == 1
    client.post(reverse("supplies:review_movement", args=[flagged[0].pk]), {"comment": "Counted"})
    assert len(client.get(reverse("supplies:review")).context["flagged"]) == 0
    assert flagged[0].review.comment == "Counted"
    with connection.cursor() as cursor:  # stored encrypted
        cursor.execute("SELECT comment FROM supplies_flagreview")
        assert "Counted" not in cursor.fetchone()[0]


def test_reversing_from_the_page(login, max_manager, stocked, catalog):
    receipt = StockMovement.objects.get(kind="receive")
    client = login(max_manager)
    refused = client.post(reverse("supplies:reverse", args=[receipt.pk]), {"reason": "Typo"})
    # 30 of the 100 have moved on, so the receipt cannot be undone whole.
    assert refused.status_code == 400
    assert "Not enough" in refused.content.decode()


def test_ledger_export_opens_as_csv_with_the_period(login, max_manager, stocked):
    response = login(max_manager).get(
        reverse("supplies:export_ledger"), {"location": stocked["shelf"].pk}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["when", "location", "item"]
    assert [(r[1], r[5], r[6]) for r in rows[1:]] == [("Downtown shelf", "Transferred in", "30")]


def test_ledger_export_refuses_a_backwards_period(login, max_manager, stocked):
    response = login(max_manager).get(
        reverse("supplies:export_ledger"),
        {"since": "2026-05-01", "until": "2026-04-01"},
    )
    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()


@pytest.mark.parametrize("location", ["1 OR 1=1", "2026-01-01", "-1"])
def test_ledger_export_refuses_a_location_that_is_not_an_id(login, max_manager, stocked, location):
    response = login(max_manager).get(reverse("supplies:export_ledger"), {"location": location})
    assert response.status_code == 400
    assert "Choose a stock location from the list" in response.content.decode()


def test_stock_export_lists_current_stock(login, max_manager, stocked):
    response = login(max_manager).get(reverse("supplies:export_stock"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1:] == [
        ["Downtown shelf", "Naloxone nasal spray", "kit", "N1", str(in_days(20)), "30"],
        ["Warehouse", "Naloxone nasal spray", "kit", "N1", str(in_days(20)), "70"],
    ]


def test_manager_makes_a_kit(login, max_manager, catalog):
    response = login(max_manager).post(
        reverse("supplies:kit_new"),
        {
            "name": "Smoking kit",
            "active": "on",
            "components-TOTAL_FORMS": "3",
            "components-INITIAL_FORMS": "0",
            "components-MIN_NUM_FORMS": "1",
            "components-MAX_NUM_FORMS": "1000",
            "components-0-item": catalog["syringes"].pk,
            "components-0-quantity": "5",
        },
    )
    assert response.status_code == 302
    kit = Kit.objects.get()
    assert [(c.item, c.quantity) for c in kit.components.all()] == [(catalog["syringes"], 5)]


def test_manager_retires_an_item(login, max_manager, catalog):
    item = catalog["syringes"]
    response = login(max_manager).post(
        reverse("supplies:item_edit", args=[item.pk]),
        {
            "name": item.name,
            "category": item.category,
            "reporting_group": "syringes",
            "unit": "each",
            "doses_per_unit": 0,
            "max_per_contact": 500,
            "sort_order": 1,
        },
    )
    assert response.status_code == 302
    assert not Item.objects.get(pk=item.pk).active


def test_specialist_chooses_where_to_hand_out_from(login, sam, stocked):
    client = login(sam)
    client.post(reverse("supplies:my_bag"), {"draw_from": stocked["shelf"].pk})
    sam.refresh_from_db()
    assert sam.draw_from == stocked["shelf"]


def test_quick_log_hands_out_a_kit(
    login, sam, downtown, participant, catalog, stocked, injection_kit
):
    actions.do_receive_stock(location=stocked["bag"], item=catalog["syringes"], quantity=50, by=sam)
    response = login(sam).post(
        reverse("outreach:quick_log"),
        {
            "client_uuid": str(uuid.uuid4()),
            "site": downtown.pk,
            "contact_type": "fixed",
            "card_code": participant.card_code,
            f"kit_{injection_kit.pk}": "2",
        },
    )
    assert response.status_code == 302
    assert stock.on_hand(stocked["bag"], catalog["syringes"]) == 30


def test_quick_log_refuses_more_than_the_bag_holds(
    login, sam, downtown, participant, catalog, stocked
):
    response = login(sam).post(
        reverse("outreach:quick_log"),
        {
            "client_uuid": str(uuid.uuid4()),
            "site": downtown.pk,
            "contact_type": "fixed",
            "card_code": participant.card_code,
            f"supply_{catalog['naloxone'].pk}": "2",
        },
    )
    assert response.status_code == 400
    assert (
        "Not enough Naloxone nasal spray at Sam&#x27;s bag: 0 on hand" in response.content.decode()
    )


def test_syringe_collection_by_weight(login, sam, stocked):
    response = login(sam).post(
        reverse("supplies:collect"),
        {"location": stocked["shelf"].pk, "weight_grams": "300"},
        follow=True,
    )
    assert "about 150 used syringes" in response.content.decode()


def test_overview_query_count_is_bounded(
    login, max_manager, stocked, django_assert_max_num_queries
):
    client = login(max_manager)
    with django_assert_max_num_queries(12):
        client.get(reverse("supplies:overview"))


def test_a_bag_out_of_a_usual_supply_is_low_without_any_setup(login, sue, sams_bag, catalog):
    # No reorder point anywhere: the overview still says the bag is out of naloxone.
    Item.objects.exclude(pk=catalog["naloxone"].pk).update(usual=False)
    rows = stock.low_stock([sams_bag])
    assert [(row.item, row.on_hand, row.reason) for row in rows] == [
        (catalog["naloxone"], 0, "out")
    ]
    content = login(sue).get(reverse("supplies:overview")).content.decode()
    assert "out of a usual supply" in content
    assert "Nothing is low" not in content


def test_days_of_stock_below_the_kind_of_locations_default_is_low(
    settings, sue, sam, downtown, participant, stocked, catalog
):
    settings.HAVEN_LOW_STOCK_DAYS = {"bag": 3, "site": 14}
    bag = stocked["bag"]
    actions.do_transfer_stock(
        source=stocked["shelf"], destination=bag, item=catalog["naloxone"], quantity=4, by=sue
    )
    # 4 in the bag, 3 handed out in 30 days: the 1 left lasts 1 / (3 / 30) = 10 days,
    # more than 3 (not low); a default of 14 days for bags makes it low.
    for _ in range(3):
        do_record_encounter(
            EncounterData(
                client_uuid=uuid.uuid4(),
                site=downtown,
                contact_type="fixed",
                participant=participant,
                supplies={catalog["naloxone"]: 1},
            ),
            staff=sam,
        )
    [row] = [r for r in stock.item_summary(bag) if r.item == catalog["naloxone"]]
    assert (row.on_hand, row.used_30_days, row.days_left, row.low) == (1, 3, 10, False)
    settings.HAVEN_LOW_STOCK_DAYS = {"bag": 14}
    [row] = [r for r in stock.item_summary(bag) if r.item == catalog["naloxone"]]
    assert (row.low, row.reason) == (True, "days_left")
    # A reorder point set for the location wins over the default.
    ReorderPoint.objects.create(location=bag, item=catalog["naloxone"], minimum=1)
    [row] = [r for r in stock.item_summary(bag) if r.item == catalog["naloxone"]]
    assert row.low is False


def test_naloxone_expiring_soon_is_highlighted(login, max_manager, sue, stocked, catalog, settings):
    settings.HAVEN_NALOXONE_EXPIRY_WARNING_DAYS = 90
    actions.do_receive_stock(
        location=stocked["shelf"],
        item=catalog["naloxone"],
        quantity=5,
        lot_number="SOON",
        expires_on=in_days(40),
        by=sue,
    )
    content = login(max_manager).get(reverse("supplies:overview"), {"days": 120}).content.decode()
    assert "naloxone: use or swap soon" in content


def test_a_bag_is_restocked_with_several_items_in_one_form(login, sue, stocked, catalog):
    actions.do_receive_stock(
        location=stocked["shelf"], item=catalog["syringes"], quantity=100, lot_number="S", by=sue
    )
    bag = stocked["bag"]
    url = reverse("supplies:restock", args=[bag.pk])
    page = login(sue).get(url).content.decode()
    assert "Naloxone nasal spray" in page and "Syringes 1cc" in page
    response = login(sue).post(
        url,
        {
            "source": stocked["shelf"].pk,
            f"item_{catalog['naloxone'].pk}": "10",
            f"item_{catalog['syringes'].pk}": "40",
        },
    )
    assert response.status_code == 302
    assert stock.on_hand(bag) == {catalog["naloxone"].pk: 10, catalog["syringes"].pk: 40}
    assert stock.on_hand(stocked["shelf"]) == {
        catalog["naloxone"].pk: 20,
        catalog["syringes"].pk: 60,
    }


def test_a_restock_with_one_item_short_moves_nothing(login, sue, stocked, catalog):
    actions.do_receive_stock(
        location=stocked["shelf"], item=catalog["syringes"], quantity=100, lot_number="S", by=sue
    )
    before = StockMovement.objects.count()
    response = login(sue).post(
        reverse("supplies:restock", args=[stocked["bag"].pk]),
        {
            "source": stocked["shelf"].pk,
            f"item_{catalog['syringes'].pk}": "40",
            f"item_{catalog['naloxone'].pk}": "31",
        },
    )
    assert response.status_code == 400
    assert "Not enough Naloxone nasal spray" in response.content.decode()
    assert StockMovement.objects.count() == before
    assert stock.on_hand(stocked["bag"]) == {}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Enter how many of at least one item"),
        ({"item": "-3"}, "greater than or equal to 0"),
        ({"item": "many"}, "Enter a whole number"),
    ],
)
def test_a_restock_with_bad_lines_says_why(form, message, login, sue, stocked, catalog):
    data = {"source": stocked["shelf"].pk}
    if "item" in form:
        data[f"item_{catalog['naloxone'].pk}"] = form["item"]
    response = login(sue).post(reverse("supplies:restock", args=[stocked["bag"].pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stock.on_hand(stocked["bag"]) == {}


def test_ledger_export_leaves_out_the_reasons_people_type(login, max_manager, stocked, catalog):
    # A reason is free text: a worker may name who the stock went to. The file that
    # leaves the desk says what kind of movement it was, never what was typed.
    lot = StockMovement.objects.filter(location=stocked["shelf"]).first().lot
    actions.do_remove_stock(
        location=stocked["shelf"],
        lot=lot,
        quantity=2,
        kind="dispose",
        reason="Jane Doe dropped them in the river",
        by=max_manager,
    )
    response = login(max_manager).get(
        reverse("supplies:export_ledger"), {"location": stocked["shelf"].pk}
    )
    content = b"".join(response.streaming_content).decode()
    assert "Jane Doe" not in content
    rows = list(csv.reader(io.StringIO(content)))
    assert "reason" not in rows[0]
    assert [(r[5], r[6]) for r in rows[1:]] == [("Transferred in", "30"), ("Disposed", "-2")]
    # The staff of the location still read the reason on its page.
    page = login(max_manager).get(reverse("supplies:location", args=[stocked["shelf"].pk]))
    assert "Jane Doe dropped them in the river" in page.content.decode()
