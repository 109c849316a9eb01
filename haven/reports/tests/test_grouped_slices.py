"""The suppressed reports count every site, staff member and contact type with one
grouped query per figure; each slice must equal that slice's report built on its own."""

import datetime
import uuid
from collections import defaultdict

import pytest

from haven.accounts.models import Site
from haven.outreach.models import Encounter
from haven.overdose.models import Area, DrugCheck, OverdoseReport
from haven.reports import standard
from haven.reports.metrics import Scope
from haven.resources.models import Referral, Resource
from haven.supplies.models import StockLocation, SyringeCollection
from haven.training.models import TrainingSession

from .conftest import Q1, at


def figures_of(report):
    return [(table.key, table.rows, table.notes) for table in report.tables]


@pytest.fixture
def records_of_every_kind(program, sam, olga, downtown):
    """The small program's contacts, with overdose reports, drug checks, referrals, a
    syringe collection and training sessions besides."""
    area = Area.objects.create(code="85281", name="85281", kind="zip")
    # Reports made at a contact follow its site and type; one made on its own does not.
    street = Encounter.objects.get(contact_type="street", participant__isnull=True)
    fixed = Encounter.objects.filter(contact_type="fixed").first()
    for when, doses, outcome, by, encounter in (
        (at(1, 5), 2, "survived", sam, fixed),
        (at(2, 5), 1, "died", olga, street),
        (at(3, 6), 1, "survived", None, None),
        (at(3, 7), 0, "unknown", sam, None),
    ):
        OverdoseReport.objects.create(
            occurred_at=when,
            area=area,
            reported_by="participant",
            naloxone_doses=doses,
            naloxone_source="program",
            outcome=outcome,
            recorded_by=by,
            encounter=encounter,
        )
    for day, result, by in ((1, "positive", sam), (2, "negative", olga), (3, "positive", sam)):
        DrugCheck.objects.create(
            checked_on=datetime.date(2026, 2, day),
            area=area,
            sold_as="heroin",
            sample_form="powder",
            method="fentanyl_strip",
            result=result,
            site=downtown,
            recorded_by=by,
        )
    clinic = Resource.objects.create(name="Clinic")
    for made, need, by in ((at(1, 10), "housing", sam), (at(2, 10), "methadone", olga)):
        Referral.objects.create(
            participant=program["p1"],
            resource=clinic,
            need=need,
            site=downtown,
            made_by=by,
            made_at=made,
            status="linked",
            linked_at=made + datetime.timedelta(days=3),
        )
    shelf = StockLocation.objects.create(name="Downtown shelf", kind="site", site=downtown)
    SyringeCollection.objects.create(
        location=shelf, site=downtown, occurred_at=at(2, 2), recorded_by=olga, syringes=40
    )
    # Sessions at Downtown by Sam, one with Olga too, and one of Olga's at no site.
    for site, trainers, headcount in (
        (downtown, [sam], 12),
        (downtown, [sam, olga], 8),
        (None, [olga], 5),
    ):
        session = TrainingSession.objects.create(
            client_uuid=uuid.uuid4(),
            topic="overdose_response",
            held_on=datetime.date(2026, 2, 20),
            site=site,
            place="" if site else "Public library",
            audience="participants",
            headcount=headcount,
            created_by=trainers[0],
        )
        session.trainers.set(trainers)


def test_every_grouped_slice_equals_its_report_built_alone(records_of_every_kind, sam, olga, sue):
    empty_site = Site.objects.create(name="Nowhere")
    members = {
        "site": [*Site.objects.order_by("pk").values_list("pk", flat=True)],
        "staff": [sam.pk, olga.pk, sue.pk],
        "type": ["fixed", "mobile", "street", "mail", "virtual"],
    }
    assert empty_site.pk in members["site"]
    scope = Scope(*Q1)
    grouped = standard.linked_reports(scope, members)
    filters = {"site": "site_ids", "staff": "staff_ids", "type": "contact_types"}
    assert figures_of(grouped[("all",)]) == figures_of(standard.every_table(scope))
    for dimension, pks in members.items():
        for pk in pks:
            alone = standard.every_table(Scope(*Q1, **{filters[dimension]: (pk,)}))
            assert figures_of(grouped[(dimension, pk)]) == figures_of(alone), (dimension, pk)


