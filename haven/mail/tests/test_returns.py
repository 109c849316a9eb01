"""A returned package: its kits go back into the mail stock, or out as lost; exactly once."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from haven.core.models import AuditEntry
from haven.mail import actions
from haven.mail.models import MailRequest
from haven.reports.models import DailySupply
from haven.supplies.models import Lot, StockMovement
from haven.supplies.stock import on_hand

from .conftest import request_data

Status = MailRequest.Status
Kind = StockMovement.Kind


@pytest.fixture
def shipped(offers, mail_room, mia, sue):
    request = actions.do_submit_request(request_data(offers, naloxone=2, strips=5))
    actions.do_approve_request(request, by=sue)
    actions.do_pack_request(request, by=mia)
    actions.do_ship_request(request, by=mia, tracking_number="T1")
    return MailRequest.objects.get(pk=request.pk)


def handed_out(item):
    return DailySupply.objects.filter(item=item).aggregate(n=Sum("quantity"))["n"] or 0


def test_restocked_kits_come_back_into_their_lots_and_are_no_longer_handed_out(
    shipped, mail_room, mia, catalog, strips
):
    assert (on_hand(mail_room, catalog["naloxone"]), on_hand(mail_room, strips)) == (8, 45)
    assert handed_out(catalog["naloxone"]) == 2
    drawn = {m.pk: m for m in StockMovement.objects.filter(encounter=shipped.encounter)}

    actions.do_finish_request(shipped, by=mia, status=Status.RETURNED, returned_kits="restocked")

    shipped.refresh_from_db()
    assert (shipped.status, shipped.returned_kits) == (Status.RETURNED, "restocked")
    assert (on_hand(mail_room, catalog["naloxone"]), on_hand(mail_room, strips)) == (10, 50)
    reversals = StockMovement.objects.filter(kind=Kind.REVERSAL, location=mail_room)
    assert sorted((r.reverses_id, r.lot_id, r.quantity) for r in reversals) == sorted(
        (m.pk, m.lot_id, -m.quantity) for m in drawn.values()
    )
    assert Lot.objects.get(pk=reversals.get(item=strips).lot_id).number == "S1"
    # The kits never reached anyone: the mail contact no longer counts them.
    assert not shipped.encounter.supplies.exists()
    assert handed_out(catalog["naloxone"]) == 0 and handed_out(strips) == 0
    assert not StockMovement.objects.filter(kind=Kind.DISPOSE).exists()
    assert AuditEntry.objects.filter(
        object_type="mail.mailrequest", object_id=str(shipped.pk), detail__returned_kits="restocked"
    ).exists()


def test_kits_of_an_opened_package_leave_the_stock_as_lost_not_as_handed_out(
    shipped, mail_room, mia, catalog, strips
):
    actions.do_finish_request(shipped, by=mia, status=Status.RETURNED, returned_kits="lost")

    assert (on_hand(mail_room, catalog["naloxone"]), on_hand(mail_room, strips)) == (8, 45)
    disposed = StockMovement.objects.filter(kind=Kind.DISPOSE, location=mail_room)
    assert sorted(disposed.values_list("item__name", "quantity")) == [
        ("Fentanyl test strips", -5),
        ("Naloxone nasal spray", -2),
    ]
    assert all(shipped.number in reason for reason in disposed.values_list("reason", flat=True))
    assert handed_out(catalog["naloxone"]) == 0
    # Each move of stock is audited like any disposal.
    assert AuditEntry.objects.filter(object_type="supplies.stockmovement").count() >= 2


def test_a_return_is_taken_once_however_often_it_is_sent(
    shipped, mail_room, mia, login, catalog, strips
):
    client = login(mia)
    url = f"/mail/{shipped.pk}/returned/"
    assert client.post(url, {"returned_kits": "restocked"}).status_code == 302
    assert client.post(url, {"returned_kits": "restocked"}).status_code == 302
    assert client.post(url, {"returned_kits": "lost"}).status_code == 302
    with pytest.raises(ValidationError):
        actions.do_finish_request(shipped, by=mia, status=Status.RETURNED, returned_kits="lost")
    assert (on_hand(mail_room, catalog["naloxone"]), on_hand(mail_room, strips)) == (10, 50)
    assert StockMovement.objects.filter(kind=Kind.REVERSAL).count() == 2
    assert not StockMovement.objects.filter(kind=Kind.DISPOSE).exists()
    assert MailRequest.objects.get(pk=shipped.pk).returned_kits == "restocked"


@pytest.mark.parametrize("choice", ["", "maybe"])
def test_a_return_without_saying_what_became_of_the_kits_changes_nothing(
    shipped, mail_room, mia, login, catalog, choice
):
    response = login(mia).post(
        f"/mail/{shipped.pk}/returned/", {"returned_kits": choice}, follow=True
    )
    assert "Say whether the kits go back into stock or were lost." in response.content.decode()
    with pytest.raises(ValidationError):
        actions.do_finish_request(shipped, by=mia, status=Status.RETURNED, returned_kits=choice)
    assert MailRequest.objects.get(pk=shipped.pk).status == Status.SHIPPED
    assert on_hand(mail_room, catalog["naloxone"]) == 8
    assert not StockMovement.objects.filter(kind=Kind.REVERSAL).exists()


def test_a_delivered_package_keeps_its_kits_handed_out(shipped, mail_room, mia, catalog):
    actions.do_finish_request(shipped, by=mia, status=Status.DELIVERED)
    assert on_hand(mail_room, catalog["naloxone"]) == 8
    assert handed_out(catalog["naloxone"]) == 2
    assert MailRequest.objects.get(pk=shipped.pk).returned_kits == ""


def test_the_request_page_offers_both_choices_in_spanish(shipped, mia, login):
    page = login(mia).get(f"/mail/{shipped.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'name="returned_kits"' in page
    assert "Devolver al almacén de correo" in page
