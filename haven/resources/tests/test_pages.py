"""Every resources page, every role: who is let in and who is refused."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from haven.resources.actions import do_make_referral, do_save_guide
from haven.resources.models import Guide, GuideProgress, Resource

ROLES = ["specialist", "other_site_specialist", "supervisor", "manager", "analyst", "admin"]
ANYONE = set(ROLES)
FIELD_STAFF = {"specialist", "other_site_specialist", "supervisor", "manager"}
EDITORS = {"manager", "admin"}


@pytest.fixture
def guide(max_manager):
    return do_save_guide(
        Guide(),
        by=max_manager,
        title="Apply for Medicaid",
        language="en",
        summary="",
        steps=["Get proof of address", "Fill in the form", "Call to check"],
    )


@pytest.fixture
def referral(sam, downtown, participant, bupe_clinic):
    return do_make_referral(
        participant=participant, resource=bupe_clinic, need="counseling", by=sam, site=downtown
    )


def pages(participant, resource, referral, guide):
    return [
        (reverse("resources:directory"), ANYONE),
        (reverse("resources:detail", args=[resource.pk]), ANYONE),
        (reverse("resources:new"), EDITORS),
        (reverse("resources:edit", args=[resource.pk]), EDITORS),
        (reverse("resources:stale"), EDITORS),
        (reverse("resources:import"), EDITORS),
        (reverse("resources:export"), EDITORS),
        (reverse("resources:follow_ups"), FIELD_STAFF),
        # A referral belongs to its maker and its site: Olga (Eastside) is refused.
        (
            reverse("resources:referral", args=[referral.pk]),
            {"specialist", "supervisor", "manager"},
        ),
        (reverse("resources:search_for_participant", args=[participant.pk]), FIELD_STAFF),
        (reverse("resources:refer", args=[participant.pk, resource.pk]), FIELD_STAFF),
        (reverse("resources:guide_progress", args=[participant.pk, guide.pk]), FIELD_STAFF),
        (reverse("resources:guides"), ANYONE),
        (reverse("resources:guide", args=[guide.pk]), ANYONE),
        (reverse("resources:guide_new"), {"manager"}),
        (reverse("resources:guide_edit", args=[guide.pk]), {"manager"}),
        (reverse("resources:brochure"), FIELD_STAFF),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_what_it_may(
    role, personas, login, participant, bupe_clinic, referral, guide
):
    client = login(personas[role])
    for url, allowed in pages(participant, bupe_clinic, referral, guide):
        status = client.get(url).status_code
        expected = 200 if role in allowed else 403
        assert status == expected, f"{role} on {url}: {status}, expected {expected}"


def test_anonymous_visitors_are_sent_to_log_in(client, participant, bupe_clinic, referral, guide):
    for url, _allowed in pages(participant, bupe_clinic, referral, guide):
        response = client.get(url)
        assert response.status_code == 302, url


def test_verify_is_post_only_and_for_editors(sam, max_manager, login, bupe_clinic):
    url = reverse("resources:verify", args=[bupe_clinic.pk])
    assert login(sam).post(url).status_code == 403
    assert login(max_manager).get(url).status_code == 405
    assert login(max_manager).post(url).status_code == 302
    bupe_clinic.refresh_from_db()
    assert bupe_clinic.last_verified_on == timezone.localdate()


def test_stale_list_shows_unverified_and_old_entries_only(
    max_manager, login, bupe_clinic, night_shelter, settings
):
    settings.RESOURCE_STALE_DAYS = 90
    today = timezone.localdate()
    Resource.objects.filter(pk=bupe_clinic.pk).update(last_verified_on=today)
    Resource.objects.filter(pk=night_shelter.pk).update(
        last_verified_on=today - datetime.timedelta(days=91)
    )
    response = login(max_manager).get(reverse("resources:stale"))
    assert b"Night Shelter" in response.content
    assert b"Desert Bupe Clinic" not in response.content


def test_manager_adds_a_resource_with_overnight_hours_and_a_holiday(max_manager, login):
    response = login(max_manager).post(
        reverse("resources:new"),
        {
            "name": "Overnight Drop-in",
            "zip_code": "85281",
            "latitude": "33.42",
            "longitude": "-111.94",
            "needs": ["housing", "showers"],
            "hours": "Mon-Sun 22:00-06:00",
            "exceptions": "2025-12-25 closed Christmas",
            "public": "on",
            "active": "on",
            "walk_in": "unknown",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    resource = Resource.objects.get(name="Overnight Drop-in")
    assert len(resource.weekly_spans()) == 7
    assert resource.hours_exceptions.get().closed


def test_impossible_hours_are_refused_on_the_form(max_manager, login):
    response = login(max_manager).post(
        reverse("resources:new"),
        {"name": "X", "hours": "Mon 09:00-17:00; Mon 16:00-18:00", "active": "on"},
    )
    assert response.status_code == 400
    assert b"Hours overlap" in response.content


def test_guide_progress_is_tracked_from_the_participant_page(sam, login, participant, guide):
    client = login(sam)
    first = guide.steps.first()
    url = reverse("resources:guide_progress", args=[participant.pk, guide.pk])
    assert client.post(url, {"done": [first.pk]}).status_code == 302
    progress = GuideProgress.objects.get()
    assert list(progress.done_steps.all()) == [first]
    detail = client.get(reverse("participants:detail", args=[participant.pk]))
    assert b"1 of 3 steps done" in detail.content


def test_editing_a_guide_keeps_progress_on_unchanged_steps(max_manager, sam, participant, guide):
    from haven.resources.actions import do_record_guide_progress

    kept = guide.steps.get(text="Fill in the form")
    do_record_guide_progress(participant, guide, by=sam, done_step_ids=[kept.pk])
    do_save_guide(
        guide,
        by=max_manager,
        title=guide.title,
        language="en",
        summary="",
        steps=["Bring ID", "Fill in the form"],
    )
    assert [s.text for s in guide.steps.all()] == ["Bring ID", "Fill in the form"]
    assert list(GuideProgress.objects.get().done_steps.all()) == [kept]


def test_a_guide_prints_its_steps(sam, login, guide):
    response = login(sam).get(reverse("resources:guide", args=[guide.pk]))
    assert b"Get proof of address" in response.content
    assert b'<button type="button" data-print>' in response.content
    assert b"core/print.js" in response.content
