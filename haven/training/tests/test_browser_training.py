"""A trainer runs a session from a phone; an attendee takes the quiz on theirs,
in Spanish; the trainer sees the change in scores and issues the certificate."""

import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from conftest import PASSWORD
from haven.core.tests.browser import PHONE, assert_accessible, log_in
from haven.training.models import Certificate, Question

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def on_white(png):
    """A screenshot as a camera sees it: the code's light modules are transparent."""
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    white = Image.new("RGBA", image.size, "white")
    return Image.alpha_composite(white, image).convert("L")


def answer_all(page, right):
    for question in Question.objects.prefetch_related("choices"):
        choice = next(c for c in question.choices.all() if c.correct == right)
        page.get_by_role("group", name=question.text_es).get_by_label(choice.text_es).check()


def test_a_trainer_runs_a_session_and_an_attendee_takes_the_quiz_in_spanish(
    page, browser, live_server, sam, downtown
):
    log_in(page, "sam", PASSWORD)
    page.goto("/training/sessions/")
    page.get_by_role("link", name="Start a session").tap()
    page.get_by_label("Topic").select_option(label="Overdose response and naloxone")
    page.get_by_label("Audience").select_option(label="Family and friends")
    page.get_by_label("Language").select_option(label="Spanish")
    page.get_by_label("People present").fill("6")
    assert_accessible(page)
    page.get_by_role("button", name="Save session").tap()
    expect(page.get_by_role("status")).to_contain_text("Session saved.")

    page.get_by_label("Name for a certificate").fill("Rosa Díaz")
    page.get_by_label("They want a certificate").check()
    page.get_by_role("button", name="List attendee").tap()
    expect(page.get_by_role("status")).to_contain_text("Attendee listed.")
    assert_accessible(page)
    session_url = page.url

    # Someone in the room scans the "Before" code with their phone, in Spanish.
    picture = page.locator("figure.quiz-code svg").first.screenshot()
    [scanned] = zxingcpp.read_barcodes(on_white(picture))
    phone = browser.new_context(base_url=live_server.url, locale="es-ES", **PHONE)
    neighbour = phone.new_page()
    neighbour.goto(scanned.text)
    answer_all(neighbour, right=False)
    neighbour.get_by_role("button", name="Enviar mis respuestas").tap()
    expect(neighbour.locator("#score")).to_have_text("0 de 8 correctas.")

    # Rosa opens her own quiz on her phone, in Spanish.
    rosa = phone.new_page()
    for right in (False, True):
        link = page.get_by_role("link", name="Their quiz on this phone").get_attribute("href")
        rosa.goto(link)
        expect(rosa.get_by_role("heading", level=1)).to_have_text("Cuestionario sobre sobredosis")
        answer_all(rosa, right)
        assert_accessible(rosa)
        rosa.get_by_role("button", name="Enviar mis respuestas").tap()
        expect(rosa.locator("#score")).to_have_text(
            "8 de 8 correctas." if right else "0 de 8 correctas."
        )
        page.goto(session_url)
    phone.close()

    all_areas = page.locator("#scores tr.total")
    expect(all_areas).to_contain_text("0%")
    expect(all_areas).to_contain_text("+100")
    page.get_by_role("button", name="Issue certificate").tap()
    expect(page.get_by_role("status")).to_contain_text("Certificate issued.")
    expect(page.get_by_role("link", name="Wallet card (PDF)")).to_be_visible()
    certificate = Certificate.objects.get()

    page.goto(f"/training/check/{certificate.code}/")
    expect(page.locator("#verdict")).to_have_text("This certificate is valid.")
    expect(page.locator("#certificate")).to_contain_text("Rosa Díaz")
    assert_accessible(page)


def test_a_visitor_passes_the_course_in_spanish_and_gets_a_certificate(browser, live_server):
    phone = browser.new_context(base_url=live_server.url, locale="es-ES", **PHONE)
    visitor = phone.new_page()
    visitor.goto("/training/course/quiz/")
    answer_all(visitor, right=True)
    visitor.get_by_role("button", name="Enviar mis respuestas").tap()
    expect(visitor.locator("#score")).to_have_text("8 de 8 correctas.")
    visitor.get_by_label("Nombre que se imprimirá en el certificado").fill("Alex Rivera")
    visitor.get_by_label("Acepto que este nombre se imprima").check()
    assert_accessible(visitor)
    visitor.get_by_role("button", name="Obtener mi certificado").tap()
    expect(visitor.locator("#certificate-issued")).to_contain_text("Alex Rivera")
    assert_accessible(visitor)
    certificate = Certificate.objects.get()
    assert certificate.name == "Alex Rivera" and certificate.attendee is None

    visitor.locator("#verify-link").tap()
    expect(visitor.locator("#verdict")).to_have_text("Este certificado es válido.")
    expect(visitor.locator("#certificate")).to_contain_text("Alex Rivera")
    phone.close()
