"""Part 2 mode: consents for disclosure have the 42 CFR 2.31 elements; disclosures, the notice."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from haven.consents.models import Consent, Disclosure, Kind
from haven.consents.rules import PART2_NOTICE, missing_part2_elements
from haven.resources.actions import do_make_referral

from .conftest import PART2_ELEMENTS


@pytest.fixture
def part2(settings):
    settings.HAVEN_PART2_MODE = True


def test_a_consent_with_every_element_is_recorded(part2, participant, clinic, record):
    consent = record(participant, Kind.SHARING, provider=clinic, **PART2_ELEMENTS)
    assert missing_part2_elements(consent) == []
    assert consent.signature == "S."


@pytest.mark.parametrize(
    ("left_out", "field"),
    [
        ({"discloser": ""}, "discloser"),
        ({"information": ""}, "information"),
        ({"purpose": ""}, "purpose"),
        ({"told_of_right_to_revoke": False}, "told_of_right_to_revoke"),
        ({"expiry_event": ""}, "expires_on"),
        ({"signature": ""}, "signature"),
        ({"how": "spoken"}, "how"),
    ],
)
def test_each_missing_element_is_named_and_nothing_is_saved(
    part2, participant, clinic, record, left_out, field
):
    with pytest.raises(ValidationError) as error:
        record(participant, Kind.SHARING, provider=clinic, **{**PART2_ELEMENTS, **left_out})
    assert list(error.value.message_dict) == [field]
    assert "Part 2 needs this" in error.value.message_dict[field][0]
    assert not Consent.objects.exists()


def test_to_whom_is_required_in_part2(part2, participant, record):
    with pytest.raises(ValidationError) as error:
        record(participant, Kind.SHARING, **PART2_ELEMENTS)
    assert "provider" in error.value.message_dict


def test_the_single_consent_for_treatment_payment_and_operations_needs_the_elements(
    part2, participant, record
):
    with pytest.raises(ValidationError):
        record(participant, Kind.TREATMENT_PAYMENT_OPERATIONS)
    record(participant, Kind.TREATMENT_PAYMENT_OPERATIONS, **PART2_ELEMENTS)


def test_consents_that_disclose_nothing_and_refusals_need_no_elements(part2, participant, record):
    record(participant, Kind.CONTACT)
    record(participant, Kind.SHARING, decision="refused")
    assert Consent.objects.count() == 2


def test_outside_part2_mode_a_spoken_consent_to_share_is_enough(participant, record):
    record(participant, Kind.SHARING)


def test_a_referral_that_shares_details_carries_the_notice(
    part2, login, sam, participant, clinic, downtown, record
):
    record(participant, Kind.SHARING, provider=clinic, **PART2_ELEMENTS)
    response = login(sam).post(
        reverse("resources:refer", args=[participant.pk, clinic.pk]),
        {"need": "buprenorphine", "site": downtown.pk, "share_details": "on"},
        follow=True,
    )
    assert str(PART2_NOTICE) in response.content.decode()
    assert Disclosure.objects.get().part2_notice


def test_without_part2_mode_the_referral_carries_no_notice(
    login, sam, participant, clinic, downtown, record
):
    record(participant, Kind.SHARING, provider=clinic)
    do_make_referral(
        participant=participant,
        resource=clinic,
        need="buprenorphine",
        by=sam,
        site=downtown,
        share_details=True,
    )
    referral = Disclosure.objects.get().referral
    page = login(sam).get(reverse("resources:referral", args=[referral.pk])).content.decode()
    assert "42 CFR part 2" not in page
    assert "were shared with Desert Bupe Clinic" in page


def test_the_consent_page_names_the_missing_elements(part2, login, sam, participant, clinic):
    response = login(sam).post(
        reverse("consents:participant", args=[participant.pk]),
        {
            "kind": "sharing",
            "decision": "given",
            "how": "spoken",
            "language": "es",
            "provider": clinic.pk,
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Who may disclose the records." in text
    assert "spoken consent is not enough" in text
    assert not Consent.objects.exists()
