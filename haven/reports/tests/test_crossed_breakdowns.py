"""Suppressed reports attacked through the breakdowns crossed.

A contact has a site, a staff member and a type at once. Each site's and each staff
member's contacts by type are published, and who works where is known (the staff
list, a funder's site visit), so an attacker knows which combinations of site, staff
member and type had no contact: there every figure of the contacts is none. A
drop-in that is the only fixed site then has the fixed-site contacts' figures, and a
street site worked by one person has that person's. When the two are marked
differently (one a complement hidden for a small count's sake, the other shown) the
complement is undone, and the small count with it. Records that are not contacts
(referrals, drug checks) are classified by site and staff member together the same way.

The attacker here reads the CSV downloads of every slice and solves (scipy's MILP)
over the unknown figures of each combination, built from the downloads, who works
where and docs/reports.md alone.
"""

import datetime
import uuid

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import make_user
from haven.accounts.models import Site
from haven.participants.models import Participant
from haven.reports.models import DailyActivity, DailyService
from haven.resources.models import Referral, Resource

from .test_attacker_sweep import BIG, WIDTH, Attacker, published_tables

Q1 = {"period": "quarter", "year": "2026", "number": "1", "format": "csv"}
DAY = datetime.date(2026, 2, 2)
TYPES = {"fixed": "Fixed site", "mobile": "Mobile", "street": "Street"}
CONTACTS, TESTS = ("contacts_by_type", "All contacts"), ("services", "HIV tests")


def download(client, report, **params):
    response = client.get(reverse("reports:report", args=[report]), {**Q1, **params})
    assert response.status_code == 200
    return published_tables(response)


def figure(tables, title, label):
    """A published figure: a count, "<11", "suppressed", or "withheld" (a table not shown)."""
    return tables.get(title, {}).get(label, "withheld")


def attack_contacts(client, sites, staff, works_at):
    """The attacker of the contacts figures: {cell: (lowest, highest)} for every published
    figure of contacts and HIV tests, and for each combination's.

    `sites` and `staff` are {name: object}; `works_at` is {staff name: [site names]}.
    Cells are (figure, slice) and (figure, (site, staff, type)).
    """
    slices = {("all",): {}}
    slices |= {("site", name): {"site": site.pk} for name, site in sites.items()}
    slices |= {("staff", name): {"staff": person.pk} for name, person in staff.items()}
    slices |= {("type", kind): {"contact_type": kind} for kind in TYPES}
    published = {slice_: download(client, "ssp", **params) for slice_, params in slices.items()}
    attacker = Attacker()
    for slice_, tables in published.items():
        for kind, label in TYPES.items():
            attacker.see((("contacts", kind), slice_), figure(tables, "Contacts by type", label))
        attacker.see((CONTACTS, slice_), figure(tables, "Contacts by type", "All contacts"))
        attacker.see(
            (TESTS, slice_), figure(tables, "Testing and training at contacts", "HIV tests")
        )
        attacker.relate(
            {**{(("contacts", kind), slice_): 1 for kind in TYPES}, (CONTACTS, slice_): -1}
        )

    def zero(name, kind):
        return attacker.bounds[(("contacts", kind), name)] == (0, 0)

    # Where a site or a staff member published no contact of a type, no combination holds one.
    combinations = [
        (site, person, kind)
        for person, places in works_at.items()
        for site in places
        for kind in TYPES
        if not zero(("site", site), kind) and not zero(("staff", person), kind)
    ]
    for name in (*[("contacts", kind) for kind in TYPES], CONTACTS, TESTS):
        kinds = [name[1]] if name[0] == "contacts" else list(TYPES)
        parts = {c: (name, c) for c in combinations if c[2] in kinds}
        for cell in parts.values():
            attacker.unknown(cell)
        for slice_ in slices:
            held = [
                cell
                for c, cell in parts.items()
                if slice_ == ("all",) or c[("site", "staff", "type").index(slice_[0])] == slice_[1]
            ]
            attacker.relate({**dict.fromkeys(held, 1), (name, slice_): -1})
    for combination in combinations:
        # A combination's contacts add up, and an HIV test is done at a contact.
        attacker.relate(
            {
                **{
                    (("contacts", kind), combination): 1 for kind in TYPES if kind == combination[2]
                },
                (CONTACTS, combination): -1,
            }
        )
        attacker.relate({(TESTS, combination): 1, (CONTACTS, combination): -1}, "<=")
    cells = [cell for cell in attacker.bounds if cell[0] in (CONTACTS, TESTS)]
    return {cell: attacker.range_of(cell) for cell in cells}, attacker


