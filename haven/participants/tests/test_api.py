"""Participant lookup by card code (in the body, never the URL) and recent participants."""

import uuid

import pytest

from haven.api.tests.client import api_client
from haven.core.models import AuditEntry
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant

pytestmark = pytest.mark.django_db


def mistyped(code):
    return code[:-1] + ("2" if code[-1] != "2" else "3")


def test_lookup_by_card_code_as_typed(sam, participant):
    response = api_client(sam).post_json(
        "/api/v1/participants/lookup", {"card_code": participant.display_code.lower()}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": participant.pk,
        "card_code": participant.display_code,
        "alias": "Sunny",
        "linked_from": None,
    }
    assert AuditEntry.objects.filter(action="view", participant=participant).exists()


def test_mistyped_code_is_a_400_saying_it_has_a_typo(sam, participant):
    response = api_client(sam).post_json(
        "/api/v1/participants/lookup", {"card_code": mistyped(participant.card_code)}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "card_code"
    assert "it has a typo" in response.json()["detail"]


def test_unknown_valid_code_is_a_404(sam, participant):
    from haven.participants import codes

    code = codes.generate()
    response = api_client(sam).post_json("/api/v1/participants/lookup", {"card_code": code})
    assert response.status_code == 404
    assert "No participant has the card code" in response.json()["detail"]


def test_a_merged_record_returns_the_kept_record(sam, downtown, participant):
    duplicate = Participant.objects.create(alias="Sun", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sam)
    response = api_client(sam).post_json(
        "/api/v1/participants/lookup", {"card_code": duplicate.card_code}
    )
    assert response.json()["id"] == participant.pk
    assert response.json()["linked_from"] == duplicate.display_code


def test_lookup_is_never_a_get_with_the_code_in_the_url(sam, participant):
    response = api_client(sam).get(f"/api/v1/participants/lookup?card_code={participant.card_code}")
    assert response.status_code == 405


def test_recent_participants_are_code_and_alias_only(sam, olga, downtown, participant):
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(), site=downtown, contact_type="fixed", participant=participant
        ),
        staff=sam,
    )
    assert api_client(sam).get("/api/v1/participants/recent").json() == [
        {"id": participant.pk, "card_code": participant.display_code, "alias": "Sunny"}
    ]
    assert api_client(olga).get("/api/v1/participants/recent").json() == []


def test_the_phone_keeps_recent_and_site_participants_and_each_download_is_audited(
    sam, sue, olga, downtown, eastside, participant
):
    from datetime import timedelta

    from django.utils import timezone

    seen_long_ago = Participant.objects.create(
        alias="Long Ago",
        created_by=sam,
        enrolled_site=downtown,
        enrolled_at=timezone.now() - timedelta(days=400),
    )
    eastsider = Participant.objects.create(alias="East", created_by=olga, enrolled_site=eastside)
    # Seen Downtown by a colleague: one of Sam's site's active participants.
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(), site=downtown, contact_type="fixed", participant=eastsider
        ),
        staff=sue,
    )
    duplicate = Participant.objects.create(alias="Dupe", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)

    response = api_client(sam).get("/api/v1/participants/kept")

    assert response.status_code == 200
    kept = response.json()
    # The least the search and the timeline need: no year of birth, UIC or consents.
    assert {tuple(entry) for entry in kept} == {
        ("id", "card_code", "alias", "recent", "recent_contacts")
    }
    assert {entry["alias"] for entry in kept} == {"Sunny", "East"}
    reads = AuditEntry.objects.filter(action="view", page="API participants kept on the phone")
    assert {entry.participant for entry in reads} == {participant, eastsider}
    assert seen_long_ago not in {entry.participant for entry in reads}


def test_another_sites_specialist_keeps_none_of_downtowns_participants(olga, participant):
    response = api_client(olga).get("/api/v1/participants/kept")
    assert response.status_code == 200
    assert response.json() == []


def test_the_phone_keeps_each_participants_last_five_contacts_without_notes(
    sam, sue, downtown, participant, catalog, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    duplicate = Participant.objects.create(alias="Dupe", created_by=sam, enrolled_site=downtown)
    now = timezone.now()

    def contact(days_ago, who=participant, **fields):
        do_record_encounter(
            EncounterData(
                client_uuid=uuid.uuid4(),
                site=downtown,
                contact_type="street",
                participant=who,
                occurred_at=now - timedelta(days=days_ago),
                note="Told us where they sleep",
                **fields,
            ),
            staff=sam,
        )

    contact(100)  # before the active days: not kept
    for days_ago in (9, 8, 7, 6):
        contact(days_ago)
    contact(
        1,
        who=duplicate,
        services=[catalog["support"]],
        supplies={catalog["naloxone"]: 2},
    )
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    contact(3)

    with django_assert_max_num_queries(14):
        response = api_client(sam).get("/api/v1/participants/kept")

    [kept] = response.json()
    contacts = kept["recent_contacts"]
    # The five newest, the linked duplicate's among them, newest first.
    assert [
        round((now - timezone.datetime.fromisoformat(c["occurred_at"])).days) for c in contacts
    ] == [
        1,
        3,
        6,
        7,
        8,
    ]
    assert contacts[0] == {
        "occurred_at": contacts[0]["occurred_at"],
        "contact_type": "street",
        "services": [catalog["support"].pk],
        "supplies": [{"item": catalog["naloxone"].pk, "quantity": 2}],
    }
    assert "Told us" not in response.content.decode()


def test_the_kept_set_marks_the_users_recent_participants_first(
    sam, sue, olga, downtown, eastside, participant
):
    eastsider = Participant.objects.create(alias="East", created_by=olga, enrolled_site=eastside)
    for staff, someone in ((sue, eastsider), (sam, participant)):
        do_record_encounter(
            EncounterData(
                client_uuid=uuid.uuid4(), site=downtown, contact_type="fixed", participant=someone
            ),
            staff=staff,
        )
    kept = api_client(sam).get("/api/v1/participants/kept").json()
    # Sam's own recent participant comes first; one a colleague saw is kept, not recent.
    assert [(entry["alias"], entry["recent"]) for entry in kept] == [
        ("Sunny", True),
        ("East", False),
    ]
