"""POST /api/v1/overdose-reports and GET /api/v1/areas: stored once per client UUID."""

import uuid

import pytest

from haven.api.tests.client import api_client, assert_already_saved
from haven.overdose.models import Area, OverdoseReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(sam):
    return api_client(sam)


def report(where, **changes):
    body = {
        "client_uuid": str(uuid.uuid4()),
        "occurred_at": "2025-03-01T22:40:00-07:00",
        "area": where.pk,
        "reported_by": "participant",
        "outcome": "survived",
        "naloxone_doses": 2,
        "naloxone_source": "program",
        "emergency_services_called": False,
        "substances": ["fentanyl", "xylazine"],
        "note": "Under the bridge",
    }
    body.update(changes)
    return body


def test_areas_lists_the_active_areas_for_the_form(phone, area):
    Area.objects.create(code="old", name="Old area", kind=Area.Kind.GRID, active=False)
    response = phone.get("/api/v1/areas")
    assert response.status_code == 200
    assert response.json() == [{"id": area.pk, "code": "85281", "name": area.name, "kind": "zip"}]


def test_a_report_is_stored_without_sending_its_note_back(phone, sam, area):
    response = phone.post_json("/api/v1/overdose-reports", report(area))
    assert response.status_code == 201
    stored = OverdoseReport.objects.get()
    body = response.json()
    assert body["id"] == stored.pk
    assert body["substances"] == ["fentanyl", "xylazine"]
    assert "note" not in body
    assert stored.recorded_by == sam
    assert stored.note == "Under the bridge"
    assert stored.is_reversal


def test_same_uuid_again_returns_the_stored_report_with_the_same_status(phone, area):
    body = report(area)
    first = phone.post_json("/api/v1/overdose-reports", body)
    again = phone.post_json("/api/v1/overdose-reports", body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert OverdoseReport.objects.count() == 1


def test_same_uuid_with_a_different_body_is_a_409(phone, area):
    body = report(area)
    phone.post_json("/api/v1/overdose-reports", body)
    body["outcome"] = "died"
    response = phone.post_json("/api/v1/overdose-reports", body)
    assert_already_saved(response, body["client_uuid"])
    assert OverdoseReport.objects.get().outcome == "survived"


def test_another_users_uuid_is_a_409(phone, sue, area):
    body = report(area)
    api_client(sue).post_json("/api/v1/overdose-reports", body)
    response = phone.post_json("/api/v1/overdose-reports", body)
    assert_already_saved(response, body["client_uuid"])
    assert OverdoseReport.objects.count() == 1


def test_the_actions_rules_answer_400_naming_the_field(phone, area):
    response = phone.post_json(
        "/api/v1/overdose-reports", report(area, naloxone_source="none", naloxone_doses=1)
    )
    assert response.status_code == 400
    assert response.json()["field"] == "naloxone_source"
    assert "say where the naloxone came from" in response.json()["detail"]
    assert not OverdoseReport.objects.exists()


def test_a_time_in_the_future_is_a_400(phone, area):
    response = phone.post_json(
        "/api/v1/overdose-reports", report(area, occurred_at="2099-01-01T00:00:00Z")
    )
    assert response.status_code == 400
    assert response.json()["field"] == "occurred_at"


def test_a_retired_or_unknown_area_is_a_400(phone, area, other_area):
    other_area.active = False
    other_area.save()
    retired = phone.post_json("/api/v1/overdose-reports", report(other_area))
    assert retired.status_code == 400
    assert retired.json()["field"] == "area"
    unknown = phone.post_json("/api/v1/overdose-reports", report(area, area=999_999))
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "area"


def test_a_wrong_choice_or_unknown_field_is_a_400(phone, area):
    response = phone.post_json("/api/v1/overdose-reports", report(area, reported_by="imported"))
    assert response.status_code == 400
    assert response.json()["field"] == "reported_by"
    response = phone.post_json("/api/v1/overdose-reports", report(area, adress="Main St"))
    assert response.status_code == 400
    assert response.json()["field"] == "adress"


@pytest.mark.parametrize("path", ["/api/v1/areas", "/api/v1/overdose-reports"])
def test_analysts_and_admins_are_refused(ana, adam, area, path):
    for user in (ana, adam):
        phone = api_client(user)
        response = (
            phone.get(path) if path.endswith("areas") else phone.post_json(path, report(area))
        )
        assert response.status_code == 403
    assert not OverdoseReport.objects.exists()


def test_reports_sync_in_a_batch_each_once(phone, area):
    good = {"kind": "overdose_report", **report(area)}
    bad = {"kind": "overdose_report", **report(area, area=999_999)}
    first = phone.post_json("/api/v1/sync", {"records": [good, bad]}).json()["results"]
    again = phone.post_json("/api/v1/sync", {"records": [good]}).json()["results"]
    assert [r["status"] for r in first] == [201, 400]
    assert first[1]["field"] == "area"
    assert again[0]["status"] == 201
    assert again[0]["id"] == first[0]["id"] == OverdoseReport.objects.get().pk
