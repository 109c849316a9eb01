"""A member of the public finds a service in Spanish on a phone-sized screen."""

import pytest

from haven.core.tests.browser import assert_accessible
from haven.resources.tests.conftest import make_resource

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic(adam):
    return make_resource(
        adam,
        "Clínica del Desierto",
        lat=33.4230,
        lon=-111.9350,
        zip_code="85281",
        city="Tempe",
        phone="480-555-0102",
        needs=["buprenorphine"],
        languages=["es"],
        hours=[(day, "00:00", "00:00") for day in range(7)],
    )


def test_public_finds_a_service_in_spanish_on_a_phone(page, clinic):
    from playwright.sync_api import expect

    page.goto("/public/resources/")
    assert_accessible(page)
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Encuentre un servicio cerca de usted")).to_be_visible()
    page.get_by_label("¿Qué necesita?").select_option("buprenorphine")
    page.get_by_label("Abierto ahora").check()
    page.get_by_label("Su código postal o ciudad").fill("85281")
    page.get_by_role("button", name="Buscar").click()
    expect(page.get_by_role("heading", name="Clínica del Desierto")).to_be_visible()
    expect(page.get_by_role("link", name="Llamar al 480-555-0102")).to_have_attribute(
        "href", "tel:480-555-0102"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
