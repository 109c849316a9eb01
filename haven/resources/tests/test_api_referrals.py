"""The referral endpoints: made once per client UUID, followed up by the right people."""

import datetime
import uuid

import pytest
from django.utils import timezone

from haven.api.tests.client import api_client, assert_already_saved
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.resources.actions import do_make_referral
from haven.resources.models import Referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(sam):
    return api_client(sam)


def referral(who, clinic, where, **changes):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "participant": who.pk,
        "resource": clinic.pk,
        "need": "buprenorphine",
        "site": where.pk,
        "note": "Ready to start on Monday",
    }
    body.update(changes)
    return body


def test_a_referral_is_made_without_sending_its_note_back(
    phone, sam, participant, bupe_clinic, downtown
):
    response = phone.post_json("/api/v1/referrals", referral(participant, bupe_clinic, downtown))
    assert response.status_code == 201
    stored = Referral.objects.get()
    body = response.json()
    assert body["id"] == stored.pk
    assert body["participant"]["card_code"] == participant.display_code
    assert body["resource"] == {"id": bupe_clinic.pk, "name": "Desert Bupe Clinic"}
    assert body["status"] == "made"
    assert body["follow_up_on"] == str(timezone.localdate() + datetime.timedelta(days=7))
    assert "note" not in body
    assert stored.made_by == sam
    assert stored.note == "Ready to start on Monday"


def test_a_referral_by_card_code_names_the_participant_in_the_body(
    phone, participant, bupe_clinic, downtown
):
    body = referral(participant, bupe_clinic, downtown, participant=None)
    body["card_code"] = participant.display_code
    response = phone.post_json("/api/v1/referrals", body)
    assert response.status_code == 201
    assert Referral.objects.get().participant == participant


def test_same_uuid_again_returns_the_stored_referral_with_the_same_status(
    phone, participant, bupe_clinic, downtown
):
    body = referral(participant, bupe_clinic, downtown)
    first = phone.post_json("/api/v1/referrals", body)
    again = phone.post_json("/api/v1/referrals", body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Referral.objects.count() == 1


def test_same_uuid_with_a_different_body_is_a_409(phone, participant, bupe_clinic, downtown):
    body = referral(participant, bupe_clinic, downtown)
    phone.post_json("/api/v1/referrals", body)
    body["need"] = "counseling"
    response = phone.post_json("/api/v1/referrals", body)
    assert_already_saved(response, body["client_uuid"])
    assert Referral.objects.get().need == "buprenorphine"


def test_another_users_uuid_is_a_409(phone, sue, participant, bupe_clinic, downtown):
    body = referral(participant, bupe_clinic, downtown)
    api_client(sue).post_json("/api/v1/referrals", body)
    assert_already_saved(phone.post_json("/api/v1/referrals", body), body["client_uuid"])


def test_the_screens_rules_answer_400_naming_the_field(
    phone, participant, bupe_clinic, downtown, eastside
):
    cases = [
        ({"need": "housing"}, "need"),  # the clinic does not offer it
        ({"site": eastside.pk}, "site"),  # Sam does not work there
        ({"follow_up_on": "2001-01-01"}, "follow_up_on"),
        ({"resource": 999_999}, "resource"),
        ({"participant": 999_999}, "participant"),
        ({"participant": None}, "participant"),
        ({"card_code": "ABCD-EFG"}, "card_code"),
        ({"participant": None, "card_code": "ABCD-EFG"}, "card_code"),
        ({"colour": "red"}, "colour"),
    ]
    for changes, field in cases:
        response = phone.post_json(
            "/api/v1/referrals", referral(participant, bupe_clinic, downtown, **changes)
        )
        assert response.status_code == 400, changes
        assert response.json()["field"] == field, changes
    assert not Referral.objects.exists()


def test_a_resource_taken_out_of_the_directory_is_a_400(phone, participant, bupe_clinic, downtown):
    bupe_clinic.active = False
    bupe_clinic.save()
    response = phone.post_json("/api/v1/referrals", referral(participant, bupe_clinic, downtown))
    assert response.status_code == 400
    assert response.json()["field"] == "resource"


def test_a_linked_participant_is_referred_as_the_kept_record(
    phone, sam, participant, bupe_clinic, downtown
):
    duplicate = Participant.objects.create(
        alias="Sunny B", year_of_birth=1988, created_by=sam, enrolled_site=downtown
    )
    do_merge_participants(keeper=participant, duplicate=duplicate, by=sam)
    response = phone.post_json("/api/v1/referrals", referral(duplicate, bupe_clinic, downtown))
    assert response.status_code == 201
    assert response.json()["participant"]["id"] == participant.pk
    assert duplicate.display_code in response.json()["notice"]


# Status ------------------------------------------------------------------------------


@pytest.fixture
def made(sam, downtown, participant, bupe_clinic):
    return do_make_referral(
        participant=participant, resource=bupe_clinic, need="buprenorphine", by=sam, site=downtown
    )


def test_the_maker_marks_a_referral_linked(phone, made):
    response = phone.post_json(f"/api/v1/referrals/{made.pk}/status", {"status": "linked"})
    assert response.status_code == 200
    assert response.json()["status"] == "linked"
    made.refresh_from_db()
    assert made.status == "linked" and made.linked_at is not None


def test_the_sites_supervisor_may_update_it(sue, made):
    response = api_client(sue).post_json(
        f"/api/v1/referrals/{made.pk}/status", {"status": "contacted", "note": "Left a message"}
    )
    assert response.status_code == 200
    assert made.updates.last().note == "Left a message"


def test_the_other_sites_specialist_cannot_update_it(olga, made):
    response = api_client(olga).post_json(f"/api/v1/referrals/{made.pk}/status", {"status": "lost"})
    assert response.status_code == 403
    made.refresh_from_db()
    assert made.status == "made"


def test_a_bad_status_is_a_400_and_an_unknown_referral_a_404(phone, made):
    response = phone.post_json(f"/api/v1/referrals/{made.pk}/status", {"status": "cured"})
    assert response.status_code == 400
    assert response.json()["field"] == "status"
    response = phone.post_json("/api/v1/referrals/999999/status", {"status": "linked"})
    assert response.status_code == 404


# Follow-ups ---------------------------------------------------------------------------


def test_follow_ups_are_only_the_users_open_referrals_without_notes(
    phone, sam, olga, eastside, participant, bupe_clinic, downtown, made
):
    closed = do_make_referral(
        participant=participant, resource=bupe_clinic, need="counseling", by=sam, site=downtown
    )
    Referral.objects.filter(pk=closed.pk).update(status="declined", follow_up_on=None)
    do_make_referral(
        participant=participant,
        resource=bupe_clinic,
        need="buprenorphine",
        by=olga,
        site=eastside,
        note="Olga's",
    )
    Referral.objects.filter(pk=made.pk).update(
        follow_up_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    response = phone.get("/api/v1/referrals/follow-ups")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()] == [made.pk]
    assert response.json()[0]["overdue"] is True
    assert "note" not in response.json()[0]


def test_follow_ups_query_count_is_flat(
    phone, sam, participant, bupe_clinic, downtown, django_assert_max_num_queries
):
    for _ in range(20):
        do_make_referral(
            participant=participant, resource=bupe_clinic, need="counseling", by=sam, site=downtown
        )
    with django_assert_max_num_queries(6):
        response = phone.get("/api/v1/referrals/follow-ups")
    assert len(response.json()) == 20


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/referrals"),
        ("post", "/api/v1/referrals/1/status"),
        ("get", "/api/v1/referrals/follow-ups"),
    ],
)
def test_analysts_and_admins_are_refused(ana, adam, made, method, path):
    for user in (ana, adam):
        phone = api_client(user)
        response = phone.get(path) if method == "get" else phone.post_json(path, {})
        assert response.status_code == 403


