"""POST /api/v1/contacts: stored once per client UUID; a clash is a 409."""

import json
import uuid

import pytest

from haven.api.tests.client import api_client, assert_already_saved
from haven.outreach.models import Encounter, EncounterSupply
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.supplies.actions import do_receive_stock
from haven.supplies.models import StockLocation

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(sam):
    return api_client(sam)


def contact(downtown, who, catalog, **changes):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "occurred_at": "2025-03-01T10:15:00-07:00",
        "participant": who.pk,
        "services": [catalog["support"].pk],
        "supplies": [{"item": catalog["naloxone"].pk, "quantity": 2}],
        "secondary_people": 1,
        "note": "Asked about housing",
    }
    body.update(changes)
    return body


def test_contact_is_stored_with_its_supplies(phone, sam, downtown, participant, catalog):
    response = phone.post_json("/api/v1/contacts", contact(downtown, participant, catalog))
    assert response.status_code == 201
    body = response.json()
    encounter = Encounter.objects.get()
    assert body["id"] == encounter.pk
    assert body["participant"] == {
        "id": participant.pk,
        "card_code": participant.display_code,
        "alias": "Sunny",
    }
    assert body["supplies"] == [{"item": catalog["naloxone"].pk, "quantity": 2}]
    assert body["services"] == [catalog["support"].pk]
    assert encounter.staff == sam
    assert encounter.note == "Asked about housing"
    assert "note" not in body


def test_same_uuid_again_returns_the_stored_contact_with_the_same_status(
    phone, downtown, participant, catalog
):
    body = contact(downtown, participant, catalog)
    first = phone.post_json("/api/v1/contacts", body)
    again = phone.post_json("/api/v1/contacts", body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Encounter.objects.count() == 1
    assert EncounterSupply.objects.get().quantity == 2


def test_same_uuid_with_a_different_body_is_a_409(phone, downtown, participant, catalog):
    body = contact(downtown, participant, catalog)
    phone.post_json("/api/v1/contacts", body)
    body["supplies"] = [{"item": catalog["naloxone"].pk, "quantity": 3}]
    response = phone.post_json("/api/v1/contacts", body)
    assert_already_saved(response, body["client_uuid"])
    assert EncounterSupply.objects.get().quantity == 2


def test_a_phone_in_spanish_is_told_in_spanish_and_shown_no_uuid(
    phone, downtown, participant, catalog
):
    body = contact(downtown, participant, catalog)
    phone.post_json("/api/v1/contacts", body)
    body["secondary_people"] = 3
    response = phone.post(
        "/api/v1/contacts",
        json.dumps(body),
        content_type="application/json",
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Ya se guardó desde otro teléfono o en un envío anterior con otros datos. "
        "Revise el registro guardado y luego descarte esta copia."
    )
    assert response.json()["client_uuid"] == body["client_uuid"]
    assert body["client_uuid"] not in response.json()["detail"]


def test_another_users_uuid_is_a_409(phone, sue, downtown, participant, catalog):
    body = contact(downtown, participant, catalog)
    phone.post_json("/api/v1/contacts", body)
    response = api_client(sue).post_json("/api/v1/contacts", body)
    assert_already_saved(response, body["client_uuid"])


def test_contact_by_card_code(phone, downtown, participant, catalog):
    body = contact(downtown, participant, catalog, participant=None)
    body["card_code"] = participant.card_code.lower()
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 201
    assert Encounter.objects.get().participant == participant


def test_mistyped_card_code_is_a_400_saying_typo(phone, downtown, participant, catalog):
    code = participant.card_code
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    body = contact(downtown, participant, catalog, participant=None, card_code=wrong)
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 400
    assert response.json()["field"] == "card_code"
    assert "typo" in response.json()["detail"]


def test_contact_with_a_merged_participant_goes_to_the_kept_record(
    phone, sam, downtown, participant, catalog
):
    duplicate = Participant.objects.create(alias="Sun", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sam)
    body = contact(downtown, participant, catalog, participant=duplicate.pk)
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 201
    assert response.json()["participant"]["id"] == participant.pk
    assert participant.display_code in response.json()["notice"]
    again = phone.post_json("/api/v1/contacts", body)
    assert again.status_code == 201
    assert Encounter.objects.get().participant == participant


def test_anonymous_contact(phone, downtown, participant, catalog):
    body = contact(downtown, participant, catalog, participant=None, anonymous_people=3)
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 201
    assert Encounter.objects.get().anonymous_people == 3


def test_not_enough_stock_is_a_400_naming_the_item(phone, sam, downtown, participant, catalog):
    shelf = StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    do_receive_stock(location=shelf, item=catalog["naloxone"], quantity=1, by=sam)
    response = phone.post_json("/api/v1/contacts", contact(downtown, participant, catalog))
    assert response.status_code == 400
    assert response.json()["field"] == "supplies"
    assert "Not enough Naloxone nasal spray" in response.json()["detail"]
    assert not Encounter.objects.exists()


def test_unknown_catalog_ids_are_named(phone, downtown, participant, catalog):
    body = contact(
        downtown,
        participant,
        catalog,
        services=[999999],
        supplies=[{"item": 999999, "quantity": 1}],
        kits=[{"kit": 999999, "quantity": 1}],
    )
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {
        "services",
        "supplies",
        "kits",
    }


def test_site_the_specialist_does_not_work_at_is_refused(phone, eastside, participant, catalog):
    response = phone.post_json("/api/v1/contacts", contact(eastside, participant, catalog))
    assert response.status_code == 400
    assert response.json()["field"] == "site"


def test_catalog_for_offline_use(phone, downtown, eastside, catalog):
    assert phone.get("/api/v1/sites").json() == [
        {"id": downtown.pk, "name": "Downtown", "kind": "drop_in"}
    ]
    services = phone.get("/api/v1/services", headers={"Accept-Language": "es"}).json()
    assert {"Apoyo emocional", "HIV test"} == {service["name"] for service in services}