def protected(value, lowest, highest):
    """What the attacker makes of a small count spans the protection width."""
    return not 1 <= value <= 10 or highest - lowest + 1 >= WIDTH


@pytest.fixture
def three_sites(sam, olga, downtown, eastside, catalog):
    """Downtown is the only fixed site (Sam); Eastside is street only (Olga); Westside has
    street and mobile contacts (Wes). Eastside's 5 HIV tests are the small count."""
    westside = Site.objects.create(name="Westside", kind=Site.Kind.STREET)
    wes = make_user("wes", "specialist", [westside])
    hiv = catalog["hiv_test"]
    hiv.reporting_group = "hiv_test"
    hiv.save()
    for person, site, kind, contacts, tests in (
        (sam, downtown, "fixed", 40, 30),
        (olga, eastside, "street", 20, 5),
        (wes, westside, "street", 30, 25),
        (wes, westside, "mobile", 20, 15),
    ):
        DailyActivity.objects.create(
            day=DAY, staff=person, site=site, contact_type=kind, encounters=contacts
        )
        DailyService.objects.create(
            day=DAY, staff=person, site=site, contact_type=kind, service=hiv, encounters=tests
        )
    return {
        "sites": {"Downtown": downtown, "Eastside": eastside, "Westside": westside},
        "staff": {"sam": sam, "olga": olga, "wes": wes},
        "works_at": {"sam": ["Downtown"], "olga": ["Eastside"], "wes": ["Westside"]},
    }


def test_a_site_that_is_all_the_fixed_contacts_gives_no_small_count_away(login, ana, three_sites):
    """Downtown's HIV tests are the fixed-site contacts' (30), and Westside's street ones are
    Westside's less its mobile ones (40 - 15): Eastside's 5 was everyone's less those."""
    client = login(ana)
    ranges, attacker = attack_contacts(client, **three_sites)
    eastside = (TESTS, ("site", "Eastside"))
    assert attacker.bounds[eastside] != (5, 5), "the small count is not shown"
    lowest, highest = ranges[eastside]
    assert highest - lowest + 1 >= WIDTH, f"Eastside's HIV tests: {lowest} to {highest}"


def test_a_combination_of_site_and_type_is_not_worked_out_either(login, ana, three_sites, sam):
    """Downtown's street HIV tests, published nowhere, are Downtown's less the fixed ones:
    a small one must not be worked out as their difference."""
    DailyActivity.objects.create(
        day=DAY,
        staff=sam,
        site=three_sites["sites"]["Downtown"],
        contact_type="street",
        encounters=12,
    )
    hiv = DailyService.objects.get(staff=sam).service
    DailyService.objects.create(
        day=DAY,
        staff=sam,
        site=three_sites["sites"]["Downtown"],
        contact_type="street",
        service=hiv,
        encounters=4,
    )
    client = login(ana)
    ranges, _attacker = attack_contacts(client, **three_sites)
    lowest, highest = ranges[(TESTS, ("Downtown", "sam", "street"))]
    assert highest - lowest + 1 >= WIDTH, f"Downtown's street HIV tests: {lowest} to {highest}"