def test_referrals_sync_in_a_batch_each_once(phone, participant, bupe_clinic, downtown):
    good = {"kind": "referral", **referral(participant, bupe_clinic, downtown)}
    bad = {"kind": "referral", **referral(participant, bupe_clinic, downtown, need="housing")}
    first = phone.post_json("/api/v1/sync", {"records": [good, bad]}).json()["results"]
    again = phone.post_json("/api/v1/sync", {"records": [good]}).json()["results"]
    assert [r["status"] for r in first] == [201, 400]
    assert first[1]["field"] == "need"
    assert again[0]["status"] == 201
    assert again[0]["id"] == first[0]["id"] == Referral.objects.get().pk


def test_a_status_change_sent_twice_is_recorded_once(phone, made):
    change = {"client_uuid": str(uuid.uuid4()), "status": "contacted", "note": "Called"}
    for _ in range(2):
        response = phone.post_json(f"/api/v1/referrals/{made.pk}/status", change)
        assert response.status_code == 200
        assert response.json()["status"] == "contacted"
    assert made.updates.filter(status="contacted").count() == 1


def test_the_same_change_uuid_for_another_change_is_a_409(phone, made):
    key = str(uuid.uuid4())
    phone.post_json(
        f"/api/v1/referrals/{made.pk}/status", {"client_uuid": key, "status": "contacted"}
    )
    response = phone.post_json(
        f"/api/v1/referrals/{made.pk}/status", {"client_uuid": key, "status": "linked"}
    )
    assert_already_saved(response, key)
    made.refresh_from_db()
    assert made.status == "contacted"


def test_status_changes_sync_in_a_batch_each_once(phone, olga, made):
    change = {
        "kind": "referral_status",
        "client_uuid": str(uuid.uuid4()),
        "referral": made.pk,
        "status": "linked",
    }
    unknown = {**change, "client_uuid": str(uuid.uuid4()), "referral": 999999}
    first = phone.post_json("/api/v1/sync", {"records": [change, unknown]}).json()["results"]
    again = phone.post_json("/api/v1/sync", {"records": [change]}).json()["results"]
    assert [r["status"] for r in first] == [200, 404]
    assert again[0]["status"] == 200
    assert made.updates.filter(status="linked").count() == 1
    refused = (
        api_client(olga)
        .post_json("/api/v1/sync", {"records": [{**change, "client_uuid": str(uuid.uuid4())}]})
        .json()["results"]
    )
    assert refused[0]["status"] == 403


def test_a_referral_made_for_a_refused_enrolment_never_reaches_whoever_has_the_code(
    phone, sam, bupe_clinic, downtown
):
    """Made on the phone for someone enrolled there, whose code another enrolment used:
    the referral names that enrolment, so Haven refuses it rather than refer the other."""
    from haven.api.tests.test_sync import enrolled_elsewhere

    code, other, enrolment = enrolled_elsewhere(sam, downtown)
    body = referral(other, bupe_clinic, downtown, participant=None, card_code=code)
    body["enrolment"] = enrolment["client_uuid"]
    answer = phone.post_json("/api/v1/sync", {"records": [{"kind": "referral", **body}]})
    [result] = answer.json()["results"]
    assert (result["status"], result["field"]) == (400, "enrolment")
    assert "is not the card of the person this was made for" in result["detail"]
    response = phone.post_json("/api/v1/referrals", body)
    assert (response.status_code, response.json()["field"]) == (400, "enrolment")
    assert not Referral.objects.exists()
