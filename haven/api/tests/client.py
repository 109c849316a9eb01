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