def test_every_combination_of_breakdowns_equals_its_report_built_alone(records_of_every_kind):
    """The figures of each combination of site, staff member and type (of site and staff
    member for records that are not contacts, of site and trainer for trainings), counted
    grouped, are those of a report filtered by all of them at once. (Overdose reports and
    combinations with no site are checked below by what they add up to: a report filtered
    by a staff member and a site is one made at that staff member's contact.)"""
    scope = Scope(*Q1)
    crossed = standard.crossed_reports(scope)
    contacted = set(
        Encounter.objects.filter(scope.encounters()).values_list("site", "staff", "contact_type")
    )
    assert {c for (_c, dims, c) in crossed if dims == standard.CONTACT} == contacted
    filters = {"site": "site_ids", "staff": "staff_ids", "type": "contact_types"}
    for (_cross, dims, combination), report in crossed.items():
        if dims == standard.RECORDED or None in combination:
            continue
        breakdowns = standard.breakdowns_of(dims)
        chosen = {filters[d]: (member,) for d, member in zip(breakdowns, combination, strict=True)}
        alone = {table.key: table for table in standard.every_table(Scope(*Q1, **chosen)).tables}
        compared = 0
        for table in report.tables:
            counts = dict(alone[table.key].rows)
            for label, count in table.rows:
                if table.records_of(label).crossed == dims:
                    assert count == counts.get(label, 0), (combination, table.key, label)
                    compared += 1
        assert compared, combination


def test_every_row_classified_by_breakdowns_together_has_its_combinations(records_of_every_kind):
    """A table added to the reports with contacts' figures is split over the combinations
    too (standard.CROSSED_TABLES), or the audit would not know what each site's is made of."""
    scope = Scope(*Q1)
    split = {
        (dims, table.key, label)
        for (_cross, dims, _combination), report in standard.crossed_reports(scope).items()
        for table in report.tables
        for label, _count in table.rows
        if table.records_of(label).crossed == dims
    }
    for table in standard.every_table(scope).tables:
        for label, _count in table.rows:
            dims = table.records_of(label).crossed
            if dims:
                assert (dims, table.key, label) in split, (table.key, label)


def test_every_report_and_session_is_in_the_combinations_each_slice_adds_up(
    records_of_every_kind, sam, olga, sue
):
    """An overdose report is in one combination of site, recorder and type, or of its
    recorder alone when no site holds it (nobody: the public form); a session in one of its
    site (or none) and each of its trainers. Each site's, staff member's and type's reports
    are the sum of their combinations', and each trainer's sessions, a session held at
    one site."""
    scope = Scope(*Q1)
    members = {
        "site": [*Site.objects.order_by("pk").values_list("pk", flat=True)],
        "staff": [sam.pk, olga.pk, sue.pk],
        "type": ["fixed", "mobile", "street", "mail", "virtual"],
    }
    slices = standard.linked_reports(scope, members)
    crossed = standard.crossed_reports(scope)

    def figure(report, key, label):
        return dict(next(t for t in report.tables if t.key == key).rows).get(label, 0)

    for dims, key, label in (
        (standard.RECORDED, "overdose", "Overdoses reported"),
        (standard.RECORDED, "overdose", "Reversals reported"),
        (standard.TRAINED, "training_sessions", "All sessions"),
    ):
        sums = defaultdict(int)
        for (_cross, kind, combination), report in crossed.items():
            if kind == dims:
                for breakdown, member in zip(standard.breakdowns_of(dims), combination):
                    sums[(breakdown, member)] += figure(report, key, label)
        assert sum(sums[("staff", pk)] for pk in members["staff"]), (key, label)
        for (breakdown, member), total in sums.items():
            if dims == standard.TRAINED and breakdown == "site":
                continue  # a session given by two is in two of its site's combinations
            if member is not None:
                assert total == figure(slices[(breakdown, member)], key, label), (breakdown, member)
        whole = figure(slices[("all",)], key, label)
        staff = sum(figure(slices[("staff", pk)], key, label) for pk in members["staff"])
        if dims == standard.RECORDED:
            assert sums[("staff", None)] == whole - staff
            sites = sum(figure(slices[("site", pk)], key, label) for pk in members["site"])
            assert sums[("site", None)] == whole - sites > 0
