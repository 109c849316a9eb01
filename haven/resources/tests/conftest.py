import datetime

import pytest

from haven.resources.actions import do_save_resource
from haven.resources.hours import Span
from haven.resources.models import Resource

# Tempe, Arizona: the demo sites' area (85281 and 85282).
TEMPE = (33.4255, -111.9400)


def make_resource(by, name, *, lat=None, lon=None, needs=(), languages=(), hours=(), **fields):
    resource = Resource(name=name, latitude=lat, longitude=lon, **fields)
    spans = [
        Span(day, datetime.time.fromisoformat(o), datetime.time.fromisoformat(c))
        for day, o, c in hours
    ]
    return do_save_resource(resource, by=by, needs=needs, languages=languages, spans=spans)


@pytest.fixture
def resource_factory(adam):
    def factory(name, **kwargs):
        return make_resource(adam, name, **kwargs)

    return factory


@pytest.fixture
def bupe_clinic(resource_factory):
    """Open weekdays 08:00-17:00 near Downtown (85281)."""
    return resource_factory(
        "Desert Bupe Clinic",
        lat=33.4230,
        lon=-111.9350,
        zip_code="85281",
        city="Tempe",
        state="AZ",
        phone="480-555-0100",
        needs=["buprenorphine", "counseling"],
        languages=["en", "es"],
        accepts_medicaid=True,
        walk_in=True,
        hours=[(day, "08:00", "17:00") for day in range(5)],
    )


@pytest.fixture
def night_shelter(resource_factory):
    """Open every night 22:00-06:00, east of Downtown (85282)."""
    return resource_factory(
        "Night Shelter",
        lat=33.3950,
        lon=-111.9000,
        zip_code="85282",
        city="Tempe",
        state="AZ",
        needs=["housing", "food"],
        hours=[(day, "22:00", "06:00") for day in range(7)],
    )


@pytest.fixture
def immediate_tasks(settings):
    """Background tasks run as soon as they are enqueued, in the test's own transaction."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
