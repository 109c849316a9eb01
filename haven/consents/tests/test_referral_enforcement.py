"""A referral shares a participant's details only under a sharing consent in force."""

import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from haven.consents.actions import do_withdraw_consent
from haven.consents.models import Disclosure, Kind
from haven.consents.rules import PART2_NOTICE
from haven.resources.actions import do_make_referral
from haven.resources.models import Referral

from .conftest import PART2_ELEMENTS


def refer(participant, resource, by, site, **kwargs):
    return do_make_referral(
        participant=participant,
        resource=resource,
        need=resource.need_codes()[0],
        by=by,
        site=site,
        **kwargs,
    )


def test_sharing_without_consent_is_refused_and_nothing_is_written(
    participant, clinic, sam, downtown
):
    with pytest.raises(ValidationError) as error:
        refer(participant, clinic, sam, downtown, share_details=True)
    assert "no consent in force to share their details with Desert Bupe Clinic" in str(
        error.value.message_dict["share_details"]
    )
    assert not Referral.objects.exists()
    assert not Disclosure.objects.exists()


def test_a_referral_without_sharing_needs_no_consent(participant, clinic, sam, downtown):
    refer(participant, clinic, sam, downtown)
    assert Referral.objects.count() == 1
    assert not Disclosure.objects.exists()


def test_sharing_under_consent_is_a_disclosure_under_that_consent(
    participant, clinic, sam, downtown, record
):
    consent = record(participant, Kind.SHARING, provider=clinic)
    referral = refer(participant, clinic, sam, downtown, share_details=True)
    disclosure = Disclosure.objects.get()
    assert (disclosure.referral, disclosure.consent, disclosure.recipient) == (
        referral,
        consent,
        "Desert Bupe Clinic",
    )
    assert disclosure.participant == participant and disclosure.made_by == sam
    assert not disclosure.part2_notice


def test_a_consent_for_another_provider_does_not_cover_this_one(
    participant, clinic, shelter, sam, downtown, record
):
    record(participant, Kind.SHARING, provider=shelter)
    with pytest.raises(ValidationError):
        refer(participant, clinic, sam, downtown, share_details=True)


def test_after_withdrawal_sharing_stops_and_past_disclosures_stay(
    participant, clinic, sam, downtown, record
):
    consent = record(participant, Kind.SHARING, provider=clinic)
    refer(participant, clinic, sam, downtown, share_details=True)
    do_withdraw_consent(consent, by=sam)
    with pytest.raises(ValidationError):
        refer(participant, clinic, sam, downtown, share_details=True)
    assert Disclosure.objects.filter(consent=consent).count() == 1
    assert Referral.objects.count() == 1


def test_refer_page_refuses_with_the_reason_and_a_link_to_record_consent(
    login, sam, participant, clinic, downtown
):
    url = reverse("resources:refer", args=[participant.pk, clinic.pk])
    response = login(sam).post(
        url, {"need": "buprenorphine", "site": downtown.pk, "share_details": "on"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "no consent in force to share" in text
    # A small form opens the consent page with the kind and this provider chosen: by POST,
    # so that the provider is not in an address beside the participant's record id.
    consent_page = reverse("consents:participant", args=[participant.pk])
    (button,) = re.findall(r'<form method="post" action="([^"]+)">.*?</form>', text, re.S)
    assert button == consent_page
    assert "provider=" not in text and "?kind" not in text
    prefill = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))
    assert (prefill["prefill"], prefill["kind"], prefill["provider"]) == (
        "1",
        "sharing",
        str(clinic.pk),
    )
    assert not Referral.objects.exists()


def test_refer_page_shares_under_consent_and_the_referral_shows_it(
    login, sam, participant, clinic, downtown, record
):
    record(participant, Kind.SHARING, provider=clinic)
    client = login(sam)
    response = client.post(
        reverse("resources:refer", args=[participant.pk, clinic.pk]),
        {"need": "buprenorphine", "site": downtown.pk, "share_details": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert "were shared with Desert Bupe Clinic" in response.content.decode()
    assert Disclosure.objects.count() == 1


def test_api_refuses_sharing_without_consent_and_says_where_to_record_it(
    login, sam, participant, clinic, downtown
):
    response = login(sam).post(
        "/api/v1/referrals",
        {
            "client_uuid": str(uuid.uuid4()),
            "participant": participant.pk,
            "resource": clinic.pk,
            "need": "buprenorphine",
            "site": downtown.pk,
            "share_details": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "share_details"
    assert f"POST /api/v1/participants/{participant.pk}/consents" in error["detail"]
    assert reverse("consents:participant", args=[participant.pk]) in error["detail"]
    assert not Referral.objects.exists()


def test_api_in_part2_mode_returns_the_notice_with_shared_details(
    login, sam, participant, clinic, downtown, record, settings
):
    settings.HAVEN_PART2_MODE = True
    record(participant, Kind.SHARING, provider=clinic, **PART2_ELEMENTS)
    response = login(sam).post(
        "/api/v1/referrals",
        {
            "client_uuid": str(uuid.uuid4()),
            "participant": participant.pk,
            "resource": clinic.pk,
            "need": "buprenorphine",
            "site": downtown.pk,
            "share_details": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["part2_notice"] == str(PART2_NOTICE)
    assert Disclosure.objects.get().part2_notice
