import datetime
import uuid

import pytest
from django.utils import timezone

from haven.outreach.actions import EncounterData, do_record_encounter
from haven.overdose.models import Area


@pytest.fixture
def area(db):
    return Area.objects.create(code="85281", name="85281 Downtown", kind=Area.Kind.ZIP)


@pytest.fixture
def other_area(db):
    return Area.objects.create(code="85282", name="85282 Eastside", kind=Area.Kind.ZIP)


@pytest.fixture
def log_contact(downtown, sam):
    """Log a contact through the real action, as the quick-log screen does."""

    def log(participant=None, supplies=None, *, when=None, staff=None, site=None):
        data = EncounterData(
            client_uuid=uuid.uuid4(),
            site=site or downtown,
            contact_type="fixed",
            participant=participant,
            anonymous_people=0 if participant else 1,
            supplies=supplies or {},
            occurred_at=when or timezone.now(),
        )
        return do_record_encounter(data, staff=staff or sam)[0]

    return log


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)
