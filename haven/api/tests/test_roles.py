"""Every API endpoint, every role: analysts and admins are refused, field staff let in."""

import json
import re

import pytest
from django.test import Client

from haven.api.api import api
from haven.api.tests.client import api_client

pytestmark = pytest.mark.django_db

FIELD_STAFF = {"specialist", "other_site_specialist", "supervisor", "manager"}
STOCK_STAFF = {"supervisor", "manager"}
# Endpoints not open to every field role; all others are.
NARROWER = {
    "/api/v1/stock/locations": STOCK_STAFF,
    "/api/v1/stock/receive": STOCK_STAFF,
    "/api/v1/stock/transfer": STOCK_STAFF,
}
# Endpoints for the web app's own session only (a device token is refused with 401).
SESSION_ONLY = {"/api/v1/field-keys", "/api/v1/field-keys/release"}


def operations():
    """(method, path) of every operation in the OpenAPI document, so new ones are covered."""
    schema = api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method in methods:
            yield method, path


def call(client, method, path):
    # A path parameter gets an id no record has: the role check comes first.
    path = re.sub(r"\{[a-z_]+\}", "999999", path)
    if method == "get":
        return client.get(path)
    # An empty object: the role check comes before the body is read.
    return client.post_json(path, {})


def test_the_api_has_the_endpoints_the_field_app_needs():
    paths = {path for _method, path in operations()}
    assert {
        "/api/v1/sites",
        "/api/v1/items",
        "/api/v1/kits",
        "/api/v1/services",
        "/api/v1/participants/lookup",
        "/api/v1/participants/recent",
        "/api/v1/participants/kept",
        "/api/v1/participants/card-codes",
        "/api/v1/participants/enrolments",
        "/api/v1/contacts",
        "/api/v1/stock/receive",
        "/api/v1/stock/transfer",
        "/api/v1/sync",
        "/api/v1/areas",
        "/api/v1/overdose-reports",
        "/api/v1/resources",
        "/api/v1/referrals",
        "/api/v1/referrals/{referral_id}/status",
        "/api/v1/referrals/follow-ups",
        "/api/v1/field-keys",
        "/api/v1/field-keys/release",
    } <= paths


@pytest.mark.parametrize("role", sorted(FIELD_STAFF | {"analyst", "admin"}))
def test_each_role_reaches_only_its_endpoints(role, personas):
    with_token = api_client(personas[role])
    with_session = SessionClient(personas[role])
    for method, path in operations():
        client = with_session if path in SESSION_ONLY else with_token
        status = call(client, method, path).status_code
        allowed = role in NARROWER.get(path, FIELD_STAFF)
        if allowed:
            assert status not in (401, 403), f"{role} {method} {path}: {status}"
        else:
            assert status == 403, f"{role} {method} {path}: {status}, expected 403"


def test_a_device_token_cannot_use_the_session_only_endpoints(sam):
    client = api_client(sam)
    for path in SESSION_ONLY:
        assert client.post_json(path, {}).status_code == 401


class SessionClient(Client):
    """The web app's own signed-in session, as the field app's scripts call the API."""

    def __init__(self, user):
        super().__init__()
        self.force_login(user)

    def post_json(self, path, body):
        return self.post(path, json.dumps(body), content_type="application/json")


def test_nobody_without_credentials_gets_in(client, db):
    for method, path in operations():
        response = client.get(path) if method == "get" else client.post(path, {})
        assert response.status_code == 401, f"{method} {path}"


def test_analyst_is_refused_with_a_message(ana):
    response = api_client(ana).get("/api/v1/participants/recent")
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role may not use this part of the API."


def test_the_document_lists_the_refusals_every_endpoint_can_answer(client):
    schema = api.get_openapi_schema()
    for method, path in operations():
        responses = schema["paths"][path][method]["responses"]
        assert {401, 403} <= set(responses), f"{method} {path}"
        assert responses[401]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }
        # And the endpoint does answer 401, with that shape, without a token.
        path = re.sub(r"\{[a-z_]+\}", "1", path)
        answer = client.get(path) if method == "get" else client.post(path, {}, "application/json")
        assert answer.status_code == 401, f"{method} {path}"
        assert set(answer.json()) == {"detail", "field", "errors"}
