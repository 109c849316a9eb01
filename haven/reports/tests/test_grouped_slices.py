"""The suppressed reports count every site, staff member and contact type with one
grouped query per figure; each slice must equal that slice's report built on its own."""

import datetime

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


def test_every_grouped_slice_equals_its_report_built_alone(program, sam, olga, sue, downtown):
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
