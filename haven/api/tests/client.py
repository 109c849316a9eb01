"""A test client that talks to the API with a device token, as a phone does."""

import json

from django.test import Client

from haven.api.models import DeviceToken


class ApiClient(Client):
    def __init__(self, token):
        super().__init__(headers={"Authorization": f"Bearer {token}"})
        self.token = token

    def post_json(self, path, body):
        return self.post(path, json.dumps(body), content_type="application/json")


def api_client(user, name="Work phone"):
    _device, token = DeviceToken.issue(user, name)
    return ApiClient(token)


ALREADY_SAVED = (
    "Already saved from another phone or an earlier send with different details. "
    "Check the saved record; then discard this copy."
)


def assert_already_saved(answer, client_uuid):
    """The one answer, for every kind of record, to a client UUID Haven holds with
    other details: a 409 whose message says what to do and shows no UUID (it means
    nothing to a field worker), with the UUID in a field of its own for the phone.

    `answer`: a response, or one result of a sync batch (a dict)."""
    if not isinstance(answer, dict):
        assert answer.status_code == 409
        answer = {"status": 409, **answer.json()}
    assert answer["status"] == 409
    assert answer["field"] == "client_uuid"
    assert answer["detail"] == ALREADY_SAVED
    assert str(client_uuid) not in answer["detail"]
    assert answer["errors"] == [{"field": "client_uuid", "detail": ALREADY_SAVED}]
    assert answer["client_uuid"] == str(client_uuid)
