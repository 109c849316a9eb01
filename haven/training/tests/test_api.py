"""Attendance from a phone through the API and the offline sync batch."""

import uuid

from haven.api.tests.client import api_client
from haven.training.models import Attendee


def test_attendance_synced_twice_is_stored_once(sam, session, participant):
    records = [
        {
            "kind": "training_attendee",
            "client_uuid": str(uuid.uuid4()),
            "session": session.pk,
            "card_code": participant.display_code,
        },
        {
            "kind": "training_attendee",
            "client_uuid": str(uuid.uuid4()),
            "session": session.pk,
            "name": "Rosa",
            "consents_to_named_certificate": True,
        },
        {
            "kind": "training_attendee",
            "client_uuid": str(uuid.uuid4()),
            "session": session.pk,
            "name": "No consent",
        },
    ]
    client = api_client(sam)
    first = client.post_json("/api/v1/sync", {"records": records}).json()["results"]
    assert [r["status"] for r in first] == [201, 201, 400]
    assert "agrees to a named certificate" in first[2]["detail"]
    again = client.post_json("/api/v1/sync", {"records": records}).json()["results"]
    assert [r["status"] for r in again] == [200, 200, 400]
    assert Attendee.objects.count() == 2


def test_another_sites_specialist_cannot_list_attendees(olga, session):
    response = api_client(olga).post_json(
        "/api/v1/training/attendees",
        {"client_uuid": str(uuid.uuid4()), "session": session.pk, "name": "X"},
    )
    assert response.status_code == 403
    assert not Attendee.objects.exists()


def test_an_unknown_session_is_not_found(sam, db):
    response = api_client(sam).post_json(
        "/api/v1/training/attendees", {"client_uuid": str(uuid.uuid4()), "session": 999}
    )
    assert response.status_code == 404


def test_analysts_may_not_send_attendance(ana, session):
    response = api_client(ana).post_json(
        "/api/v1/training/attendees",
        {"client_uuid": str(uuid.uuid4()), "session": session.pk, "name": "X"},
    )
    assert response.status_code == 403
