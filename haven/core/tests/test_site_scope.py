"""Record scope "site": every URL, as every role, never shows a participant of other sites.

The same walk as the audit sweep (every route of the resolver, each path
parameter filled with real ids), with HAVEN_RECORD_SCOPE = "site" and one
more participant, Ottoline, known only Downtown: enrolled there, seen there,
referred from there, consented there. Olga works only Eastside: no page or
API endpoint may show her Ottoline's card code, alias or notes. Sam works
Downtown and must find her. Then the writes that take a participant by id or
card code (a contact, a referral, a lookup) are played as Olga.
"""

import uuid

import pytest
from django.urls import get_resolver, reverse

from haven.consents.actions import do_record_consent
from haven.consents.tests.conftest import install_consent_texts
from haven.core import access
from haven.core.models import AuditEntry
from haven.outreach.models import Encounter
from haven.participants import lookup
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant
from haven.resources.actions import do_make_referral
from haven.resources.models import Referral

from .test_audit_sweep import World, concrete_paths, content_of, log, walk


class ScopedWorld(World):
    def __init__(self, personas, downtown, eastside, catalog):
        super().__init__(personas, downtown, eastside, catalog)
        sam = personas["specialist"]
        self.ottoline = Participant.objects.create(
            alias="Ottoline", created_by=sam, enrolled_site=downtown
        )
        self.ottoline_contact = log(sam, downtown, participant=self.ottoline, note="Xnote-otto")
        self.ottoline_referral = do_make_referral(
            participant=self.ottoline,
            resource=self.resource,
            need="counseling",
            by=sam,
            site=downtown,
            note="Xnote-otto-referral",
        )
        install_consent_texts()
        do_record_consent(
            self.ottoline, kind="contact", decision="given", how="spoken", language="en", by=sam
        )

    def ids(self):
        ids = super().ids()
        ids["participant_id"] = [*ids["participant_id"], self.ottoline]
        ids["encounter_id"] = [*ids["encounter_id"], self.ottoline_contact]
        ids["referral_id"] = [*ids["referral_id"], self.ottoline_referral]
        return ids

    def ottoline_giveaways(self):
        return {
            self.ottoline.card_code,
            self.ottoline.display_code,
            "Ottoline",
            "Xnote-otto",
            "Xnote-otto-referral",
        }


@pytest.fixture
def site_scope(settings, world):
    """Site scope, switched on once the records were made (as by a program changing its mind)."""
    settings.HAVEN_RECORD_SCOPE = "site"


@pytest.fixture
def world(personas, downtown, eastside, catalog):
    return ScopedWorld(personas, downtown, eastside, catalog)


def pages_showing_ottoline(client, world):
    """(path, status) of every page whose response shows Ottoline, and how many were visited."""
    giveaways = world.ottoline_giveaways()
    showing, visited = [], 0
    for route in walk(get_resolver().url_patterns):
        for path in concrete_paths(route, world.ids()):
            response = client.get(path)
            visited += 1
            if 300 <= response.status_code < 400:
                continue
            text = content_of(response)
            if any(marker in text for marker in giveaways):
                showing.append(path)
    return showing, visited


def test_in_site_scope_no_page_shows_another_sites_participant(site_scope, world, olga, sam, login):
    showing, visited = pages_showing_ottoline(login(olga), world)
    assert visited > 100
    assert showing == [], f"Olga (Eastside) was shown Ottoline (Downtown) on {showing}"
    # Refusals were written to no audit entry as reads.
    assert not AuditEntry.objects.filter(
        user=olga, action="view", participant=world.ottoline
    ).exists()
    # The walk can see her: Sam, who works Downtown, is shown her.
    showing_sam, _visited = pages_showing_ottoline(login(sam), world)
    for expected in (
        f"/participants/{world.ottoline.pk}/",
        f"/consents/participant/{world.ottoline.pk}/",
        "/resources/referrals/",
    ):
        assert expected in showing_sam, expected


def test_in_program_scope_staff_of_other_sites_open_the_participant(world, olga, login):
    response = login(olga).get(reverse("participants:detail", args=[world.ottoline.pk]))
    assert response.status_code == 200
    assert "Ottoline" in response.content.decode()


