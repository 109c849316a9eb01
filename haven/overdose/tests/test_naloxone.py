"""Naloxone at a contact: first kit or refill comes from history, never typed."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from haven.overdose.actions import do_record_naloxone_details, is_refill
from haven.overdose.models import NaloxoneDistribution
from haven.participants.actions import do_merge_participants
from haven.participants.models import Participant

from .conftest import days_ago


def test_first_naloxone_is_a_first_kit_and_the_next_is_a_refill(
    sam, participant, catalog, log_contact
):
    naloxone = catalog["naloxone"]
    first = log_contact(participant, {naloxone: 1}, when=days_ago(30))
    second = log_contact(participant, {naloxone: 2}, when=days_ago(1))

    assert is_refill(first) is False
    assert is_refill(second) is True
    [detail] = do_record_naloxone_details(second, by=sam, reasons={naloxone.pk: "lost"})
    assert (detail.kits, detail.doses, detail.is_refill) == (2, 4, True)
    assert detail.refill_reason == "lost"
    assert detail.formulation == "nasal"


def test_contacts_without_naloxone_do_not_make_a_refill(sam, participant, catalog, log_contact):
    log_contact(participant, {catalog["syringes"]: 10}, when=days_ago(10))
    today = log_contact(participant, {catalog["naloxone"]: 1})
    assert is_refill(today) is False


def test_a_contact_logged_late_for_an_earlier_day_does_not_count_later_kits(
    participant, catalog, log_contact
):
    log_contact(participant, {catalog["naloxone"]: 1}, when=days_ago(1))
    backdated = log_contact(participant, {catalog["naloxone"]: 1}, when=days_ago(20))
    assert is_refill(backdated) is False


def test_naloxone_given_to_a_linked_duplicate_record_makes_a_refill(
    sam, downtown, participant, catalog, log_contact
):
    duplicate = Participant.objects.create(alias="Sunny B", created_by=sam)
    log_contact(duplicate, {catalog["naloxone"]: 1}, when=days_ago(40))
    do_merge_participants(duplicate=duplicate, keeper=participant, by=sam)
    today = log_contact(participant, {catalog["naloxone"]: 1})
    assert is_refill(today) is True


def test_anonymous_naloxone_is_neither_first_kit_nor_refill(sam, catalog, log_contact):
    contact = log_contact(None, {catalog["naloxone"]: 1})
    [detail] = do_record_naloxone_details(contact, by=sam, reasons={catalog["naloxone"].pk: "used"})
    assert detail.is_refill is None
    assert detail.refill_reason == "used"


def test_a_first_kit_has_no_refill_reason(sam, participant, catalog, log_contact):
    contact = log_contact(participant, {catalog["naloxone"]: 1})
    with pytest.raises(ValidationError) as error:
        do_record_naloxone_details(contact, by=sam, reasons={catalog["naloxone"].pk: "lost"})
    assert "first naloxone kit" in str(error.value)
    assert not NaloxoneDistribution.objects.exists()


def test_specialist_records_the_refill_reason_on_the_contact(
    sam, login, participant, catalog, log_contact
):
    naloxone = catalog["naloxone"]
    log_contact(participant, {naloxone: 1}, when=days_ago(30))
    contact = log_contact(participant, {naloxone: 1})
    client = login(sam)
    url = reverse("overdose:naloxone", args=[contact.pk])

    page = client.get(url)
    assert b"Refill: they have had naloxone from us before." in page.content
    response = client.post(
        url, {f"formulation_{naloxone.pk}": "nasal", f"reason_{naloxone.pk}": "police"}
    )

    assert response.status_code == 302
    detail = NaloxoneDistribution.objects.get()
    assert (detail.encounter, detail.is_refill, detail.refill_reason) == (contact, True, "police")


def test_contact_without_naloxone_says_to_add_it(sam, login, participant, catalog, log_contact):
    contact = log_contact(participant, {catalog["syringes"]: 5})
    response = login(sam).get(reverse("overdose:naloxone", args=[contact.pk]))
    assert b"No naloxone was recorded at this contact." in response.content


def test_naloxone_page_refuses_other_sites_and_analysts(
    olga, ana, adam, login, participant, catalog, log_contact
):
    contact = log_contact(participant, {catalog["naloxone"]: 1})
    url = reverse("overdose:naloxone", args=[contact.pk])
    for user in (olga, ana, adam):
        assert login(user).get(url).status_code == 403
        assert login(user).post(url, {}).status_code == 403
    assert not NaloxoneDistribution.objects.exists()
