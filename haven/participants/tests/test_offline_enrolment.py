"""Enrolling with no signal: card codes held for each phone, each enrolment stored once."""

import uuid

import pytest

from haven.api.tests.client import api_client, assert_already_saved
from haven.consents.rules import consent_in_force
from haven.core.models import AuditEntry
from haven.participants import codes
from haven.participants.actions import do_reserve_card_codes
from haven.participants.models import Participant, ReservedCardCode

pytestmark = pytest.mark.django_db


def hold_codes(user, device):
    response = api_client(user).post_json("/api/v1/participants/card-codes", {"device": device})
    assert response.status_code == 200
    return response.json()["card_codes"]


def enrolment(card_code, **answers):
    return {"client_uuid": str(uuid.uuid4()), "card_code": card_code, **answers}


def test_two_phones_are_never_given_the_same_code(sam):
    first_phone, second_phone = str(uuid.uuid4()), str(uuid.uuid4())
    first = hold_codes(sam, first_phone)
    second = hold_codes(sam, second_phone)
    assert len(first) == len(second) == 10
    assert not set(first) & set(second)
    # Every code is a valid one, with its check character.
    assert all(codes.validate(code) for code in first + second)
    # Asked again, a phone gets the same codes back (it may have lost the answer).
    assert hold_codes(sam, first_phone) == first


