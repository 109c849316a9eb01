"""The access module: loading a participant for display checks the role and writes the read."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from haven.api.tests.client import api_client
from haven.core import access
from haven.core.models import AuditEntry
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant


def log(staff, site, participant=None, note=""):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=site,
        contact_type="fixed",
        participant=participant,
        anonymous_people=0 if participant else 1,
        note=note,
    )
    return do_record_encounter(data, staff=staff)[0]


def views_by(user):
    return AuditEntry.objects.filter(user=user, action=AuditEntry.Action.VIEW)


@pytest.fixture
def rainbow(sam, downtown):
    return Participant.objects.create(alias="Rainbow", created_by=sam, enrolled_site=downtown)


def test_a_list_page_writes_one_entry_per_participant_shown(
    login, sam, downtown, participant, rainbow
):
    for person in (participant, participant, rainbow):
        log(sam, downtown, person)
    log(sam, downtown)  # anonymous: no one to name
    response = login(sam).get(reverse("core:home"))
    assert response.status_code == 200
    entries = views_by(sam).filter(page="my contacts today")
    assert sorted(entries.values_list("participant_id", flat=True)) == sorted(
        [participant.pk, rainbow.pk]
    )


def test_search_results_audit_each_participant_shown(login, sam, downtown, rainbow):
    Participant.objects.create(alias="Raindrop", created_by=sam, enrolled_site=downtown)
    response = login(sam).post(reverse("participants:find"), {"q": "rain"})
    assert b"Raindrop" in response.content and b"Rainbow" in response.content
    shown = views_by(sam).filter(page="participant search results")
    assert shown.count() == 2
    assert "no-store" in response["Cache-Control"]


def test_the_contact_edit_page_audits_the_note_it_decrypts(login, sam, downtown, participant):
    contact = log(sam, downtown, participant, note="Sleeps by the river")
    response = login(sam).get(reverse("outreach:edit", args=[contact.pk]))
    assert "Sleeps by the river" in response.content.decode()
    entry = views_by(sam).get()
    assert (entry.participant, entry.object_type, entry.object_id) == (
        participant,
        "outreach.encounter",
        str(contact.pk),
    )
    assert entry.page == "contact edit form"


def test_a_redirect_shows_nothing_and_writes_no_read(login, sue, sam, downtown, participant):
    duplicate = Participant.objects.create(alias="Dupe", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    response = login(sam).get(reverse("participants:detail", args=[duplicate.pk]))
    assert response.status_code == 302
    assert not views_by(sam).exists()


def test_a_saved_contact_is_a_write_not_a_read(login, sam, downtown, participant):
    client = login(sam)
    response = client.post(
        reverse("outreach:quick_log_for", args=[participant.pk]),
        {
            "client_uuid": str(uuid.uuid4()),
            "site": downtown.pk,
            "contact_type": "fixed",
            "participant": participant.pk,
        },
    )
    assert response.status_code == 302
    assert not views_by(sam).exists()
    assert AuditEntry.objects.filter(user=sam, action=AuditEntry.Action.CREATE).exists()


def test_another_sites_contact_is_refused_and_writes_nothing(
    login, olga, sam, downtown, participant
):
    contact = log(sam, downtown, participant, note="Private")
    for name in ("outreach:saved", "outreach:edit", "overdose:naloxone"):
        response = login(olga).get(reverse(name, args=[contact.pk]))
        assert response.status_code == 403, name
    assert not views_by(olga).exists()


def test_the_timeline_names_linked_duplicates_it_shows(login, sue, sam, downtown, participant):
    duplicate = Participant.objects.create(alias="Dupe", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    log(sam, downtown, participant, note="Kept note")
    login(sam).get(reverse("participants:detail", args=[participant.pk]))
    pages = dict(views_by(sam).values_list("participant_id", "page"))
    assert pages == {
        participant.pk: "participant timeline",
        duplicate.pk: "participant timeline (linked record)",
    }
    assert views_by(sam).get(participant=participant).detail == {"notes_shown": 1}


@pytest.mark.parametrize("persona", ["ana", "adam"])
def test_analysts_and_admins_are_refused_by_every_loader(
    request, persona, sam, downtown, participant
):
    user = request.getfixturevalue(persona)
    contact = log(sam, downtown, participant, note="Private")
    web_request = RequestFactory().get("/")
    web_request.user = user
    loaders = [
        (access.get_participant_for_user, participant.pk),
        (access.get_encounter_for_user, contact.pk),
    ]
    for loader, pk in loaders:
        with pytest.raises(PermissionDenied):
            loader(web_request, pk, page="test")
    assert not getattr(web_request, access._READS, None)


def test_pages_without_a_participant_keep_their_cache_headers(login, ana):
    response = login(ana).get(reverse("core:home"))
    assert "no-store" not in response.get("Cache-Control", "")


def test_api_lookup_names_the_typed_record_and_the_kept_one(login, sue, sam, downtown, participant):
    duplicate = Participant.objects.create(alias="Dupe", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    response = login(sam).post(
        "/api/v1/participants/lookup",
        {"card_code": duplicate.display_code},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert set(views_by(sam).values_list("participant_id", flat=True)) == {
        participant.pk,
        duplicate.pk,
    }


def test_a_synced_contact_that_names_the_kept_record_audits_it(sue, sam, downtown, participant):
    duplicate = Participant.objects.create(alias="Dupe", created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sue)
    record = {
        "kind": "contact",
        "client_uuid": str(uuid.uuid4()),
        "site": downtown.pk,
        "contact_type": "street",
        "participant": duplicate.pk,
    }
    response = api_client(sam).post_json("/api/v1/sync", {"records": [record]})
    [result] = response.json()["results"]
    assert participant.display_code in result["notice"]
    entry = views_by(sam).get()
    assert (entry.participant, entry.page) == (participant, "API sync (linked record)")
    assert "no-store" in response["Cache-Control"]


def test_the_phones_recent_participants_are_audited_each(sam, downtown, participant, rainbow):
    log(sam, downtown, participant)
    log(sam, downtown, rainbow)
    response = api_client(sam).get("/api/v1/participants/recent")
    assert len(response.json()) == 2
    assert sorted(views_by(sam).values_list("participant_id", flat=True)) == sorted(
        [participant.pk, rainbow.pk]
    )
