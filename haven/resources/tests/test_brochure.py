import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from haven.core.tests.pdf_pictures import assert_printable, page_text, qr_codes


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
    assert "Mon–Fri 08:00–17:00" in text  # days with the same hours in one range
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


def test_the_brochure_looks_right_as_a_picture_and_its_qr_code_opens_the_finder(
    sam, login, downtown_with_area, night_shelter
):
    night_shelter.name = "Albergue Nocturno Señora de Guadalupe 🏠 · Nguyễn Thị Hương · Ђорђе"
    night_shelter.address_line1 = "1234 Avenida de los Árboles (entrada por el callejón) " * 3
    night_shelter.save()
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
    assert_printable(response.content)
    text = " ".join(page_text(response.content).split())
    # Accents, Vietnamese and Cyrillic print as letters; an emoji as its name, never a box.
    assert "Señora de Guadalupe [house building] · Nguyễn Thị Hương · Ђорђе" in text
    assert qr_codes(response.content) == ["http://testserver/public/resources/"]


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


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([(day, "08:00", "17:00") for day in range(5)], "Mon–Fri 08:00–17:00"),
        (
            [*[(day, "08:00", "17:00") for day in range(5)], (5, "09:00", "13:00")],
            "Mon–Fri 08:00–17:00; Sat 09:00–13:00",
        ),
        ([(day, "00:00", "00:00") for day in range(7)], "Open 24 hours, every day"),
        (
            [(0, "08:00", "12:00"), (0, "13:00", "17:00"), (2, "08:00", "12:00")],
            "Mon 08:00–12:00, 13:00–17:00; Wed 08:00–12:00",
        ),
        ([(4, "22:00", "06:00"), (5, "22:00", "06:00")], "Fri–Sat 22:00–06:00"),
    ],
)
def test_hours_are_printed_compactly(spans, expected):
    import datetime

    from haven.resources.hours import Span, compact_hours

    def time(text):
        return datetime.time.fromisoformat(text)

    assert compact_hours([Span(day, time(o), time(c)) for day, o, c in spans]) == expected


def test_an_entry_is_never_split_across_pages(adam, sam, login, downtown):
    from pypdf import PdfReader

    from haven.resources import brochure
    from haven.resources.tests.conftest import make_resource

    resources = [
        make_resource(adam, f"Clinic number {n}", needs=["naloxone"], phone=f"480-555-01{n:02}")
        for n in range(12)
    ]
    pages = [
        page.extract_text()
        for page in PdfReader(
            io.BytesIO(
                brochure.render(downtown, resources, "https://haven.example/public/resources/")
            )
        ).pages
    ]
    assert len(pages) > 1
    for n in range(12):
        holding = [text for text in pages if f"Clinic number {n}\n" in text + "\n"]
        assert len(holding) == 1
        # The name and the phone number are on the same page.
        assert f"480-555-01{n:02}" in holding[0]
