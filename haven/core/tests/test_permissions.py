"""Every page, every role: who is let in and who is refused."""

import uuid

import pytest
from django.urls import reverse

from haven.outreach.actions import EncounterData, do_record_encounter

ROLES = ["specialist", "other_site_specialist", "supervisor", "manager", "analyst", "admin"]
ANYONE = set(ROLES)
FIELD_STAFF = {"specialist", "other_site_specialist", "supervisor", "manager"}


@pytest.fixture
def downtown_contact(sam, downtown, participant):
    data = EncounterData(
        client_uuid=uuid.uuid4(),
        site=downtown,
        contact_type="fixed",
        participant=participant,
        note="Private",
    )
    return do_record_encounter(data, staff=sam)[0]


def pages(participant, encounter):
    """(url, roles allowed)."""
    return [
        (reverse("core:home"), ANYONE),
        (reverse("accounts:settings"), ANYONE),
        (reverse("outreach:quick_log"), FIELD_STAFF),
        (reverse("outreach:quick_log_for", args=[participant.pk]), FIELD_STAFF),
        (reverse("outreach:offline"), FIELD_STAFF),
        (reverse("resources:refer_offline"), FIELD_STAFF),
        # The kept screens for a record's page opened with no signal, and naloxone details.
        (reverse("participants:kept_timeline"), FIELD_STAFF),
        (reverse("training:attendance_offline"), FIELD_STAFF),
        (reverse("overdose:naloxone_offline"), FIELD_STAFF),
        (reverse("participants:find"), FIELD_STAFF),
        (reverse("participants:enroll"), FIELD_STAFF),
        (reverse("participants:detail", args=[participant.pk]), FIELD_STAFF),
        (reverse("participants:edit", args=[participant.pk]), FIELD_STAFF),
        (reverse("participants:card", args=[participant.pk]), FIELD_STAFF),
        (reverse("participants:merge"), {"supervisor", "manager"}),
        (reverse("consents:participant", args=[participant.pk]), FIELD_STAFF),
        (reverse("consents:accounting", args=[participant.pk]), FIELD_STAFF),
        (reverse("consents:summary", args=[participant.pk]), FIELD_STAFF),
        (reverse("consents:texts"), {"manager"}),
        (reverse("mail:offers"), {"manager"}),
        (reverse("training:expiring"), FIELD_STAFF),
        (reverse("mail:offer_new"), {"manager"}),
        # A contact belongs to its site: the other site's specialist is refused.
        (reverse("outreach:saved", args=[encounter.pk]), {"specialist", "supervisor", "manager"}),
        (reverse("outreach:edit", args=[encounter.pk]), {"specialist", "supervisor", "manager"}),
        (reverse("core:audit_log"), {"admin"}),
        (reverse("accounts:staff"), {"admin"}),
        (reverse("accounts:staff_new"), {"admin"}),
        (reverse("accounts:staff_edit", args=[participant.created_by_id]), {"admin"}),
        (reverse("accounts:sites"), {"admin"}),
        (reverse("accounts:site_new"), {"admin"}),
        (reverse("accounts:site_edit", args=[participant.enrolled_site_id]), {"admin"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_what_it_may(role, personas, login, participant, downtown_contact):
    client = login(personas[role])
    for url, allowed in pages(participant, downtown_contact):
        status = client.get(url).status_code
        expected = 200 if role in allowed else 403
        assert status == expected, f"{role} on {url}: {status}, expected {expected}"


def test_anonymous_visitors_are_sent_to_log_in(client, participant, downtown_contact):
    for url, _allowed in pages(participant, downtown_contact):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("accounts:login"))


def test_no_role_reaches_the_django_admin_only_a_break_glass_superuser(personas, login, root):
    for role, user in personas.items():
        response = login(user).get(reverse("admin:index"))
        assert response.status_code == 302, role
        assert response.url.startswith(reverse("admin:login")), role
    assert login(root).get(reverse("admin:index")).status_code == 200


def test_analyst_cannot_post_a_contact(ana, login, downtown, participant):
    response = login(ana).post(reverse("outreach:quick_log"), {"site": downtown.pk})
    assert response.status_code == 403


def test_other_site_specialist_sees_the_participant_but_not_the_note(
    olga, login, participant, downtown_contact
):
    response = login(olga).get(reverse("participants:detail", args=[participant.pk]))
    assert response.status_code == 200
    assert b"Private" not in response.content
    assert b"readable by staff of that site" in response.content


def test_specialist_of_the_site_reads_the_note(sam, login, participant, downtown_contact):
    response = login(sam).get(reverse("participants:detail", args=[participant.pk]))
    assert b"Private" in response.content
