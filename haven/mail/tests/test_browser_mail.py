"""Naloxone by mail on a phone: a visitor asks in Spanish, logged out; staff fulfil it."""

import io

import pytest
from pypdf import PdfReader

from conftest import PASSWORD
from haven.core.tests.browser import PHONE, assert_accessible, log_in
from haven.mail.models import MailRequest
from haven.overdose.models import OverdoseReport
from haven.supplies.stock import on_hand

pytestmark = pytest.mark.browser


def test_a_visitor_asks_for_naloxone_in_spanish_and_staff_ship_it(
    page, browser, live_server, offers, mail_room, sue_at_mail, catalog
):
    from playwright.sync_api import expect

    page.goto("/public/mail/")
    page.get_by_role("button", name="Español").click()
    expect(
        page.get_by_role("heading", name="Reciba naloxona y suministros por correo")
    ).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Naloxona nasal").select_option("2")
    page.get_by_label("Nombre para la etiqueta").fill("Robin")
    page.get_by_label("Dirección o apartado postal").fill("12 Main Street")
    page.get_by_label("Ciudad").fill("Tempe")
    page.get_by_label("Estado").fill("AZ")
    page.get_by_label("Código postal").fill("8528")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    expect(page.get_by_text("Escriba un código postal de 5 dígitos")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Código postal").fill("85281")
    page.get_by_role("button", name="Enviar mi solicitud").click()
    expect(page.get_by_role("heading", name="Gracias. Recibimos su solicitud.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    request = MailRequest.objects.get()
    assert request.language == "es"

    # Staff, on their own phone.
    staff = browser.new_context(base_url=live_server.url, locale="en-US", **PHONE)
    desk = staff.new_page()
    log_in(desk, "sue", PASSWORD)
    desk.goto("/mail/")
    desk.get_by_role("link", name=request.number).click()
    desk.get_by_role("button", name="Approve").click()
    expect(desk.get_by_text(f"{request.number} approved.")).to_be_visible()
    desk.get_by_role("button", name="Pack (draw the stock)").click()
    expect(desk.get_by_text(f"{request.number} packed; stock drawn.")).to_be_visible()
    assert on_hand(mail_room, catalog["naloxone"]) == 8

    label = desk.get_by_role("link", name="Print the label and packing slip")
    response = staff.request.get(label.get_attribute("href"))
    assert response.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.body())).pages
    assert "Robin" in pages[0].extract_text() and "Tempe AZ 85281" in pages[0].extract_text()

    desk.get_by_label("Tracking number").fill("9400 1111 2222")
    desk.get_by_role("button", name="Mark shipped").click()
    expect(desk.get_by_text(f"{request.number} shipped.")).to_be_visible()
    assert_accessible(desk)
    request.refresh_from_db()
    assert (request.status, request.tracking_number) == ("shipped", "9400 1111 2222")
    staff.close()


def test_the_guide_and_the_reversal_form_work_on_a_phone(page):
    from playwright.sync_api import expect

    page.goto("/public/mail/guide/")
    expect(page.get_by_role("heading", name="What to do in an overdose")).to_be_visible()
    expect(page.get_by_role("img", name="A phone showing 911")).to_be_visible()
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    assert_accessible(page)
    page.goto("/public/mail/reversal/")
    assert_accessible(page)
    page.get_by_label("City").fill("Tempe")
    page.get_by_label("State").fill("AZ")
    page.get_by_label("ZIP code").fill("85281")
    page.get_by_label("Date it happened").fill("2026-01-02")
    page.get_by_label("How many doses did you give?").fill("2")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("link", name="Get a free, confidential refill by mail")).to_be_visible()
    assert OverdoseReport.objects.get().naloxone_doses == 2
    page.get_by_role("link", name="Get a free, confidential refill by mail").click()
    expect(
        page.get_by_label("Have you seen an overdose in the last 3 months? (optional)")
    ).to_have_value("yes")
