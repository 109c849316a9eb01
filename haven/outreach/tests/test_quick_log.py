import uuid

import pytest
from django.urls import reverse

from haven.api.sync import KINDS
from haven.outreach.models import Encounter, EncounterSupply
from haven.participants import codes
from haven.supplies.models import Item

LOG = reverse("outreach:quick_log")


def form_data(site, catalog, **extra):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "site": site.pk,
        "contact_type": "fixed",
        f"supply_{catalog['syringes'].pk}": "20",
        f"supply_{catalog['naloxone'].pk}": "1",
        "services": [catalog["support"].pk],
        "secondary_people": "2",
    }
    data.update(extra)
    return data


def test_the_form_defaults_to_the_users_site_and_a_fresh_uuid(login, sam, downtown, catalog):
    response = login(sam).get(LOG)
    form = response.context["form"]
    assert form.initial["site"] == downtown.pk
    assert form.initial["contact_type"] == "fixed"
    assert isinstance(form.initial["client_uuid"], uuid.UUID)
    assert "Naloxone nasal spray" in response.content.decode()
    assert "Old pipes" not in response.content.decode()


def test_the_pages_own_post_is_told_where_the_saved_contact_is(
    login, sam, downtown, participant, catalog
):
    # outbox.js posts the form itself and opens the saved page, so that the
    # "Contact saved." message is not spent on a redirect it follows.
    data = form_data(downtown, catalog, card_code=participant.card_code)
    response = login(sam).post(LOG, data, headers={"HX-Request": "true"})
    encounter = Encounter.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("outreach:saved", args=[encounter.pk])
    refused = login(sam).post(LOG, form_data(downtown, catalog), headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert "HX-Redirect" not in refused


def test_logging_a_contact_by_card_code(login, sam, downtown, participant, catalog):
    data = form_data(downtown, catalog, card_code=codes.format_code(participant.card_code))
    response = login(sam).post(LOG, data)
    encounter = Encounter.objects.get()
    assert response.url == reverse("outreach:saved", args=[encounter.pk])
    assert encounter.participant == participant
    assert encounter.secondary_people == 2
    assert {line.item_id: line.quantity for line in encounter.supplies.all()} == {
        catalog["syringes"].pk: 20,
        catalog["naloxone"].pk: 1,
    }


def test_picking_a_recent_participant(login, sam, downtown, participant, catalog):
    client = login(sam)
    client.post(LOG, form_data(downtown, catalog, card_code=participant.card_code))
    # The screen the phone keeps names nobody: the phone lists the recent
    # participants from what it keeps sealed (quick_log.js), and posts the one picked.
    page = client.get(LOG).content.decode()
    assert participant.display_code not in page and participant.alias not in page
    client.post(LOG, form_data(downtown, catalog, participant=participant.pk))
    assert Encounter.objects.filter(participant=participant).count() == 2


def test_the_quick_log_for_one_participant_names_them_alone(
    login, sam, downtown, participant, catalog
):
    from haven.participants.models import Participant

    other = Participant.objects.create(alias="Moon", created_by=sam, enrolled_site=downtown)
    client = login(sam)
    client.post(LOG, form_data(downtown, catalog, card_code=other.card_code))
    page = client.get(reverse("outreach:quick_log_for", args=[participant.pk])).content.decode()
    assert f"Sunny · {participant.display_code}" in page
    assert other.display_code not in page and "Moon" not in page


def test_a_double_submitted_form_is_stored_once(login, sam, downtown, participant, catalog):
    client = login(sam)
    data = form_data(downtown, catalog, card_code=participant.card_code)
    first = client.post(LOG, data)
    second = client.post(LOG, data, follow=True)
    assert Encounter.objects.count() == 1
    assert second.redirect_chain[0][0] == first.url
    assert "already saved" in second.content.decode()


def test_anonymous_contact_with_a_count(login, sam, downtown, catalog):
    login(sam).post(LOG, form_data(downtown, catalog, anonymous="on", anonymous_people="3"))
    encounter = Encounter.objects.get()
    assert encounter.participant is None
    assert encounter.people_served == 3


def test_a_mistyped_card_code_is_shown_next_to_the_field(login, sam, downtown, catalog):
    response = login(sam).post(LOG, form_data(downtown, catalog, card_code="ABDCEF" + "2"))
    assert response.status_code == 400
    assert "card_code" in response.context["form"].errors
    assert "typo" in response.context["form"].errors["card_code"][0]
    assert Encounter.objects.count() == 0


def test_an_unknown_card_code_says_so(login, sam, downtown, catalog):
    unknown = codes.generate()
    response = login(sam).post(LOG, form_data(downtown, catalog, card_code=unknown))
    assert "No participant has the card code" in response.context["form"].errors["card_code"][0]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"supply_QTY": "-3"}, "supply_QTY", "greater than or equal to 0"),
        ({"secondary_people": "9999"}, "secondary_people", "less than or equal to 200"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "future"),
        ({"note": "n" * 4001}, "note", "at most 4000"),
        ({"site": "999999"}, "site", "Select a valid choice"),
        ({"anonymous": "on"}, "anonymous_people", "how many people"),
        ({}, "card_code", "Enter a card code"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_nothing_saved(
    login, sam, downtown, participant, catalog, extra, field, message
):
    extra = {key.replace("QTY", str(catalog["syringes"].pk)): v for key, v in extra.items()}
    field = field.replace("QTY", str(catalog["syringes"].pk))
    data = form_data(downtown, catalog)
    data.update(extra)
    if field != "card_code" and "anonymous" not in extra:
        data["card_code"] = participant.card_code
    response = login(sam).post(LOG, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    text = " ".join(errors.get(field, []))
    assert message in text, errors
    assert Encounter.objects.count() == 0
    assert EncounterSupply.objects.count() == 0


def test_a_refused_form_is_shown_again_with_every_supply_and_what_was_typed(
    login, sam, downtown, catalog
):
    # A posted form makes quantity fields only for what it was sent; shown
    # again, it offers the whole catalog, the typed quantities kept.
    pads = Item.objects.create(name="Alcohol pads", category="hygiene")
    data = form_data(downtown, catalog, card_code="ABDCEF2")
    data[f"supply_{catalog['naloxone'].pk}"] = ""
    response = login(sam).post(LOG, data)
    assert response.status_code == 400
    shown = {item.name: field.value() for item, field in response.context["form"].supply_fields()}
    assert shown == {"Naloxone nasal spray": "", "Syringes 1cc": "20", "Alcohol pads": None}
    page = response.content.decode()
    for item in (catalog["naloxone"], catalog["syringes"], pads):
        assert f'name="supply_{item.pk}"' in page


def test_an_absurd_quantity_is_refused_with_the_item_named(
    login, sam, downtown, participant, catalog
):
    data = form_data(downtown, catalog, card_code=participant.card_code)
    data[f"supply_{catalog['naloxone'].pk}"] = "50"
    response = login(sam).post(LOG, data)
    assert response.status_code == 400
    assert "Naloxone nasal spray: 50 is more than 10" in response.content.decode()
    assert Encounter.objects.count() == 0


def test_editing_a_contact_from_the_form_keeps_history(login, sam, downtown, participant, catalog):
    client = login(sam)
    client.post(LOG, form_data(downtown, catalog, card_code=participant.card_code, note="One"))
    encounter = Encounter.objects.get()
    edit_url = reverse("outreach:edit", args=[encounter.pk])
    form = client.get(edit_url).context["form"]
    assert form.initial["note"] == "One"
    data = form_data(downtown, catalog, card_code=participant.card_code, note="Two")
    response = client.post(edit_url, data)
    assert response.status_code == 302
    encounter.refresh_from_db()
    assert encounter.note == "Two"
    assert encounter.revisions.count() == 1
    assert Encounter.objects.count() == 1


def test_another_specialist_of_the_site_cannot_edit_my_contact(
    login, sam, downtown, participant, catalog
):
    from conftest import make_user

    colleague = make_user("cat", "specialist", [downtown])
    login(sam).post(LOG, form_data(downtown, catalog, card_code=participant.card_code))
    encounter = Encounter.objects.get()
    response = login(colleague).get(reverse("outreach:edit", args=[encounter.pk]))
    assert response.status_code == 403


def test_quick_log_page_uses_a_bounded_number_of_queries(
    login, sam, downtown, participant, catalog, django_assert_max_num_queries
):
    client = login(sam)
    for _ in range(5):
        client.post(LOG, form_data(downtown, catalog, card_code=participant.card_code))
    with django_assert_max_num_queries(15):
        client.get(LOG)


def test_the_outbox_can_say_what_each_kind_of_record_was(login, sam, downtown):
    """A record Haven holds already is named by kind and time on the phone (outbox.js),
    never by its UUID or its person: every kind the phone may send has its words."""
    messages = login(sam).get(LOG).context["offline_messages"]
    for kind in [*KINDS, "other"]:
        assert "%(time)s" in messages["made"][kind]
    assert messages["already_saved"] == (
        "Already saved from another phone or an earlier send with different details. "
        "Check the saved record; then discard this copy."
    )


def test_the_outbox_says_in_spanish_what_a_record_held_back_waits_for(login, sam, downtown):
    """A record held back behind its contact or an enrolment says so on its outbox line
    (outbox.js whatItWaitsFor), in the worker's language: the page carries the words."""
    client = login(sam)
    english = client.get(LOG, HTTP_ACCEPT_LANGUAGE="en").context["offline_messages"]
    spanish = client.get(LOG, HTTP_ACCEPT_LANGUAGE="es").context["offline_messages"]
    assert english["waits_for"] == {
        "contact": "Waits for its contact",
        "enrolment": "Waits for the enrolment of %(code)s",
    }
    assert spanish["waits_for"] == {
        "contact": "Espera a su contacto",
        "enrolment": "Espera a la inscripción de %(code)s",
    }
