"""Bad input gets a 4xx with a clear JSON message, never a 5xx."""

import json
import uuid

import pytest

from haven.api.tests.client import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(sam):
    return api_client(sam)


def contact(downtown, participant, **changes):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "participant": participant.pk,
    }
    body.update(changes)
    return body


def test_malformed_json_is_a_400_saying_so(phone):
    response = phone.post("/api/v1/contacts", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_a_body_that_is_not_an_object_is_a_400(phone):
    response = phone.post_json("/api/v1/contacts", [1, 2])
    assert response.status_code == 400


def test_unknown_field_is_refused_and_named(phone, downtown, participant):
    response = phone.post_json("/api/v1/contacts", contact(downtown, participant, colour="red"))
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "colour"
    assert body["detail"].startswith("Unknown field")


def test_wrong_type_names_the_field(phone, downtown, participant):
    response = phone.post_json("/api/v1/contacts", contact(downtown, participant, site="downtown"))
    assert response.status_code == 400
    assert response.json()["field"] == "site"


def test_wrong_type_deep_inside_names_the_path(phone, downtown, participant, catalog):
    body = contact(
        downtown, participant, supplies=[{"item": catalog["naloxone"].pk, "quantity": "two"}]
    )
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 400
    assert response.json()["field"] == "supplies.0.quantity"


def test_missing_field_is_named(phone, downtown, participant):
    body = contact(downtown, participant)
    del body["client_uuid"]
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "This field is required.",
        "field": "client_uuid",
        "errors": [{"field": "client_uuid", "detail": "This field is required."}],
    }


def test_huge_ids_are_refused_not_sent_to_the_database(phone, downtown, participant):
    response = phone.post_json("/api/v1/contacts", contact(downtown, participant, site=10**30))
    assert response.status_code == 400


def test_naive_or_absurd_times_are_refused(phone, downtown, participant):
    for moment in ["2025-01-01T10:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]:
        response = phone.post_json(
            "/api/v1/contacts", contact(downtown, participant, occurred_at=moment)
        )
        assert response.status_code == 400, moment
        assert response.json()["field"] == "occurred_at"


def test_nul_characters_are_refused(phone, downtown, participant):
    response = phone.post_json("/api/v1/contacts", contact(downtown, participant, note="a\x00b"))
    assert response.status_code == 400
    assert response.json()["field"] == "note"


def test_oversized_body_is_a_413(phone, settings, downtown, participant):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = contact(downtown, participant, note="x" * 2000)
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_oversized_batch_is_a_413(phone, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = phone.post_json("/api/v1/sync", {"records": [{"kind": "contact"}] * 200})
    assert response.status_code == 413


def test_unknown_path_is_a_json_404(phone):
    response = phone.get("/api/v1/nothing-here")
    assert response.status_code == 404


def test_action_errors_come_back_per_field(phone, downtown, participant, catalog):
    body = contact(
        downtown,
        participant,
        contact_type="teleport",
        supplies=[{"item": catalog["retired"].pk, "quantity": 1}],
    )
    response = phone.post_json("/api/v1/contacts", body)
    assert response.status_code == 400
    fields = {error["field"]: error["detail"] for error in response.json()["errors"]}
    assert fields["contact_type"] == "Choose a contact type."
    assert fields["supplies"] == "Old pipes is no longer handed out."


def test_errors_are_in_the_users_language(phone, downtown, participant):
    body = contact(downtown, participant)
    del body["site"]
    response = phone.post(
        "/api/v1/contacts",
        json.dumps(body),
        content_type="application/json",
        headers={"Accept-Language": "es"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Este campo es obligatorio."
