"""The home page: exact figures only for staff who work with participants."""

import uuid

import pytest
from django.urls import reverse

from haven.outreach.actions import EncounterData, do_record_encounter


@pytest.fixture
def three_contacts_this_week(sam, downtown, participant):
    for _ in range(3):
        data = EncounterData(
            client_uuid=uuid.uuid4(), site=downtown, contact_type="fixed", participant=participant
        )
        do_record_encounter(data, staff=sam)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_analysts_and_admins_are_not_shown_the_weeks_exact_small_counts(
    role, personas, login, three_contacts_this_week
):
    # A rolling week asked for each day could be subtracted down to one day's
    # count; analysts get suppressed figures only, admins no figures.
    response = login(personas[role]).get(reverse("core:home"))
    assert response.status_code == 200
    assert "summary" not in response.context
    assert "The last seven days" not in response.content.decode()


@pytest.mark.parametrize("role", ["specialist", "supervisor", "manager"])
def test_field_staff_see_the_weeks_figures(role, personas, login, three_contacts_this_week):
    response = login(personas[role]).get(reverse("core:home"))
    assert response.context["summary"]["contacts"] == 3
    assert "The last seven days" in response.content.decode()
