"""Attendance from a phone through the API and the offline sync batch."""

import uuid

from haven.api.tests.client import api_client, assert_already_saved
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


def test_an_attendee_sent_again_for_another_session_is_already_saved(
    sam, session, make_session, participant
):
    attendee = {
        "client_uuid": str(uuid.uuid4()),
        "session": session.pk,
        "card_code": participant.display_code,
    }
    client = api_client(sam)
    assert client.post_json("/api/v1/training/attendees", attendee).status_code == 201
    other = make_session(place="Community centre")
    response = client.post_json("/api/v1/training/attendees", {**attendee, "session": other.pk})
    assert_already_saved(response, attendee["client_uuid"])
    assert Attendee.objects.get().session == session


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


def test_a_headcount_from_phones_is_raised_never_lowered_and_counts_nobody_twice(sam, sue, session):
    from haven.core.models import AuditEntry

    def send(user, headcount):
        record = {
            "kind": "training_attendee",
            "client_uuid": str(uuid.uuid4()),
            "session": session.pk,
            "headcount": headcount,
        }
        [result] = (
            api_client(user).post_json("/api/v1/sync", {"records": [record]}).json()["results"]
        )
        session.refresh_from_db()
        return result["status"], session.headcount

    assert session.headcount == 12
    assert send(sam, 15) == (201, 15)
    # The same count sent again, a smaller one arriving late, another trainer's: the largest stands.
    assert send(sam, 15) == (200, 15)
    assert send(sue, 9) == (200, 15)
    assert send(sue, 18) == (201, 18)
    assert not Attendee.objects.exists()
    assert (
        AuditEntry.objects.filter(action="update", object_type="training.trainingsession").count()
        == 2
    )


def test_an_attendee_and_the_headcount_in_one_record(sam, session, participant):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "session": session.pk,
        "card_code": participant.display_code,
        "headcount": 20,
    }
    response = api_client(sam).post_json("/api/v1/training/attendees", body)
    assert response.status_code == 201
    assert response.json()["listed"] is True
    session.refresh_from_db()
    assert session.headcount == 20
    assert session.attendees.get().participant == participant
    too_many = api_client(sam).post_json(
        "/api/v1/training/attendees", {**body, "client_uuid": str(uuid.uuid4()), "headcount": 5000}
    )
    assert too_many.status_code == 400


def test_an_attendee_made_for_a_refused_enrolment_never_becomes_whoever_has_the_code(
    sam, session, downtown
):
    from haven.api.tests.test_sync import enrolled_elsewhere

    code, other, enrolment = enrolled_elsewhere(sam, downtown)
    body = {
        "client_uuid": str(uuid.uuid4()),
        "session": session.pk,
        "card_code": code,
        "enrolment": enrolment["client_uuid"],
    }
    client = api_client(sam)
    [result] = client.post_json(
        "/api/v1/sync", {"records": [{"kind": "training_attendee", **body}]}
    ).json()["results"]
    assert (result["status"], result["field"]) == (400, "enrolment")
    assert "is not the card of the person this was made for" in result["detail"]
    response = client.post_json("/api/v1/training/attendees", body)
    assert (response.status_code, response.json()["field"]) == (400, "enrolment")
    assert not Attendee.objects.exists()


def test_an_attendee_refused_raises_no_headcount(sam, session, participant):
    listed = {
        "client_uuid": str(uuid.uuid4()),
        "session": session.pk,
        "card_code": participant.display_code,
    }
    client = api_client(sam)
    assert client.post_json("/api/v1/training/attendees", listed).status_code == 201
    session.refresh_from_db()
    before = session.headcount
    for refused in (
        {"name": "Rosa"},  # a name without consent to a named certificate
        {"card_code": participant.display_code},  # listed at this session already
    ):
        body = {"client_uuid": str(uuid.uuid4()), "session": session.pk, "headcount": 40}
        response = client.post_json("/api/v1/training/attendees", {**body, **refused})
        assert response.status_code == 400, response.content
        session.refresh_from_db()
        assert session.headcount == before
    assert session.attendees.count() == 1
