"""Stock over the API: the catalog, receipts and transfers, each stored once."""

import uuid

import pytest

from haven.api.tests.client import api_client, assert_already_saved
from haven.supplies.models import StockMovement
from haven.supplies.stock import on_hand

pytestmark = pytest.mark.django_db


def receipt(location, item, **changes):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "location": location.pk,
        "item": item.pk,
        "quantity": 24,
        "lot_number": "N-1",
        "expires_on": "2099-01-31",
        "supplier": "State program",
    }
    body.update(changes)
    return body


def test_items_and_kits_for_offline_use(sam, catalog, injection_kit):
    phone = api_client(sam)
    names = [item["name"] for item in phone.get("/api/v1/items").json()]
    assert "Naloxone nasal spray" in names
    assert "Old pipes" not in names
    kits = phone.get("/api/v1/kits").json()
    assert kits == [
        {
            "id": injection_kit.pk,
            "name": "Safer injection kit",
            "components": [{"item": catalog["syringes"].pk, "quantity": 10}],
        }
    ]


def test_receipt_is_stored_once_and_a_clash_is_a_409(sue, shelf, catalog):
    supervisor = api_client(sue)
    body = receipt(shelf, catalog["naloxone"])
    first = supervisor.post_json("/api/v1/stock/receive", body)
    again = supervisor.post_json("/api/v1/stock/receive", body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert on_hand(shelf, catalog["naloxone"]) == 24
    body["quantity"] = 25
    clash = supervisor.post_json("/api/v1/stock/receive", body)
    assert_already_saved(clash, body["client_uuid"])
    assert on_hand(shelf, catalog["naloxone"]) == 24


@pytest.mark.parametrize(
    "change",
    [
        {"lot_number": "OTHER-LOT"},
        {"supplier": "Another supplier"},
        {"expires_on": "2099-12-31"},
        {"occurred_at": "2026-01-02T10:00:00Z"},
    ],
)
def test_a_receipt_sent_again_with_other_details_is_a_409(change, sue, shelf, catalog):
    supervisor = api_client(sue)
    body = receipt(shelf, catalog["naloxone"])
    body["occurred_at"] = "2026-01-01T10:00:00Z"
    assert supervisor.post_json("/api/v1/stock/receive", body).status_code == 201
    clash = supervisor.post_json("/api/v1/stock/receive", {**body, **change})
    assert_already_saved(clash, body["client_uuid"])
    assert StockMovement.objects.count() == 1


def test_transfer_moves_both_sides_once(sue, shelf, sams_bag, catalog):
    supervisor = api_client(sue)
    supervisor.post_json("/api/v1/stock/receive", receipt(shelf, catalog["naloxone"]))
    body = {
        "client_uuid": str(uuid.uuid4()),
        "source": shelf.pk,
        "destination": sams_bag.pk,
        "item": catalog["naloxone"].pk,
        "quantity": 5,
    }
    first = supervisor.post_json("/api/v1/stock/transfer", body)
    again = supervisor.post_json("/api/v1/stock/transfer", body)
    assert first.status_code == again.status_code == 201
    assert on_hand(sams_bag, catalog["naloxone"]) == 5
    assert on_hand(shelf, catalog["naloxone"]) == 19
    body["destination"] = shelf.pk
    body["source"] = sams_bag.pk
    clash = supervisor.post_json("/api/v1/stock/transfer", body)
    assert_already_saved(clash, body["client_uuid"])


def test_not_enough_stock_to_transfer_is_a_400(sue, shelf, sams_bag, catalog):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "source": shelf.pk,
        "destination": sams_bag.pk,
        "item": catalog["naloxone"].pk,
        "quantity": 5,
    }
    response = api_client(sue).post_json("/api/v1/stock/transfer", body)
    assert response.status_code == 400
    assert "Not enough" in response.json()["detail"]
    assert not StockMovement.objects.exists()


def test_other_sites_stock_is_refused(sue, eastside, catalog):
    from haven.supplies.models import StockLocation

    van = StockLocation.objects.create(name="Eastside van", kind="mobile", site=eastside)
    response = api_client(sue).post_json("/api/v1/stock/receive", receipt(van, catalog["naloxone"]))
    assert response.status_code == 403
    assert response.json()["field"] == "location"


def test_specialists_do_not_receive_stock(sam, shelf, catalog):
    response = api_client(sam).post_json(
        "/api/v1/stock/receive", receipt(shelf, catalog["naloxone"])
    )
    assert response.status_code == 403