def test_a_site_worked_by_one_person_gives_no_referral_count_away(
    login, ana, sam, olga, downtown, eastside
):
    """Referrals are made at a site by a staff member. Downtown is Sam's alone and Eastside
    Olga's; Westside has Wes and Zed. Hidden for Olga's 5, Downtown's 30 is Sam's 30."""
    westside = Site.objects.create(name="Westside", kind=Site.Kind.STREET)
    wes = make_user("wes", "specialist", [westside])
    zed = make_user("zed", "specialist", [westside])
    person = Participant.objects.create(alias="P", enrolled_site=downtown, created_by=sam)
    clinic = Resource.objects.create(name="Food bank")
    made_at = datetime.datetime(2026, 2, 3, 12, tzinfo=datetime.UTC)
    Referral.objects.bulk_create(
        Referral(
            participant=person,
            resource=clinic,
            need="food",
            site=site,
            made_by=staff,
            made_at=made_at,
        )
        for staff, site, count in (
            (sam, downtown, 30),
            (olga, eastside, 5),
            (wes, westside, 25),
            (zed, westside, 15),
        )
        for _ in range(count)
    )
    client = login(ana)
    sites = {"Downtown": downtown, "Eastside": eastside, "Westside": westside}
    staff = {"sam": sam, "olga": olga, "wes": wes, "zed": zed}
    works_at = {"sam": "Downtown", "olga": "Eastside", "wes": "Westside", "zed": "Westside"}
    attacker = Attacker()
    food = ("food", ("all",))
    attacker.see(food, figure(download(client, "grant"), "Referrals made by need", "Food"))
    for name, site in sites.items():
        tables = download(client, "grant", site=site.pk)
        attacker.see(("food", name), figure(tables, "Referrals made by need", "Food"))
    for name, person_ in staff.items():
        tables = download(client, "grant", staff=person_.pk)
        attacker.see(("food", name), figure(tables, "Referrals made by need", "Food"))
    # Each staff member refers only at the site they work at.
    attacker.relate({**{("food", name): 1 for name in sites}, food: -1})
    for name in sites:
        workers = [person_ for person_, place in works_at.items() if place == name]
        attacker.relate({**{("food", person_): 1 for person_ in workers}, ("food", name): -1})
    assert attacker.bounds[("food", "Eastside")] != (5, 5), "the small count is not shown"
    lowest, highest = attacker.range_of(("food", "Eastside"))
    assert highest - lowest + 1 >= WIDTH, f"Eastside's food referrals: {lowest} to {highest}"


# ---------------------------------------------------------------- any small program


