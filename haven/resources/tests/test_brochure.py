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
    # First the matching resources, all ticked; then the PDF of the ticked ones.
    ticked = [result.resource.pk for result, checked in response.context["results"] if checked]
    response = login(sam).get(
        reverse("resources:brochure"),
        {
            "site": downtown_with_area.pk,
            "language": "en",
            "needs": ["buprenorphine"],
            "miles": 10,
            "resources": ticked,
            "make": "1",
        },
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


def test_brochure_in_spanish(sam, login, downtown_with_area, night_shelter):
    response = login(sam).get(
        reverse("resources:brochure"),
        {
            "site": downtown_with_area.pk,
            "language": "es",
            "needs": ["housing"],
            "miles": 10,
            "resources": [night_shelter.pk],
            "make": "1",
        },
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


def test_only_the_ticked_resources_are_printed(
    sam, login, downtown_with_area, bupe_clinic, night_shelter
):
    query = {
        "site": downtown_with_area.pk,
        "language": "en",
        "miles": 10,
        "needs": ["buprenorphine", "housing"],
    }
    preview = login(sam).get(reverse("resources:brochure"), query)
    names = [result.resource.name for result, _checked in preview.context["results"]]
    assert sorted(names) == ["Desert Bupe Clinic", "Night Shelter"]
    response = login(sam).get(
        reverse("resources:brochure"), {**query, "resources": [night_shelter.pk], "make": "1"}
    )
    text = pdf_text(response)
    assert "Night Shelter" in text
    assert "Desert Bupe Clinic" not in text


def test_printing_nothing_is_refused(sam, login, downtown_with_area):
    response = login(sam).get(
        reverse("resources:brochure"),
        {
            "site": downtown_with_area.pk,
            "language": "en",
            "needs": ["buprenorphine"],
            "miles": 10,
            "make": "1",
        },
    )
    assert response.status_code == 400
    assert b"Tick at least one resource" in response.content
