import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from haven.core.models import AuditEntry
from haven.reports.metrics import linkage_within_30_days
from haven.resources.actions import do_make_referral, do_update_referral_status
from haven.resources.models import Referral


@pytest.fixture
def referral(sam, downtown, participant, bupe_clinic):
    return do_make_referral(
        participant=participant,
        resource=bupe_clinic,
        need="buprenorphine",
        by=sam,
        site=downtown,
        note="Ready to start on Monday",
    )


def test_a_referral_is_made_with_an_encrypted_note_and_a_follow_up_date(referral, participant):
    assert referral.status == "made"
    assert referral.follow_up_on == timezone.localdate() + datetime.timedelta(days=7)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM resources_referral WHERE id = %s", [referral.pk])
        [raw] = cursor.fetchone()
    assert "Monday" not in raw
    assert Referral.objects.get(pk=referral.pk).note == "Ready to start on Monday"
    assert AuditEntry.objects.filter(
        object_type="resources.referral", participant=participant, action="create"
    ).exists()


def test_a_replayed_referral_is_stored_once(sam, downtown, participant, bupe_clinic):
    import uuid

    key = uuid.uuid4()
    kwargs = dict(
        participant=participant,
        resource=bupe_clinic,
        need="counseling",
        by=sam,
        site=downtown,
        client_uuid=key,
    )
    assert do_make_referral(**kwargs) == do_make_referral(**kwargs)
    assert Referral.objects.count() == 1


def test_a_specialist_cannot_refer_from_a_site_they_do_not_work(
    olga, downtown, participant, bupe_clinic
):
    with pytest.raises(ValidationError) as error:
        do_make_referral(
            participant=participant, resource=bupe_clinic, need="counseling", by=olga, site=downtown
        )
    assert "site" in error.value.message_dict


def test_linking_records_the_date_and_closes_the_follow_up(referral, sam):
    do_update_referral_status(referral, status="contacted", by=sam)
    linked = do_update_referral_status(referral, status="linked", by=sam, note="Started bupe")
    assert linked.linked_at is not None
    assert linked.follow_up_on is None
    assert [u.status for u in linked.updates.all()] == ["made", "contacted", "linked"]


def test_the_other_sites_specialist_cannot_update_a_referral(referral, olga):
    with pytest.raises(PermissionDenied):
        do_update_referral_status(referral, status="lost", by=olga)


def test_follow_up_list_shows_overdue_referrals_of_the_specialist(referral, sam, olga, login):
    Referral.objects.filter(pk=referral.pk).update(
        follow_up_on=timezone.localdate() - datetime.timedelta(days=2)
    )
    response = login(sam).get(reverse("resources:follow_ups"))
    assert b"Overdue" in response.content
    assert b"Desert Bupe Clinic" in response.content
    assert b"Desert Bupe Clinic" not in login(olga).get(reverse("resources:follow_ups")).content


def test_supervisor_sees_the_sites_referrals(referral, sue, login):
    response = login(sue).get(reverse("resources:follow_ups"))
    assert b"Desert Bupe Clinic" in response.content
    assert b"open referrals at your sites" in response.content


def test_follow_up_list_query_count_is_flat(
    sam, downtown, participant, bupe_clinic, login, django_assert_max_num_queries
):
    for _ in range(20):
        do_make_referral(
            participant=participant, resource=bupe_clinic, need="counseling", by=sam, site=downtown
        )
    client = login(sam)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("resources:follow_ups"))
    assert response.content.count(b"Desert Bupe Clinic") == 20


def test_specialist_refers_and_marks_linked_through_the_pages(sam, login, participant, bupe_clinic):
    client = login(sam)
    page = client.post(
        reverse("resources:search_for_participant", args=[participant.pk]),
        {"needs": "buprenorphine"},
    )
    refer_url = reverse("resources:refer", args=[participant.pk, bupe_clinic.pk])
    assert refer_url.encode() in page.content
    response = client.post(refer_url, {"need": "buprenorphine", "site": sam.current_site_id})
    assert response.status_code == 302
    referral = Referral.objects.get()
    detail = client.get(reverse("participants:detail", args=[participant.pk]))
    assert b"Desert Bupe Clinic" in detail.content
    response = client.post(reverse("resources:referral", args=[referral.pk]), {"status": "linked"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "linked"


def test_participant_identifiers_and_needs_never_go_in_a_query_string(
    sam, login, participant, bupe_clinic
):
    client = login(sam)
    page = client.post(
        reverse("resources:search_for_participant", args=[participant.pk]),
        {"needs": "buprenorphine"},
    ).content.decode()
    assert "Desert Bupe Clinic" in page
    addresses = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert addresses, "the page has no address: the check below proves nothing"
    for address in addresses:
        assert "?" not in address, address
        assert "buprenorphine" not in address and participant.card_code not in address, address


class R:
    def __init__(self, made_at, linked_at):
        self.made_at, self.linked_at = made_at, linked_at


NOW = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)


def test_linkage_share_counts_only_referrals_whose_30_days_are_over():
    day = datetime.timedelta(days=1)
    referrals = [
        R(NOW - 40 * day, NOW - 35 * day),  # linked in 5 days: counts
        R(NOW - 40 * day, NOW - 5 * day),  # linked in 35 days: too late
        R(NOW - 31 * day, None),  # not linked
        R(NOW - 10 * day, NOW - 9 * day),  # window still open: not counted at all
    ]
    assert linkage_within_30_days(referrals, NOW) == (1, 3, pytest.approx(1 / 3))
    assert linkage_within_30_days([], NOW) == (0, 0, None)


@given(
    st.lists(st.tuples(st.integers(0, 400), st.one_of(st.none(), st.integers(0, 400))), max_size=50)
)
def test_linkage_share_is_a_share_and_bounded(rows):
    referrals = [
        R(
            NOW - datetime.timedelta(days=made),
            None
            if link is None
            else NOW - datetime.timedelta(days=made) + datetime.timedelta(days=link),
        )
        for made, link in rows
    ]
    linked, eligible, share = linkage_within_30_days(referrals, NOW)
    assert 0 <= linked <= eligible <= len(referrals)
    assert eligible == sum(1 for made, _link in rows if made >= 30)
    assert share is None if eligible == 0 else 0 <= share <= 1