def test_one_user_cannot_hoard_codes_with_made_up_phones(sam):
    for _ in range(5):
        hold_codes(sam, str(uuid.uuid4()))
    response = api_client(sam).post_json(
        "/api/v1/participants/card-codes", {"device": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    assert "50 unused card codes already" in response.json()["detail"]
    assert ReservedCardCode.objects.count() == 50


def test_a_held_code_is_never_given_to_someone_enrolled_online(sam, downtown, monkeypatch):
    [held] = do_reserve_card_codes(by=sam, device=uuid.uuid4(), count=1)
    fresh = iter([held, held, "ABCDEF"])
    monkeypatch.setattr(codes, "generate", lambda rng=None: next(fresh))
    participant = Participant.objects.create(alias="Online", created_by=sam)
    assert participant.card_code == "ABCDEF"


def test_an_enrolment_sent_twice_is_stored_once(sam, downtown):
    code = hold_codes(sam, str(uuid.uuid4()))[0]
    body = enrolment(
        code,
        alias="Robin",
        year_of_birth=1990,
        consents={"contact": "given", "sharing": "refused", "how": "spoken", "language": "en"},
    )
    client = api_client(sam)
    first = client.post_json("/api/v1/participants/enrolments", body)
    again = client.post_json("/api/v1/participants/enrolments", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    participant = Participant.objects.get()
    assert participant.display_code == code
    assert (participant.alias, participant.year_of_birth) == ("Robin", 1990)
    # The answers given on the phone are consent records, made once.
    assert consent_in_force(participant, "contact")
    assert not consent_in_force(participant, "sharing")
    assert participant.consents.count() == 2
    assert participant.enrolled_site == downtown
    created = AuditEntry.objects.filter(action="create", participant=participant)
    assert created.filter(object_type="participants.participant").count() == 1
    assert created.filter(object_type="consents.consent").count() == 2
    # A used code is no longer held: the phone's block is topped up with a new one.
    assert ReservedCardCode.objects.get(participant=participant).client_uuid is not None


def test_a_code_used_by_another_enrolment_is_a_conflict_shown_to_the_worker(sam, downtown):
    code = hold_codes(sam, str(uuid.uuid4()))[0]
    client = api_client(sam)
    assert client.post_json("/api/v1/participants/enrolments", enrolment(code)).status_code == 201
    other = client.post_json("/api/v1/participants/enrolments", enrolment(code, alias="Kim"))
    assert other.status_code == 409
    assert other.json()["field"] == "card_code"
    assert "used already" in other.json()["detail"]
    assert Participant.objects.count() == 1


def test_a_code_not_held_for_the_user_is_refused(sam, olga, downtown):
    olgas = hold_codes(olga, str(uuid.uuid4()))[0]
    response = api_client(sam).post_json("/api/v1/participants/enrolments", enrolment(olgas))
    assert response.status_code == 400
    assert "was not kept for you" in response.json()["detail"]
    never_held = codes.format_code(codes.generate())
    response = api_client(sam).post_json("/api/v1/participants/enrolments", enrolment(never_held))
    assert response.status_code == 400
    assert not Participant.objects.exists()


def test_bad_answers_are_refused_with_the_field_named(sam, downtown):
    code = hold_codes(sam, str(uuid.uuid4()))[0]
    response = api_client(sam).post_json(
        "/api/v1/participants/enrolments", enrolment(code, zip_code="8528x")
    )
    assert response.status_code == 400
    assert response.json()["field"] == "zip_code"
    mistyped = code[:-1] + ("2" if code[-1] != "2" else "3")
    response = api_client(sam).post_json("/api/v1/participants/enrolments", enrolment(mistyped))
    assert response.status_code == 400
    assert "typo" in response.json()["detail"]
    assert not Participant.objects.exists()


def test_an_enrolment_and_a_contact_for_that_person_sync_in_one_batch(sam, downtown, catalog):
    from haven.outreach.models import Encounter

    code = hold_codes(sam, str(uuid.uuid4()))[0]
    records = [
        {"kind": "enrolment", **enrolment(code, alias="Robin")},
        {
            "kind": "contact",
            "client_uuid": str(uuid.uuid4()),
            "site": downtown.pk,
            "contact_type": "street",
            "card_code": code,
            "occurred_at": "2026-12-05T10:00:00+00:00",
        },
    ]
    client = api_client(sam)
    results = client.post_json("/api/v1/sync", {"records": records}).json()["results"]
    assert [result["status"] for result in results] == [201, 201]
    again = client.post_json("/api/v1/sync", {"records": records}).json()["results"]
    assert [result["status"] for result in again] == [200, 201]
    assert Participant.objects.get().alias == "Robin"
    assert Encounter.objects.get().participant.display_code == code


def test_an_enrolment_sent_again_by_another_user_is_refused_and_names_nobody(sam, sue, downtown):
    """A client UUID is the phone's, not a key to the person it enrolled: someone else
    sending it (a copied outbox, a shared phone) gets a conflict, not the record."""
    code = hold_codes(sam, str(uuid.uuid4()))[0]
    body = enrolment(code, alias="Robin")
    assert api_client(sam).post_json("/api/v1/participants/enrolments", body).status_code == 201
    entries = AuditEntry.objects.count()
    for sent in (body, {**body, "card_code": hold_codes(sue, str(uuid.uuid4()))[0]}):
        response = api_client(sue).post_json("/api/v1/participants/enrolments", sent)
        assert_already_saved(response, body["client_uuid"])
        assert code not in response.text
        assert "Robin" not in response.text
    results = (
        api_client(sue)
        .post_json("/api/v1/sync", {"records": [{"kind": "enrolment", **body}]})
        .json()["results"]
    )
    assert results[0]["status"] == 409
    assert code not in str(results) and "Robin" not in str(results)
    assert AuditEntry.objects.count() == entries
    assert Participant.objects.count() == 1


def test_an_enrolment_sent_again_with_another_card_code_is_a_conflict(sam, downtown):
    first, second = hold_codes(sam, str(uuid.uuid4()))[:2]
    body = enrolment(first, alias="Robin")
    client = api_client(sam)
    assert client.post_json("/api/v1/participants/enrolments", body).status_code == 201
    response = client.post_json("/api/v1/participants/enrolments", {**body, "card_code": second})
    assert_already_saved(response, body["client_uuid"])
    # The second code is still held for the phone, for the next person.
    assert ReservedCardCode.objects.get(code=codes.validate(second)).participant is None
    assert Participant.objects.count() == 1
