"""Overdose and reversal reports: entry, bad input, and the refill that follows."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.core.models import AuditEntry
from haven.overdose.models import OverdoseReport


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def form_data(the_area, **changes):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "occurred_at": local(timezone.now() - datetime.timedelta(hours=2)),
        "area": the_area.pk,
        "reported_by": "community",
        "outcome": "survived",
        "naloxone_doses": "2",
        "naloxone_source": "pharmacy",
        "emergency_services_called": "yes",
        "rescue_breathing": "unknown",
        "stayed_with_person": "yes",
        "substances": ["fentanyl", "xylazine"],
        "note": "Found behind the library; came round after the second dose.",
    }
    data.update(changes)
    return data


def test_specialist_reports_a_reversal(sam, login, area):
    response = login(sam).post(reverse("overdose:report_new"), form_data(area))

    assert response.status_code == 302
    report = OverdoseReport.objects.get()
    assert report.is_reversal
    assert report.area == area
    assert report.substances == ["fentanyl", "xylazine"]
    assert (report.emergency_services_called, report.rescue_breathing) == (True, None)
    assert report.recorded_by == sam
    assert AuditEntry.objects.filter(object_type="overdose.overdosereport").exists()


def test_the_note_is_encrypted_at_rest(sam, login, area):
    from django.db import connection

    login(sam).post(reverse("overdose:report_new"), form_data(area))
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM overdose_overdosereport")
        [(stored,)] = cursor.fetchall()
    assert "library" not in stored
    assert OverdoseReport.objects.get().note.startswith("Found behind")


def test_a_replayed_report_is_stored_once(sam, login, area):
    data = form_data(area)
    client = login(sam)
    client.post(reverse("overdose:report_new"), data)
    client.post(reverse("overdose:report_new"), data)
    assert OverdoseReport.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"occurred_at": local(timezone.now() + datetime.timedelta(days=1))},
            "occurred_at",
            "cannot be reported for a time in the future",
        ),
        ({"naloxone_doses": "25"}, "naloxone_doses", "Enter between 0 and 20 doses."),
        ({"naloxone_doses": "-1"}, "naloxone_doses", "Enter between 0 and 20 doses."),
        ({"area": "999999"}, "area", "Choose one of the program"),
        ({"naloxone_source": "none"}, "naloxone_source", "Doses were given"),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_nothing_is_saved(
    sam, login, area, changes, field, message
):
    response = login(sam).post(reverse("overdose:report_new"), form_data(area, **changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not OverdoseReport.objects.exists()


def test_a_participant_who_used_our_naloxone_goes_straight_to_a_refill(
    sam, login, area, participant, catalog, log_contact
):
    log_contact(
        participant, {catalog["naloxone"]: 1}, when=timezone.now() - datetime.timedelta(days=60)
    )
    contact = log_contact(participant, {catalog["naloxone"]: 1})
    data = form_data(area, reported_by="participant", naloxone_source="program")

    response = login(sam).post(reverse("overdose:report_for_contact", args=[contact.pk]), data)

    assert response.status_code == 302
    assert response.url == reverse("overdose:naloxone", args=[contact.pk]) + "?reason=used"
    assert OverdoseReport.objects.get().encounter == contact
    page = login(sam).get(response.url)
    assert page.context["form"][f"reason_{catalog['naloxone'].pk}"].initial == "used"


def test_a_report_without_our_naloxone_goes_back_to_the_contact(
    sam, login, area, participant, log_contact
):
    contact = log_contact(participant)
    response = login(sam).post(
        reverse("overdose:report_for_contact", args=[contact.pk]), form_data(area)
    )
    assert response.url == reverse("outreach:saved", args=[contact.pk])


def test_report_from_a_contact_starts_at_the_contact_time_and_site_area(
    sam, login, area, participant, log_contact
):
    contact = log_contact(participant)
    form = login(sam).get(reverse("overdose:report_for_contact", args=[contact.pk])).context["form"]
    assert form.initial["area"] == area.pk
    assert form.initial["occurred_at"] == local(contact.occurred_at)
    assert form.initial["reported_by"] == "participant"


def test_the_note_is_for_the_contact_site_only(sam, olga, login, area, participant, log_contact):
    contact = log_contact(participant)
    login(sam).post(reverse("overdose:report_for_contact", args=[contact.pk]), form_data(area))
    report = OverdoseReport.objects.get()
    url = reverse("overdose:report_detail", args=[report.pk])

    assert b"behind the library" in login(sam).get(url).content
    assert login(olga).get(url).status_code == 403
    assert AuditEntry.objects.filter(action="view", participant=participant).exists()


def test_report_list_shows_recent_reports_in_few_queries(
    sam, login, area, django_assert_max_num_queries
):
    for hours in range(30):
        OverdoseReport.objects.create(
            occurred_at=timezone.now() - datetime.timedelta(hours=hours),
            area=area,
            reported_by="staff",
        )
    client = login(sam)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("overdose:reports"))
    assert len(response.context["reports"]) == 30


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_report_pages_refuse_analysts_and_admins(
    role, personas, login, area, participant, log_contact
):
    contact = log_contact(participant)
    report = OverdoseReport.objects.create(
        occurred_at=timezone.now(), area=area, reported_by="staff"
    )
    client = login(personas[role])
    for url in (
        reverse("overdose:reports"),
        reverse("overdose:report_new"),
        reverse("overdose:report_for_contact", args=[contact.pk]),
        reverse("overdose:report_detail", args=[report.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("overdose:report_new"), form_data(area)).status_code == 403
    assert OverdoseReport.objects.count() == 1


def test_other_site_specialist_cannot_report_at_a_contact_of_another_site(
    olga, login, area, participant, log_contact
):
    contact = log_contact(participant)
    url = reverse("overdose:report_for_contact", args=[contact.pk])
    assert login(olga).post(url, form_data(area)).status_code == 403
    assert not OverdoseReport.objects.exists()
