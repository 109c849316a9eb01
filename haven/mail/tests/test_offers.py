"""Managers set up what is offered by mail, on a Haven page, audited; no other role may."""

import pytest
from django.test import Client
from django.urls import reverse

from haven.core.models import AuditEntry
from haven.mail.models import MailOffer
from haven.supplies.models import Item

OFFERS = reverse("mail:offers")
NEW = reverse("mail:offer_new")


def edit_url(offer):
    return reverse("mail:offer_edit", kwargs={"offer_id": offer.pk})


def offer_post(item, **overrides):
    return {
        "item": item.pk,
        "most_per_request": "3",
        "active": "on",
        "sort_order": "5",
        **overrides,
    }


def test_a_manager_offers_an_item_by_mail_and_the_public_form_shows_it(login, max_manager, catalog):
    response = login(max_manager).post(NEW, offer_post(catalog["naloxone"]))
    assert response.status_code == 302
    offer = MailOffer.objects.get()
    assert (offer.item, offer.most_per_request, offer.active, offer.sort_order) == (
        catalog["naloxone"],
        3,
        True,
        5,
    )
    entry = AuditEntry.objects.get(object_type="mail.mailoffer", object_id=str(offer.pk))
    assert entry.user == max_manager and entry.action == AuditEntry.Action.CREATE
    public = Client().get(reverse("mail_public:request")).content.decode()
    assert f'name="item_{catalog["naloxone"].pk}"' in public
    assert '<option value="3">3</option>' in public
    assert '<option value="4">' not in public


def test_a_change_is_audited_with_what_changed(login, max_manager, catalog):
    offer = MailOffer.objects.create(item=catalog["naloxone"], most_per_request=2, sort_order=1)
    response = login(max_manager).post(
        edit_url(offer), offer_post(catalog["naloxone"], most_per_request="4", sort_order="1")
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.most_per_request == 4
    entry = AuditEntry.objects.filter(object_type="mail.mailoffer").get()
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.detail["changed"] == {"most_per_request": [2, 4]}


def test_switching_an_offer_off_takes_it_off_the_public_form(login, max_manager, catalog):
    offer = MailOffer.objects.create(item=catalog["naloxone"])
    post = offer_post(catalog["naloxone"])
    del post["active"]
    assert login(max_manager).post(edit_url(offer), post).status_code == 302
    offer.refresh_from_db()
    assert not offer.active
    public = Client().get(reverse("mail_public:request")).content.decode()
    assert f'name="item_{catalog["naloxone"].pk}"' not in public


def test_an_item_offered_twice_is_refused_with_a_message(login, max_manager, catalog):
    MailOffer.objects.create(item=catalog["naloxone"])
    response = login(max_manager).post(
        NEW, offer_post(catalog["naloxone"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "already offered by mail" in response.content.decode()
    assert MailOffer.objects.count() == 1
    assert not AuditEntry.objects.filter(object_type="mail.mailoffer").exists()


@pytest.mark.parametrize("most", ["0", "-1", "x", ""])
def test_a_wrong_most_per_request_is_refused_and_nothing_is_saved(
    login, max_manager, catalog, most
):
    response = login(max_manager).post(NEW, offer_post(catalog["naloxone"], most_per_request=most))
    assert response.status_code == 400
    assert not MailOffer.objects.exists()


def test_an_inactive_item_cannot_be_offered_anew(login, max_manager, catalog):
    retired = Item.objects.create(name="Old kit", category="other", active=False)
    response = login(max_manager).post(NEW, offer_post(retired))
    assert response.status_code == 400
    assert not MailOffer.objects.exists()


def test_the_catalog_shows_what_the_mail_stock_holds(login, max_manager, offers, mail_room):
    page = login(max_manager).get(OFFERS).content.decode()
    assert "Naloxone" in page and "Fentanyl test strips" in page
    assert "<td>10</td>" in page and "<td>50</td>" in page


def test_the_catalog_says_when_there_is_no_mail_stock_location(login, max_manager, offers):
    page = login(max_manager).get(OFFERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "There is no mail stock location yet" in page


def test_the_catalog_page_is_in_spanish(login, max_manager, offers):
    page = login(max_manager).get(OFFERS, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Lo que enviamos por correo" in page


@pytest.mark.parametrize(
    "role", ["specialist", "other_site_specialist", "supervisor", "analyst", "admin"]
)
def test_other_roles_cannot_change_the_catalog(role, personas, login, catalog):
    offer = MailOffer.objects.create(item=catalog["naloxone"], most_per_request=2)
    client = login(personas[role])
    assert client.get(OFFERS).status_code == 403
    assert client.post(NEW, offer_post(catalog["syringes"])).status_code == 403
    assert (
        client.post(
            edit_url(offer), offer_post(catalog["naloxone"], most_per_request="9")
        ).status_code
        == 403
    )
    offer.refresh_from_db()
    assert offer.most_per_request == 2
    assert MailOffer.objects.count() == 1
