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
