"""Fuzz every API operation from its OpenAPI document: whatever is sent, never a 5xx.

schemathesis generates bodies from the schema (and breaks them on purpose),
and calls the WSGI application directly, with no server. The number of
examples per operation is bounded so that the suite stays quick; CI runs it
on SQLite and on PostgreSQL.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from haven.api.api import api
from haven.api.models import DeviceToken
from haven.overdose.models import Area
from haven.resources.actions import do_make_referral
from haven.resources.tests.conftest import make_resource
from haven.supplies.models import StockLocation

pytestmark = pytest.mark.django_db


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def wsgi_keeps_the_test_database():
    # Like Django's test client: keep the test's database connection open
    # across requests (the WSGI handler closes it after each by default).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(wsgi_keeps_the_test_database, sue, downtown, catalog, participant):
    """A supervisor's device, so that every operation (stock ones too) is reachable."""
    StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    Area.objects.create(code="85281", name="85281 Downtown", kind=Area.Kind.ZIP)
    resource = make_resource(sue, "Desert Bupe Clinic", needs=["buprenorphine"], zip_code="85281")
    do_make_referral(
        participant=participant, resource=resource, need="buprenorphine", by=sue, site=downtown
    )
    return DeviceToken.issue(sue, "Fuzzing")[1]


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_input_makes_the_api_fail(case, token):
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.path} answered {response.status_code} to {case.body!r}: "
        f"{response.text[:2000]}"
    )