def test_in_site_scope_search_does_not_find_another_sites_participant(
    site_scope, world, olga, sam, login
):
    # What she typed is echoed in the search box; the record must not be found.
    record_link = reverse("participants:detail", args=[world.ottoline.pk])
    for typed in ("Ottoline", "ottol", world.ottoline.display_code):
        response = login(olga).post(reverse("participants:find"), {"q": typed})
        assert response.status_code != 302, typed
        assert record_link not in response.content.decode(), typed
    response = login(olga).post(reverse("participants:find"), {"q": "ottol"})
    assert "Ottoline" not in response.content.decode().replace('value="ottol"', "")
    response = login(sam).post(reverse("participants:find"), {"q": world.ottoline.display_code})
    assert response.status_code == 302


def test_in_site_scope_the_api_refuses_another_sites_participant(
    site_scope, world, olga, eastside, login
):
    client = login(olga)
    lookup = client.post(
        "/api/v1/participants/lookup",
        {"card_code": world.ottoline.display_code},
        content_type="application/json",
    )
    # As for a code nobody has (test_site_scope_reads.py compares the two).
    assert lookup.status_code == 404
    assert "Ottoline" not in lookup.content.decode()
    contact = client.post(
        "/api/v1/contacts",
        {
            "client_uuid": str(uuid.uuid4()),
            "site": eastside.pk,
            "contact_type": "mobile",
            "participant": world.ottoline.pk,
        },
        content_type="application/json",
    )
    assert contact.status_code in (400, 403), contact.content
    assert "Ottoline" not in contact.content.decode()
    referral = client.post(
        "/api/v1/referrals",
        {
            "client_uuid": str(uuid.uuid4()),
            "card_code": world.ottoline.display_code,
            "resource": world.resource.pk,
            "need": "counseling",
            "site": eastside.pk,
        },
        content_type="application/json",
    )
    assert referral.status_code in (400, 403), referral.content
    assert not Encounter.objects.filter(participant=world.ottoline, staff=olga).exists()
    assert not Referral.objects.filter(participant=world.ottoline, made_by=olga).exists()


def test_in_site_scope_a_manager_opens_every_sites_participant(
    site_scope, world, max_manager, login
):
    response = login(max_manager).get(reverse("participants:detail", args=[world.ottoline.pk]))
    assert response.status_code == 200


def test_seen_at_my_site_brings_a_participant_into_my_scope(
    site_scope, world, olga, sam, eastside, login
):
    # Quillon was enrolled at Eastside and seen Downtown by Sue: both sites know him.
    assert (
        login(sam).get(reverse("participants:detail", args=[world.quillon.pk])).status_code == 200
    )
    assert (
        login(olga).get(reverse("participants:detail", args=[world.quillon.pk])).status_code == 200
    )


def test_in_site_scope_a_supervisor_cannot_link_another_sites_participant(
    site_scope, world, sue, olga, eastside, login
):
    eastside_only = Participant.objects.create(created_by=olga, enrolled_site=eastside)
    response = login(sue).post(
        reverse("participants:merge"),
        {
            "duplicate_code": eastside_only.display_code,
            "keeper_code": world.zephyrine.display_code,
        },
    )
    # Answered as a code nobody has (test_site_scope_writes.py compares the two).
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "duplicate_code": [f"No participant has the card code {eastside_only.display_code}."]
    }
    eastside_only.refresh_from_db()
    assert eastside_only.merged_into is None


def test_in_site_scope_a_person_is_mine_through_any_of_their_linked_records(
    settings, sam, olga, sue, downtown, eastside
):
    # Kept Downtown, with one duplicate enrolled Downtown and one at Eastside.
    keeper = Participant.objects.create(created_by=sam, enrolled_site=downtown)
    downtown_duplicate = Participant.objects.create(created_by=sam, enrolled_site=downtown)
    eastside_duplicate = Participant.objects.create(created_by=olga, enrolled_site=eastside)
    stranger = Participant.objects.create(created_by=sam, enrolled_site=downtown)
    do_merge_participants(duplicate=downtown_duplicate, keeper=keeper, by=sue)
    do_merge_participants(duplicate=eastside_duplicate, keeper=keeper, by=sue)
    settings.HAVEN_RECORD_SCOPE = "site"
    everyone = [keeper, downtown_duplicate, eastside_duplicate, stranger]
    for record in everyone:
        record.refresh_from_db()
        mine = record != stranger
        assert access.may_open_participant(olga, record) is mine
        found = lookup.by_card_code_for(olga, record.card_code)
        assert found == (record if mine else None)
    assert access.openable_ids(olga, everyone) == {
        keeper.pk,
        downtown_duplicate.pk,
        eastside_duplicate.pk,
    }
