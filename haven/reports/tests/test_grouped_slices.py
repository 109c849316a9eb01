"""The suppressed reports count every site, staff member and contact type with one
grouped query per figure; each slice must equal that slice's report built on its own."""

import datetime

import pytest

from haven.accounts.models import Site
from haven.outreach.models import Encounter
from haven.overdose.models import Area, DrugCheck, OverdoseReport
from haven.reports import standard
from haven.reports.metrics import Scope
from haven.resources.models import Referral, Resource
from haven.supplies.models import StockLocation, SyringeCollection

from .conftest import Q1, at


def figures_of(report):
    return [(table.key, table.rows, table.notes) for table in report.tables]


@pytest.fixture
def records_of_every_kind(program, sam, olga, downtown):
    """The small program's contacts, with overdose reports, drug checks, referrals and a
    syringe collection besides."""
    area = Area.objects.create(code="85281", name="85281", kind="zip")
    # Reports made at a contact follow its site and type; one made on its own does not.
    street = Encounter.objects.get(contact_type="street", participant__isnull=True)
    fixed = Encounter.objects.filter(contact_type="fixed").first()
    for when, doses, outcome, by, encounter in (
        (at(1, 5), 2, "survived", sam, fixed),
        (at(2, 5), 1, "died", olga, street),
        (at(3, 6), 1, "survived", None, None),
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
    """The figures of each combination of site, staff member and type (of site and type for
    overdose reports, of site and staff member for records that are not contacts), counted
    grouped, are those of a report filtered by all of them at once."""
    scope = Scope(*Q1)
    crossed = standard.crossed_reports(scope)
    contacted = set(
        Encounter.objects.filter(scope.encounters()).values_list("site", "staff", "contact_type")
    )
    assert {c for (_c, dims, c) in crossed if dims == standard.CONTACT} == contacted
    filters = {"site": "site_ids", "staff": "staff_ids", "type": "contact_types"}
    for (_cross, dims, combination), report in crossed.items():
        chosen = {filters[d]: (member,) for d, member in zip(dims, combination, strict=True)}
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
