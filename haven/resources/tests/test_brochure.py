import io

import pytest
from django.urls import reverse
from pypdf import PdfReader


def pdf_text(response):
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def downtown_with_area(downtown, bupe_clinic, night_shelter):
    return downtown


def test_brochure_is_a_real_pdf_listing_chosen_resources(sam, login, downtown_with_area):
    response = login(sam).get(
        reverse("resources:brochure"),
        {"site": downtown_with_area.pk, "language": "en", "needs": ["buprenorphine"], "miles": 10},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response)
    assert "Services near Downtown" in text
    assert "Desert Bupe Clinic" in text
    assert "480-555-0100" in text
    assert "Monday 08:00" in text
    assert "/public/resources/" in text
    assert "Night Shelter" not in text


def test_brochure_in_spanish(sam, login, downtown_with_area):
    response = login(sam).get(
        reverse("resources:brochure"),
        {"site": downtown_with_area.pk, "language": "es", "needs": ["housing"], "miles": 10},
    )
    text = pdf_text(response)
    assert "Servicios cerca de Downtown" in text
    assert "Night Shelter" in text


def test_no_matching_resources_is_said_plainly(sam, login, downtown_with_area):
    response = login(sam).get(
        reverse("resources:brochure"),
        {"site": downtown_with_area.pk, "language": "en", "needs": ["legal"], "miles": 10},
    )
    assert response.status_code == 400
    assert b"No public resources offer these services" in response.content
