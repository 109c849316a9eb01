"""POST /api/v1/sync: one result per record, each stored once, one bad record sinks nothing."""

import uuid

import pytest

from haven.api.tests.client import api_client
from haven.outreach.models import Encounter
from haven.supplies.models import StockLocation, StockMovement

pytestmark = pytest.mark.django_db


def contact(downtown, who, catalog, **changes):
    body = {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "occurred_at": "2025-03-01T10:15:00Z",
        "participant": who.pk,
        "supplies": [{"item": catalog["syringes"].pk, "quantity": 10}],
    }
    body.update(changes)
    return body


def test_batch_answers_each_record_in_order(sam, downtown, participant, catalog):
    good = contact(downtown, participant, catalog)
    retired = contact(
        downtown, participant, catalog, supplies=[{"item": catalog["retired"].pk, "quantity": 1}]
    )
    mistyped = contact(downtown, participant, catalog, participant=None, card_code="ABCD-EFG")
    wrong_type = contact(downtown, participant, catalog, secondary_people="many")
    unknown_kind = {"kind": "poem", "client_uuid": str(uuid.uuid4())}
    anonymous = contact(downtown, participant, catalog, participant=None, anonymous_people=2)
    records = [good, retired, mistyped, wrong_type, unknown_kind, anonymous, "not an object"]

    response = api_client(sam).post_json("/api/v1/sync", {"records": records[:-1]})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 400, 400, 400, 201]
    assert [r["index"] for r in results] == list(range(6))
    assert results[0]["client_uuid"] == good["client_uuid"]
    assert results[0]["id"] == Encounter.objects.get(client_uuid=good["client_uuid"]).pk
    assert results[1]["detail"] == "Old pipes is no longer handed out."
    assert results[1]["field"] == "supplies"
    assert "typo" in results[2]["detail"]
    assert results[3]["field"] == "secondary_people"
    assert results[4]["field"] == "kind"
    assert Encounter.objects.count() == 2


def test_a_retried_batch_stores_nothing_twice(sam, downtown, participant, catalog):
    phone = api_client(sam)
    records = [contact(downtown, participant, catalog) for _ in range(5)]
    first = phone.post_json("/api/v1/sync", {"records": records})
    again = phone.post_json("/api/v1/sync", {"records": records})
    assert [r["status"] for r in first.json()["results"]] == [201] * 5
    assert again.json() == first.json()
    assert Encounter.objects.count() == 5


def test_a_changed_record_in_a_retried_batch_is_a_409_and_the_rest_are_fine(
    sam, downtown, participant, catalog
):
    phone = api_client(sam)
    records = [contact(downtown, participant, catalog) for _ in range(3)]
    phone.post_json("/api/v1/sync", {"records": records})
    records[1]["secondary_people"] = 4
    results = phone.post_json("/api/v1/sync", {"records": records}).json()["results"]
    assert [r["status"] for r in results] == [201, 409, 201]
    assert "different details" in results[1]["detail"]


def test_the_same_record_twice_in_one_batch_is_stored_once(sam, downtown, participant, catalog):
    record = contact(downtown, participant, catalog)
    response = api_client(sam).post_json("/api/v1/sync", {"records": [record, record]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201]
    assert results[0]["id"] == results[1]["id"]
    assert Encounter.objects.count() == 1


def test_stock_records_are_for_supervisors(sam, sue, downtown, catalog):
    shelf = StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    receipt = {
        "kind": "stock_receive",
        "client_uuid": str(uuid.uuid4()),
        "location": shelf.pk,
        "item": catalog["naloxone"].pk,
        "quantity": 24,
        "lot_number": "N1",
    }
    refused = api_client(sam).post_json("/api/v1/sync", {"records": [receipt]})
    assert refused.json()["results"][0]["status"] == 403
    supervisor = api_client(sue)
    stored = supervisor.post_json("/api/v1/sync", {"records": [receipt, receipt]})
    assert [r["status"] for r in stored.json()["results"]] == [201, 201]
    assert StockMovement.objects.filter(kind="receive").count() == 1


def test_records_that_are_not_objects_refuse_the_batch(sam):
    response = api_client(sam).post_json("/api/v1/sync", {"records": [1, "two"]})
    assert response.status_code == 400
    assert response.json()["field"] == "records.0"


def test_too_many_records_are_refused(sam):
    response = api_client(sam).post_json("/api/v1/sync", {"records": [{}] * 1001})
    assert response.status_code == 400
    assert response.json()["field"] == "records"
