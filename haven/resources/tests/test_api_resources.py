"""GET /api/v1/resources: the directory a phone keeps for use with no signal."""

import datetime

import pytest
from django.utils import timezone

from haven.api.tests.client import api_client
from haven.resources.models import Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(sam):
    return api_client(sam)


def test_the_directory_has_what_the_field_needs(phone, bupe_clinic):
    response = phone.get("/api/v1/resources")
    assert response.status_code == 200
    assert response.json()["next"] is None
    [entry] = response.json()["resources"]
    assert entry["name"] == "Desert Bupe Clinic"
    assert [need["code"] for need in entry["needs"]] == ["buprenorphine", "counseling"]
    assert entry["phone"] == "480-555-0100"
    assert entry["address"] == "Tempe, AZ 85281"
    assert (entry["latitude"], entry["longitude"]) == (33.4230, -111.9350)
    assert entry["hours_summary"].startswith("Monday 08:00–17:00; Tuesday 08:00–17:00")
    assert entry["hours"][0] == {"weekday": 0, "opens": "08:00", "closes": "17:00"}
    assert [language["code"] for language in entry["languages"]] == ["en", "es"]
    assert entry["payments"] == [{"code": "medicaid", "name": "Medicaid"}]
    assert entry["walk_in"] is True
    assert entry["last_verified_on"] is None


def test_names_follow_the_users_language(phone, bupe_clinic):
    response = phone.get("/api/v1/resources", headers={"Accept-Language": "es"})
    entry = response.json()["resources"][0]
    assert entry["needs"][0]["name"] == "Buprenorfina"
    assert entry["hours_summary"].startswith("Lunes")


def test_staff_only_entries_are_included_and_marked(phone, resource_factory):
    resource_factory("Staff-only clinic", public=False)
    resource_factory("Closed clinic", active=False)
    entries = phone.get("/api/v1/resources").json()["resources"]
    assert [(e["name"], e["public"]) for e in entries] == [("Staff-only clinic", False)]


def test_updated_since_returns_changes_and_removals(phone, bupe_clinic, night_shelter):
    since = timezone.now()
    Resource.objects.filter(pk=bupe_clinic.pk).update(updated_at=since - datetime.timedelta(days=1))
    night_shelter.active = False
    night_shelter.save()
    response = phone.get("/api/v1/resources", {"updated_since": since.isoformat()})
    assert [(e["name"], e["active"]) for e in response.json()["resources"]] == [
        ("Night Shelter", False)
    ]


def test_pages_follow_next_until_null(phone, resource_factory, django_assert_max_num_queries):
    for n in range(5):
        resource_factory(f"Clinic {n}", needs=["food"], hours=[(0, "09:00", "12:00")])
    names, url = [], "/api/v1/resources?limit=2"
    while url:
        with django_assert_max_num_queries(8):
            body = phone.get(url).json()
        names += [entry["name"] for entry in body["resources"]]
        url = body["next"]
    assert sorted(names) == [f"Clinic {n}" for n in range(5)]
    assert len(names) == 5


def test_a_bad_cursor_or_date_is_a_400_naming_it(phone):
    for query, field in [
        ("cursor=nonsense", "cursor"),
        ("cursor=0001-01-01T00:00:00%2B05:00_1", "cursor"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2025-01-01T00:00:00", "updated_since"),
        ("limit=0", "limit"),
    ]:
        response = phone.get(f"/api/v1/resources?{query}")
        assert response.status_code == 400, query
        assert response.json()["field"] == field, query


def test_analysts_and_admins_are_refused(ana, adam):
    for user in (ana, adam):
        assert api_client(user).get("/api/v1/resources").status_code == 403


def test_the_service_worker_keeps_the_directory_and_the_areas(client):
    script = client.get("/sw.js").content.decode()
    assert '"/api/v1/resources"' in script
    assert '"/api/v1/areas"' in script
