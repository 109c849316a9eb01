"""The directory export and the brochure keep names from data as the text they are."""

import csv
import io

import pytest
import zxingcpp
from django.urls import reverse
from pypdf import PdfReader

from haven.resources import importing
from haven.resources.models import Resource

HOSTILE_NAME = '=HYPERLINK("http://x.example") <img src="/etc/passwd"/> & "Clínica" 🙂'


@pytest.fixture
def hostile_resource(resource_factory):
    return resource_factory(
        HOSTILE_NAME,
        lat=33.4230,
        lon=-111.9350,
        zip_code="85281",
        organisation="+Org <b",
        address_line1="@1 Main St",
        phone="-555",
        notes="=cmd|' /C calc'!A0",
        needs=["buprenorphine"],
        hours=[(0, "08:00", "17:00")],
    )


def test_directory_export_quotes_formulas_and_reads_back_as_the_same_text(
    login, max_manager, hostile_resource
):
    response = login(max_manager).get(reverse("resources:export"))
    text = response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    header, (row,) = rows[0], rows[1:]
    exported = dict(zip(header, row, strict=True))
    for name, cell in exported.items():
        # Coordinates are figures (west is negative); every text is quoted.
        if name not in {"latitude", "longitude"}:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    assert exported["longitude"] == "-111.935"
    assert exported["name"] == "'" + HOSTILE_NAME
    assert exported["organisation"] == "'+Org <b"
    # Importing Haven's own export gives back the names as they were typed.
    header = importing.read_header(text)
    plan = importing.prepare(text.encode(), "utf-8-sig", importing.guess_mapping(header))
    assert not plan.error_rows
    (read_back,) = plan.rows
    assert read_back.values["name"] == HOSTILE_NAME
    assert read_back.values["organisation"] == "+Org <b"
    assert read_back.values["address_line1"] == "@1 Main St"
    assert read_back.values["notes"] == "=cmd|' /C calc'!A0"
    assert read_back.existing_id == hostile_resource.pk


def test_brochure_prints_resource_and_site_names_with_markup_literally(
    login, sam, downtown, hostile_resource
):
    downtown.name = 'Downtown <b & "q" <img src="/etc/passwd"/>'
    downtown.save()
    response = login(sam).get(
        reverse("resources:brochure"),
        {
            "site": downtown.pk,
            "language": "en",
            "needs": ["buprenorphine"],
            "miles": 10,
            "resources": [hostile_resource.pk],
            "make": "1",
        },
    )
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    # The one picture is the QR code of the finder: no file named in the data is embedded.
    [picture] = [image for page in reader.pages for image in page.images]
    [code] = zxingcpp.read_barcodes(picture.image)
    assert code.text == "http://testserver/public/resources/"
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert 'Services near Downtown <b & "q" <img src="/etc/passwd"/>' in " ".join(text.split())
    assert '<img src="/etc/passwd"/> & "Clínica"' in text
    assert Resource.objects.count() == 1
