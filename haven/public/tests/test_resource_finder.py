import pytest
from django.urls import reverse

from haven.resources.tests.conftest import make_resource

FINDER = "/public/resources/"


@pytest.fixture
def directory(adam):
    make_resource(
        adam,
        "Desert Bupe Clinic",
        lat=33.4230,
        lon=-111.9350,
        zip_code="85281",
        city="Tempe",
        phone="480-555-0100",
        needs=["buprenorphine"],
        hours=[(day, "00:00", "00:00") for day in range(7)],
    )
    make_resource(adam, "Staff-only Office", lat=33.42, lon=-111.93, zip_code="85281", public=False)


def test_finder_needs_no_login_and_finds_by_zip(client, directory):
    assert reverse("public:resource_finder") == FINDER
    response = client.get(FINDER, {"needs": "buprenorphine", "place": "85281", "open_now": "on"})
    assert response.status_code == 200
    assert b"Desert Bupe Clinic" in response.content
    assert b'href="tel:480-555-0100"' in response.content
    assert b"openstreetmap.org/directions?to=33.423" in response.content
    assert b"Staff-only Office" not in response.content


def test_finder_by_browser_location(client, directory):
    response = client.get(FINDER, {"lat": "33.42", "lon": "-111.94"})
    assert b"Desert Bupe Clinic" in response.content
    assert b"near your location" in response.content


def test_finder_in_spanish(client, directory):
    response = client.get(
        FINDER, {"needs": "buprenorphine", "place": "85281"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert b"Buprenorfina" in response.content
    assert b"Encuentre" in response.content or b"Buscar" in response.content


def test_finder_explains_unknown_places_and_needs(client, directory):
    response = client.get(FINDER, {"needs": "unicorns", "place": "Atlantis"})
    assert response.status_code == 400
    assert b"Unknown need: unicorns" in response.content
    assert b"We do not know where" in response.content


def test_finder_has_no_third_party_scripts_and_no_participant_data(client, directory, participant):
    response = client.get(FINDER, {"place": "85281"})
    body = response.content.decode()
    assert "<script" in body
    for tag in body.split("<script")[1:]:
        assert 'src="/static/' in tag.split(">")[0]
    assert participant.card_code not in body
    assert "Sunny" not in body


def test_finder_takes_no_posts(client):
    assert client.post(FINDER).status_code == 405


def test_the_default_choices_search_everything(client, directory):
    # The form as a first-time visitor sends it: "Anything", "Any language", "Any payment".
    response = client.get(
        FINDER, {"needs": "", "languages": "", "payments": "", "place": "85281", "miles": "10"}
    )
    assert response.status_code == 200
    assert b"Desert Bupe Clinic" in response.content
    assert b"Unknown need" not in response.content


def test_the_finder_filters_by_language_payment_and_walk_in(client, adam):
    make_resource(adam, "Spanish Clinic", lat=33.42, lon=-111.93, languages=["es"])
    make_resource(
        adam, "Medicaid Walk-in", lat=33.42, lon=-111.93, accepts_medicaid=True, walk_in=True
    )
    near = {"lat": "33.42", "lon": "-111.93", "miles": "10"}
    spanish = client.get(FINDER, {**near, "languages": "es"}).content.decode()
    assert "Spanish Clinic" in spanish and "Medicaid Walk-in" not in spanish
    medicaid = client.get(FINDER, {**near, "payments": "medicaid"}).content.decode()
    assert "Medicaid Walk-in" in medicaid and "Spanish Clinic" not in medicaid
    walk_in = client.get(FINDER, {**near, "walk_in": "on"}).content.decode()
    assert "Medicaid Walk-in" in walk_in and "Spanish Clinic" not in walk_in
    assert client.get(FINDER, {**near, "languages": "xx"}).status_code == 400


def test_the_finder_shows_the_program_hotline(client, settings):
    settings.HAVEN_HOTLINE_NAME = "County Helpline"
    settings.HAVEN_HOTLINE_NUMBER = "1-800-555-0199"
    content = client.get(FINDER).content.decode()
    assert "County Helpline" in content
    assert 'href="tel:1-800-555-0199"' in content
    settings.HAVEN_HOTLINE_NUMBER = ""
    assert "tel:1-800" not in client.get(FINDER).content.decode()