@st.composite
def programs(draw):
    """Two or three sites; staff working at one or two of them; each combination of
    site, staff member and type with contacts of its own and HIV tests among them."""
    sites = draw(st.integers(2, 3))
    works_at = {
        person: draw(st.lists(st.integers(0, sites - 1), min_size=1, max_size=2, unique=True))
        for person in range(draw(st.integers(2, 4)))
    }
    # Sites mostly of one type, as drop-ins, vans and street outreach are.
    types_at = {
        site: draw(st.lists(st.sampled_from(list(TYPES)), min_size=1, max_size=2, unique=True))
        for site in range(sites)
    }
    count = st.one_of(st.integers(1, 12), st.integers(11, 45))
    rows = []
    for person, places in works_at.items():
        for site in places:
            for kind in types_at[site]:
                if draw(st.booleans()):
                    contacts = draw(count)
                    rows.append((site, person, kind, contacts, draw(st.integers(0, contacts))))
    return sites, works_at, rows


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(program=programs())
# Found by it: 4 HIV tests at 4 mobile contacts, and 10 at 10 street contacts; a test is
# done at a contact.
@example(
    program=(
        3,
        {0: [0, 2], 1: [2], 2: [0]},
        [
            (0, 0, "fixed", 23, 9),
            (2, 0, "street", 10, 10),
            (2, 0, "fixed", 4, 0),
            (2, 1, "street", 12, 9),
            (0, 2, "fixed", 1, 0),
        ],
    )
)
@example(
    program=(
        2,
        {0: [0, 1], 1: [1], 2: [1, 0]},
        [
            (0, 0, "fixed", 11, 10),
            (0, 0, "mobile", 4, 4),
            (1, 0, "street", 22, 17),
            (1, 1, "street", 35, 21),
            (1, 2, "street", 22, 19),
            (0, 2, "mobile", 35, 18),
        ],
    )
)
def test_no_small_count_of_any_program_is_worked_out_through_the_combinations(
    login, ana, catalog, program
):
    """Every published "<11" and every small combination's figure (published nowhere)
    spans the protection width, for the contacts and the HIV tests, whatever the program;
    and no count marked hidden can be worked out to the last one."""
    site_count, works_at, rows = program
    with transaction.atomic():
        hiv = catalog["hiv_test"]
        hiv.reporting_group = "hiv_test"
        hiv.save()
        tag = uuid.uuid4().hex[:6]
        sites = {
            name: Site.objects.create(name=f"S{name} {tag}", kind=Site.Kind.DROP_IN)
            for name in range(site_count)
        }
        staff = {
            name: make_user(f"p{name}-{tag}", "specialist", [sites[s] for s in places])
            for name, places in works_at.items()
        }
        for site, person, kind, contacts, tests in rows:
            DailyActivity.objects.create(
                day=DAY,
                staff=staff[person],
                site=sites[site],
                contact_type=kind,
                encounters=contacts,
            )
            if tests:
                DailyService.objects.create(
                    day=DAY,
                    staff=staff[person],
                    site=sites[site],
                    contact_type=kind,
                    service=hiv,
                    encounters=tests,
                )
        ranges, attacker = attack_contacts(login(ana), sites, staff, works_at)
        truth = {}
        for site, person, kind, contacts, tests in rows:
            truth[(CONTACTS, (site, person, kind))] = contacts
            truth[(TESTS, (site, person, kind))] = tests
        for cell, (lowest, highest) in ranges.items():
            if cell in truth:
                assert protected(truth[cell], lowest, highest), (cell, truth[cell], lowest, highest)
            elif highest <= 10 and lowest >= 1:
                # A published "<11" (or a figure worked out to be one).
                assert highest - lowest + 1 >= WIDTH, (cell, lowest, highest)
            published = attacker.bounds[cell]
            if cell not in truth and published[0] != published[1] and lowest > 0:
                # A count marked hidden is not a total less the shown rows, or the same
                # figure shown in another slice: it would be shown.
                assert lowest < highest, (cell, "hidden, yet it is", lowest)
        transaction.set_rollback(True)


def test_the_attacker_of_this_module_sees_through_the_combinations(login, ana, three_sites):
    """The attacker is not blind: Downtown's HIV tests are the fixed-site contacts', however
    each is marked, and Downtown's contacts are known to the last one."""
    client = login(ana)
    ranges, attacker = attack_contacts(client, **three_sites)
    assert ranges[(TESTS, ("site", "Downtown"))] == ranges[(TESTS, ("type", "fixed"))]
    assert ranges[(CONTACTS, ("Downtown", "sam", "fixed"))] == (40, 40)
    assert attacker.bounds[(TESTS, ("Downtown", "sam", "fixed"))] == (0, BIG)


def test_a_table_no_contact_type_changes_is_marked_alike_in_every_slice(
    login, ana, sam, olga, downtown, eastside
):
    """Referrals have no contact type: each type's slice shows the whole program's
    referrals. Withheld for everyone but shown for street contacts, the table would be
    published all the same, while saying it was too few to show."""
    from haven.resources.models import Need

    person = Participant.objects.create(alias="P", enrolled_site=downtown, created_by=sam)
    clinic = Resource.objects.create(name="Clinic")
    made_at = datetime.datetime(2026, 2, 3, 12, tzinfo=datetime.UTC)
    needs = list(Need.values)
    Referral.objects.bulk_create(
        Referral(
            participant=person,
            resource=clinic,
            need=need,
            site=site,
            made_by=staff,
            made_at=made_at,
        )
        for index, need in enumerate(needs)
        for staff, site, count in ((sam, downtown, index % 5 + 1), (olga, eastside, index % 3 + 2))
        for _ in range(count)
    )
    client = login(ana)
    title = "Referrals made by need"
    everyone = download(client, "grant").get(title, {})
    for kind in TYPES:
        assert download(client, "grant", contact_type=kind).get(title, {}) == everyone, kind
