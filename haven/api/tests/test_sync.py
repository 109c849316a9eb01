"""POST /api/v1/sync: one result per record, each stored once, one bad record sinks nothing."""

import uuid

import pytest
from django.db.models import Sum

from haven.api.tests.client import api_client, assert_already_saved
from haven.core.models import AuditEntry
from haven.outreach.models import Encounter
from haven.reports.tests.test_summaries import direct_counts, summary_counts
from haven.supplies import stock
from haven.supplies.actions import do_receive_stock
from haven.supplies.models import StockBalance, StockLocation, StockMovement

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
    assert_already_saved(results[1], records[1]["client_uuid"])


def test_a_clash_in_a_batch_keeps_the_uuid_as_the_phone_sent_it(
    sam, downtown, participant, catalog
):
    """The phone finds its record by the result's client_uuid, compared as text."""
    phone = api_client(sam)
    record = contact(downtown, participant, catalog)
    record["client_uuid"] = record["client_uuid"].upper()
    phone.post_json("/api/v1/sync", {"records": [record]})
    record["secondary_people"] = 4
    [result] = phone.post_json("/api/v1/sync", {"records": [record]}).json()["results"]
    assert result["status"] == 409
    assert result["client_uuid"] == record["client_uuid"]


def test_the_same_record_twice_in_one_batch_is_stored_once(sam, downtown, participant, catalog):
    record = contact(downtown, participant, catalog)
    response = api_client(sam).post_json("/api/v1/sync", {"records": [record, record]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201]
    assert results[0]["id"] == results[1]["id"]
    assert Encounter.objects.count() == 1


@pytest.fixture
def sams_bag(sam, downtown):
    bag = StockLocation.objects.create(name="Sam's bag", kind="bag", site=downtown, holder=sam)
    sam.draw_from = bag
    sam.save()
    return bag


def syringes(catalog, quantity):
    return [{"item": catalog["syringes"].pk, "quantity": quantity}]


def test_a_batch_draws_the_bag_in_the_order_sent(sam, downtown, participant, catalog, sams_bag):
    do_receive_stock(
        location=sams_bag, item=catalog["syringes"], quantity=25, lot_number="A", by=sam
    )
    records = [
        contact(downtown, participant, catalog, supplies=syringes(catalog, 10)),
        contact(downtown, participant, catalog, supplies=syringes(catalog, 10)),
        contact(downtown, participant, catalog, supplies=syringes(catalog, 10)),
        contact(
            downtown,
            participant,
            catalog,
            participant=None,
            anonymous_people=3,
            supplies=syringes(catalog, 5),
        ),
    ]
    results = api_client(sam).post_json("/api/v1/sync", {"records": records}).json()["results"]

    assert [r["status"] for r in results] == [201, 201, 400, 201]
    assert results[2]["detail"] == "Not enough Syringes 1cc at Sam's bag: 5 on hand, 10 asked."
    assert results[2]["field"] == "supplies"
    assert not Encounter.objects.filter(client_uuid=records[2]["client_uuid"]).exists()
    assert stock.on_hand(sams_bag, catalog["syringes"]) == 0
    # Every contact's hand-out is in the ledger, linked to it, and the
    # running balance equals the movements.
    for index in (0, 1, 3):
        encounter = Encounter.objects.get(client_uuid=records[index]["client_uuid"])
        assert encounter.stock_movements.aggregate(total=Sum("quantity"))["total"] == -int(
            records[index]["supplies"][0]["quantity"]
        )
    ledger = StockMovement.objects.filter(location=sams_bag).aggregate(total=Sum("quantity"))
    assert StockBalance.objects.get(location=sams_bag).quantity == ledger["total"] == 0
    assert direct_counts() == summary_counts()
    created = AuditEntry.objects.filter(action="create", object_type="outreach.encounter")
    assert sorted(created.values_list("object_id", flat=True)) == sorted(
        str(r["id"]) for r in results if r["status"] == 201
    )


def test_stock_received_earlier_in_a_batch_is_there_for_the_contacts_after_it(
    sue, downtown, participant, catalog
):
    shelf = StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    receipt = {
        "kind": "stock_receive",
        "client_uuid": str(uuid.uuid4()),
        "location": shelf.pk,
        "item": catalog["syringes"].pk,
        "quantity": 30,
        "lot_number": "S1",
    }
    records = [
        contact(downtown, participant, catalog, supplies=syringes(catalog, 20)),
        receipt,
        contact(downtown, participant, catalog, supplies=syringes(catalog, 20)),
        contact(downtown, participant, catalog, supplies=syringes(catalog, 20)),
    ]
    results = api_client(sue).post_json("/api/v1/sync", {"records": records}).json()["results"]
    assert [r["status"] for r in results] == [400, 201, 201, 400]
    assert "0 on hand" in results[0]["detail"]
    assert "10 on hand" in results[3]["detail"]
    assert stock.on_hand(shelf, catalog["syringes"]) == 10


def test_a_refused_record_may_be_sent_again_fixed_in_the_same_batch(
    sam, downtown, participant, catalog
):
    fixed = contact(downtown, participant, catalog)
    refused = {**fixed, "supplies": [{"item": catalog["retired"].pk, "quantity": 1}]}
    response = api_client(sam).post_json("/api/v1/sync", {"records": [refused, fixed, fixed]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400, 201, 201]
    assert results[1]["id"] == results[2]["id"]
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


def test_records_for_a_refused_enrolment_wait_and_never_reach_whoever_has_the_code(
    sam, downtown, participant, catalog
):
    from haven.outreach.models import Encounter

    # The phone enrols with a code that is not held for it (here: the code of
    # someone enrolled already), then logs a contact for that person.
    enrolment = {
        "kind": "enrolment",
        "client_uuid": str(uuid.uuid4()),
        "card_code": participant.display_code,
        "alias": "Robin",
    }
    contact = {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "card_code": participant.card_code.lower(),
    }
    response = api_client(sam).post_json("/api/v1/sync", {"records": [enrolment, contact]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == [400, 400]
    assert "fix the enrolment first" in results[1]["detail"]
    assert not Encounter.objects.exists()


def test_records_for_an_enrolment_already_saved_say_to_name_the_person_saved(sam, downtown):
    """The phone's copy of an enrolment Haven holds already, with another code, is
    only discarded: the records behind it are not told to fix it, but to check the
    saved record and name the person."""
    from haven.participants import codes
    from haven.participants.actions import do_reserve_card_codes

    saved_code, copys_code = do_reserve_card_codes(by=sam, device=uuid.uuid4(), count=2)
    client_uuid = str(uuid.uuid4())
    client = api_client(sam)
    saved = {"client_uuid": client_uuid, "card_code": saved_code, "alias": "Robin"}
    assert client.post_json("/api/v1/participants/enrolments", saved).status_code == 201
    enrolment = {"kind": "enrolment", **saved, "card_code": copys_code}
    contact = {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "card_code": copys_code,
    }
    results = client.post_json("/api/v1/sync", {"records": [enrolment, contact]}).json()["results"]
    assert_already_saved(results[0], client_uuid)
    assert (results[1]["status"], results[1]["field"]) == (400, "card_code")
    assert results[1]["detail"] == (
        f"{codes.format_code(copys_code)} is the card of someone whose enrolment was already "
        "saved with different details: check the saved record, then change who this is for."
    )
    assert not Encounter.objects.exists()


def enrolled_elsewhere(sam, downtown):
    """A code held for sam's phone that another enrolment used (e.g. a copy of the
    phone restored from a backup): (the code, the person who has it, the phone's
    enrolment with that code, which Haven refuses)."""
    from haven.participants.actions import do_enroll_with_reserved_code, do_reserve_card_codes

    [code] = do_reserve_card_codes(by=sam, device=uuid.uuid4(), count=1)
    other, _created = do_enroll_with_reserved_code(
        by=sam, site=downtown, client_uuid=uuid.uuid4(), card_code=code, alias="Other"
    )
    enrolment = {
        "kind": "enrolment",
        "client_uuid": str(uuid.uuid4()),
        "card_code": code,
        "alias": "Robin",
    }
    return code, other, enrolment


def made_for(enrolment, card_code, downtown, catalog):
    """A contact logged on the phone for someone enrolled there, as the phone sends it."""
    return {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "card_code": card_code,
        "enrolment": enrolment["client_uuid"],
        "supplies": [{"item": catalog["naloxone"].pk, "quantity": 1}],
    }


def test_a_contact_made_for_a_refused_enrolment_never_reaches_whoever_has_the_code(
    sam, downtown, catalog
):
    """Sent on its own, after its enrolment was refused (and perhaps discarded on the
    phone): the enrolment it was made for says whose it is, and it is not theirs."""
    from haven.participants import codes

    code, other, enrolment = enrolled_elsewhere(sam, downtown)
    client = api_client(sam)
    [refused] = client.post_json("/api/v1/sync", {"records": [enrolment]}).json()["results"]
    assert refused["status"] == 409
    sent = made_for(enrolment, code, downtown, catalog)
    [result] = client.post_json("/api/v1/sync", {"records": [sent]}).json()["results"]
    assert (result["status"], result["field"]) == (400, "enrolment")
    assert result["detail"] == (
        f"{codes.format_code(code)} is not the card of the person this was made for: their "
        "enrolment on the phone was not saved with this code. Choose who this is for."
    )
    # The contacts endpoint answers the same.
    response = client.post_json("/api/v1/contacts", {k: v for k, v in sent.items() if k != "kind"})
    assert (response.status_code, response.json()["field"]) == (400, "enrolment")
    assert not Encounter.objects.exists()
    # Named without the enrolment (the worker chose the code), it is theirs.
    del sent["enrolment"]
    [result] = client.post_json("/api/v1/sync", {"records": [sent]}).json()["results"]
    assert result["status"] == 201
    assert Encounter.objects.get().participant == other


def test_a_contact_made_for_an_enrolment_stored_with_another_code_is_refused(
    sam, downtown, participant, catalog
):
    """The phone names the enrolment and someone else's code (the copy of an enrolment
    Haven stored with another code): that code's holder is not the person enrolled."""
    from haven.participants.actions import do_reserve_card_codes

    [code] = do_reserve_card_codes(by=sam, device=uuid.uuid4(), count=1)
    enrolment = {"kind": "enrolment", "client_uuid": str(uuid.uuid4()), "card_code": code}
    sent = made_for(enrolment, participant.display_code, downtown, catalog)
    client = api_client(sam)
    results = client.post_json("/api/v1/sync", {"records": [enrolment, sent]}).json()["results"]
    assert [(r["status"], r.get("field")) for r in results] == [(201, None), (400, "enrolment")]
    assert "is not the card of the person this was made for" in results[1]["detail"]
    assert not Encounter.objects.exists()


def test_contacts_made_for_an_enrolment_are_stored_behind_it_now_or_later(sam, downtown, catalog):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haven.participants.actions import do_merge_participants, do_reserve_card_codes
    from haven.participants.models import Participant

    [code] = do_reserve_card_codes(by=sam, device=uuid.uuid4(), count=1)
    enrolment = {"kind": "enrolment", "client_uuid": str(uuid.uuid4()), "card_code": code}
    client = api_client(sam)
    batch = [enrolment, made_for(enrolment, code, downtown, catalog)]
    results = client.post_json("/api/v1/sync", {"records": batch}).json()["results"]
    assert [r["status"] for r in results] == [201, 201]
    robin = Participant.objects.get()
    assert Encounter.objects.get().participant == robin

    # Later, once Robin's record was linked to another: it goes to the kept one,
    # and the enrolments named are read once for the batch, not once a contact.
    keeper = Participant.objects.create(alias="Kept", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=robin, keeper=keeper, by=sam)

    def send(records):
        with CaptureQueriesContext(connection) as queries:
            results = client.post_json("/api/v1/sync", {"records": records}).json()["results"]
        assert {r["status"] for r in results} == {201}
        return len(queries)

    plain = [made_for(enrolment, code, downtown, catalog) for _n in range(20)]
    for record in plain:
        del record["enrolment"]
    linked = [made_for(enrolment, code, downtown, catalog) for _n in range(20)]
    assert send(linked) == send(plain) + 1
    assert keeper.encounters.count() == 40
