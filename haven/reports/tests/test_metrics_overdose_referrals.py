"""The overdose, drug checking and referral metrics against known answers (2026 Q1)."""

import datetime

import pytest

from haven.overdose.models import Area, DrugCheck, OverdoseReport
from haven.reports import metrics
from haven.reports.metrics import Scope
from haven.resources.models import Referral, Resource

from .conftest import Q1, at


@pytest.fixture
def area(db):
    return Area.objects.create(code="85281", name="85281", kind="zip")


def report(area, when, doses, outcome, by=None, source="", ref=""):
    return OverdoseReport.objects.create(
        occurred_at=when,
        area=area,
        reported_by="participant",
        naloxone_doses=doses,
        naloxone_source="program" if doses else "none",
        outcome=outcome,
        recorded_by=by,
        source=source,
        source_ref=ref,
    )


def test_overdoses_and_reversals(area, sam, olga):
    report(area, at(1, 5), 2, "survived", sam)  # a reversal
    report(area, at(2, 5), 0, "survived", sam)  # survived, no naloxone: not a reversal
    report(area, at(3, 5), 1, "died", olga)  # naloxone given, died: not a reversal
    report(area, at(3, 6), 1, "survived", olga)  # a reversal
    report(area, at(3, 7), 1, "survived", None, source="Tempe EMS", ref="1")  # imported
    report(area, at(4, 5), 1, "survived", sam)  # next quarter
    assert metrics.overdose_reports(Scope(*Q1)) == {"reports": 4, "reversals": 2}
    assert metrics.overdose_reports(Scope(*Q1, staff_ids=(sam.pk,))) == {
        "reports": 2,
        "reversals": 1,
    }


def test_drug_checks_and_share_positive(area, sam, downtown, eastside):
    def check(day, result, site=downtown, method="fentanyl_strip"):
        DrugCheck.objects.create(
            checked_on=datetime.date(2026, 2, day),
            area=area,
            sold_as="heroin",
            sample_form="powder",
            method=method,
            result=result,
            site=site,
            recorded_by=sam,
        )

    check(1, "positive")
    check(2, "positive")
    check(3, "negative")
    check(4, "inconclusive")
    check(5, "positive", site=eastside)
    figures = metrics.drug_checks(Scope(*Q1, site_ids=(downtown.pk,)))
    assert figures == {"done": 4, "positive": 2, "negative": 1, "share_positive": 0.667}
    assert (
        metrics.drug_checks(Scope(datetime.date(2025, 1, 1), datetime.date(2025, 3, 31)))[
            "share_positive"
        ]
        is None
    )


def test_referrals_by_need_and_linked_within_30_days(sam, downtown, participant):
    clinic = Resource.objects.create(name="Clinic")

    def refer(made, need, status="made", linked_after_days=None):
        linked = made + datetime.timedelta(days=linked_after_days) if linked_after_days else None
        return Referral.objects.create(
            participant=participant,
            resource=clinic,
            need=need,
            site=downtown,
            made_by=sam,
            made_at=made,
            status=status,
            linked_at=linked,
        )

    refer(at(1, 10), "buprenorphine", "linked", linked_after_days=12)  # linked in time
    refer(at(1, 20), "buprenorphine", "linked", linked_after_days=45)  # linked too late
    refer(at(2, 10), "housing", "declined")
    refer(at(3, 1), "methadone")
    refer(at(4, 1), "housing", "linked", linked_after_days=2)  # next quarter
    figures = metrics.referrals(Scope(*Q1))
    assert figures["made"] == 4
    assert figures["by_need"] == {"buprenorphine": 2, "housing": 1, "methadone": 1}
    assert figures["linked_within_30_days"] == 1
    assert figures["share_linked"] == 0.25
    # Seen on March 2, only the referrals made by February 1 have had their 30 days.
    early = metrics.referrals(Scope(*Q1), now=at(3, 2))
    assert (early["eligible_for_linkage"], early["share_linked"]) == (2, 0.5)
