"""The quick-log journey on a phone, in a real browser against the live server."""

import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import assert_accessible, log_in
from haven.outreach.actions import EncounterData, do_record_encounter
from haven.outreach.models import Encounter
from haven.participants import codes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mistyped(card_code):
    """The code with its last character changed: the kind of slip the check character catches."""
    wrong = next(symbol for symbol in codes.ALPHABET if symbol != card_code[-1])
    return codes.format_code(card_code[:-1] + wrong)


def supplies_of(encounter):
    return {line.item.name: line.quantity for line in encounter.supplies.all()}


def test_specialist_logs_a_contact_for_a_participant_found_by_card_code(
    page, sam, downtown, participant, catalog
):
    log_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Participants").click()
    # Typed as people type codes: lower case, no dash.
    page.get_by_label("Card code, UIC or alias").fill(participant.card_code.lower())
    page.get_by_role("button", name="Find").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(participant.display_code)
    expect(page.get_by_text("No contacts yet.")).to_be_visible()
    page.get_by_role("link", name="Log a contact", exact=True).tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    expect(page.get_by_label(f"Sunny · {participant.display_code}")).to_be_checked()
    more_naloxone = page.get_by_role("button", name="One more Naloxone nasal spray")
    more_syringes = page.get_by_role("button", name="One more Syringes 1cc")
    more_naloxone.tap()
    more_naloxone.tap()
    for _ in range(3):
        more_syringes.tap()
    page.get_by_role("button", name="One less Syringes 1cc").tap()
    expect(page.get_by_role("spinbutton", name="Naloxone nasal spray")).to_have_value("2")
    expect(page.get_by_role("spinbutton", name="Syringes 1cc")).to_have_value("2")
    page.get_by_label("Emotional support").check()
    page.get_by_role("button", name="Save contact").tap()

    expect(page.get_by_role("status")).to_have_text("Contact saved.")
    assert_accessible(page)
    page.get_by_role("link", name=participant.display_code).click()
    timeline = page.locator("ol.timeline > li")
    expect(timeline).to_have_count(1)
    expect(timeline).to_contain_text("2 × Naloxone nasal spray")
    expect(timeline).to_contain_text("2 × Syringes 1cc")
    expect(timeline).to_contain_text("Emotional support")
    expect(timeline).to_contain_text("Downtown · sam")
    totals = page.get_by_role("table", name="Total supplies received")
    expect(totals.get_by_role("row", name="Naloxone nasal spray 2")).to_be_visible()

    encounter = Encounter.objects.get()
    assert encounter.participant == participant
    assert encounter.staff == sam
    assert encounter.site == downtown
    assert supplies_of(encounter) == {"Naloxone nasal spray": 2, "Syringes 1cc": 2}
    assert list(encounter.services.all()) == [catalog["support"]]


def test_anonymous_contact_needs_and_keeps_a_count_of_people(page, sam, catalog):
    log_in(page, "sam", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log contact").click()
    page.get_by_label("Anonymous contact").check()
    page.get_by_role("button", name="One more Syringes 1cc").tap()
    page.get_by_role("button", name="Save contact").tap()

    people = page.get_by_label("How many people")
    expect(page.get_by_text("Enter how many people (at least 1).")).to_be_visible()
    expect(people).to_have_attribute("aria-invalid", "true")
    # What was entered survives the round trip.
    expect(page.get_by_label("Anonymous contact")).to_be_checked()
    expect(page.get_by_role("spinbutton", name="Syringes 1cc")).to_have_value("1")
    assert not Encounter.objects.exists()
    assert_accessible(page)

    people.fill("3")
    page.get_by_role("button", name="Save contact").tap()

    expect(page.get_by_role("status")).to_have_text("Contact saved.")
    expect(page.get_by_text("Anonymous, 3 people")).to_be_visible()
    expect(page.get_by_text("1 × Syringes 1cc")).to_be_visible()
    encounter = Encounter.objects.get()
    assert encounter.participant is None
    assert encounter.anonymous_people == 3
    assert supplies_of(encounter) == {"Syringes 1cc": 1}


def test_mistyped_card_code_is_called_a_typo_next_to_the_field(page, sam, participant, catalog):
    typo = mistyped(participant.card_code)
    log_in(page, "sam", PASSWORD)

    page.goto("/participants/")
    search = page.get_by_label("Card code, UIC or alias")
    search.fill(typo)
    page.get_by_role("button", name="Find").click()
    expect(search).to_have_attribute("aria-invalid", "true")
    expect(search).to_have_accessible_description(re.compile(r"typo"))
    expect(page.get_by_role("alert")).to_contain_text(f"“{typo}” is not a valid card code")
    expect(page.get_by_role("heading", name="Matches")).to_have_count(0)
    assert_accessible(page)

    page.goto("/outreach/log/")
    card_code = page.get_by_label("Card code")
    card_code.fill(typo)
    page.get_by_role("button", name="One more Naloxone nasal spray").tap()
    page.get_by_role("button", name="Save contact").tap()
    expect(card_code).to_have_attribute("aria-invalid", "true")
    expect(card_code).to_have_accessible_description(re.compile(r"typo"))
    expect(card_code).to_have_value(typo)
    assert_accessible(page)
    assert not Encounter.objects.exists()


def test_field_pages_pass_axe(page, sam, downtown, participant, catalog):
    do_record_encounter(
        EncounterData(
            client_uuid="8a0c1a43-6f1e-4d7e-9b55-0c1f3d1e2a10",
            site=downtown,
            contact_type=Encounter.ContactType.FIXED,
            participant=participant,
            services=[catalog["support"]],
            supplies={catalog["naloxone"]: 1},
            secondary_people=2,
            note="Asked about housing.",
        ),
        staff=sam,
    )
    page.goto("/accounts/login/")
    assert_accessible(page)
    log_in(page, "sam", PASSWORD)
    assert_accessible(page)

    page.goto("/outreach/log/")
    expect(page.get_by_label(f"Sunny · {participant.display_code}")).to_be_visible()
    assert_accessible(page)

    page.goto("/participants/")
    assert_accessible(page)

    page.goto(f"/participants/{participant.pk}/")
    expect(page.get_by_text("Asked about housing.")).to_be_visible()
    expect(page.get_by_text("Also for 2 other people")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Card").click()
    expect(page.get_by_role("img", name=participant.display_code)).to_be_visible()
    expect(page.get_by_role("paragraph").filter(has_text=participant.display_code)).to_be_visible()
    assert_accessible(page)


def test_spanish_speaker_switches_language_and_logs_a_contact(page, sam, participant, catalog):
    log_in(page, "sam", PASSWORD)
    page.goto(f"/participants/{participant.pk}/")
    page.get_by_role("button", name="Español").tap()

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="English")).to_be_visible()
    page.get_by_role("link", name="Registrar un contacto", exact=True).tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("Registrar un contacto")
    # Items and services show the program's Spanish names.
    naloxone = page.locator(".qty-row").filter(has=page.get_by_text("Naloxona nasal", exact=True))
    naloxone.locator("button[data-step='1']").tap()
    expect(naloxone.get_by_role("spinbutton")).to_have_value("1")
    page.get_by_label("Apoyo emocional").check()
    assert_accessible(page)
    page.get_by_role("button", name="Guardar contacto").tap()

    expect(page.get_by_role("status")).to_have_text("Contacto guardado.")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    encounter = Encounter.objects.get()
    assert encounter.participant == participant
    assert supplies_of(encounter) == {"Naloxone nasal spray": 1}
    assert list(encounter.services.all()) == [catalog["support"]]
