"""The dashboard's trends, read in bulk, against the figures' definitions (metrics.py)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from haven.outreach.actions import EncounterData, do_record_encounter
from haven.reports import metrics
from haven.reports.models import CachedFigures, ServedMonth
from haven.reports.tests.conftest import at
from haven.reports.views import _buckets, trend_series

pytestmark = pytest.mark.django_db


def defined(scope):
    """Each trend's figure of `scope`, from the definitions one at a time."""
    return {
        "contacts": metrics.contacts(scope),
        "participants": metrics.unique_participants(scope),
        "naloxone": sum(figures["doses"] for figures in metrics.naloxone(scope).values()),
        "reversals": metrics.overdose_reports(scope)["reversals"],
        "syringes_out": metrics.syringes_distributed(scope),
        "syringes_in": metrics.syringes_collected(scope),
        "linked": metrics.referrals(scope)["linked_within_30_days"],
    }


def assert_as_defined(buckets, site_ids=()):
    _names, values = trend_series(buckets, site_ids)
    for index, (_label, start, end) in enumerate(buckets):
        figures = defined(metrics.Scope(start, end, site_ids=site_ids))
        assert {key: series[index] for key, series in values.items()} == figures, start
    return values


def late_contact(staff, site, participant, when):
    """A contact a phone's outbox sends after its month has ended."""
    do_record_encounter(
        EncounterData(
            client_uuid=uuid.uuid4(),
            site=site,
            contact_type="mobile",
            occurred_at=when,
            participant=participant,
        ),
        staff=staff,
    )


@pytest.fixture
def in_mid_april(monkeypatch):
    today = datetime.date(2026, 4, 15)
    localdate = timezone.localdate
    # Today is mid-April; any other moment's local day is as it was.
    monkeypatch.setattr(
        timezone, "localdate", lambda value=None, *args: localdate(value, *args) if value else today
    )
    return today


def test_the_trends_are_the_defined_figures_by_month_week_and_site(
    program, in_mid_april, downtown, eastside
):
    months = _buckets("month", 12, in_mid_april)
    values = assert_as_defined(months)
    # P1 in January, P3 (merged into P1) in February, P2 in March and April.
    assert values["participants"][-4:] == [1, 1, 1, 1]
    assert sum(values["naloxone"]) > 0 and sum(values["syringes_out"]) == 125
    assert_as_defined(months, site_ids=(downtown.pk,))
    assert_as_defined(months, site_ids=(downtown.pk, eastside.pk))
    assert_as_defined(_buckets("week", 26, in_mid_april))
    assert_as_defined(_buckets("week", 26, in_mid_april), site_ids=(eastside.pk,))


def test_late_contacts_in_a_finished_month_are_counted_at_once(
    program, in_mid_april, sam, olga, downtown, eastside
):
    months = _buckets("month", 12, in_mid_april)
    assert trend_series(months)[1]["participants"][-3] == 1  # February
    assert ServedMonth.objects.filter(month=datetime.date(2026, 2, 1)).exists()

    # Phones' outboxes send February contacts in April: P2's, and P1's (P3, seen in
    # February, was merged into P1: one person).
    for staff, site, participant in ((olga, eastside, "p2"), (sam, downtown, "p1")):
        late_contact(staff, site, program[participant], at(2, 14))
    assert assert_as_defined(months)["participants"][-3] == 2
    assert assert_as_defined(months, site_ids=(downtown.pk,))["participants"][-3] == 1


def test_a_merge_after_the_trends_were_kept_is_counted_at_once(
    program, in_mid_april, olga, eastside, sue
):
    from haven.participants.actions import do_merge_participants

    late_contact(olga, eastside, program["p2"], at(1, 20))
    months = _buckets("month", 12, in_mid_april)
    # January: P1 and P2. The finished months' trends are kept.
    assert assert_as_defined(months)["participants"][-4] == 2
    assert CachedFigures.objects.filter(scope__startswith="trends ").count() == 11

    # P2 turns out to be P1: one person in January from now on.
    do_merge_participants(duplicate=program["p2"], keeper=program["p1"], by=sue)
    assert assert_as_defined(months)["participants"][-4] == 1
