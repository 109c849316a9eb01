"""Suppressed reports as the analyst downloads them, tried as a curious analyst would.

A busy first quarter of 2026 (contacts only, written straight into the daily
summaries the reports read):

| staff | site | fixed site | mobile | street |
|---|---|---|---|---|
| sam | Downtown | 40 | | 4 |
| olga | Eastside | | 30 | 20 |
| sue | Downtown | 20 | | 25 |
| max | Downtown | 35 | | |

Sam's 4 street contacts are the small count to protect.
"""

import csv
import datetime
import io
import uuid

import numpy as np
import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader
from scipy.optimize import Bounds, LinearConstraint, milp

from haven.reports.models import DailyActivity

Q1_QUERY = {"period": "quarter", "year": "2026", "number": "1"}
TYPES = ["Fixed site", "Mobile", "Street", "Mail", "Virtual", "All contacts"]


@pytest.fixture
def busy_quarter(busy_day, sam, olga, sue, max_manager):
    busy_day(datetime.date(2026, 2, 1))
    return {"sam": sam, "olga": olga, "sue": sue, "max": max_manager}


def get(client, **params):
    return client.get(reverse("reports:report", args=["ssp"]), {**Q1_QUERY, **params})


def contacts_table(response):
    """The published "Contacts by type" rows of a CSV download: {label: value}."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = rows.index(["Contacts by type"]) + 1
    table = {}
    for row in rows[start:]:
        if not row:
            break
        table[row[0]] = int(row[1]) if row[1].isdigit() else row[1]
    return table


def attacker_range(published, equations, target):
    """Smallest and largest whole value of `target` given the published tables.

    `published` is {cell: int or mark}; `equations` are lists of (cell, coefficient)
    that sum to zero. Built here from the downloads alone.
    """
    hidden = [cell for cell, value in published.items() if not isinstance(value, int)]
    index = {cell: i for i, cell in enumerate(hidden)}
    low = [{"<11": 1, "suppressed": 11}.get(published[c], 0) for c in hidden]
    high = [10 if published[c] == "<11" else 10**6 for c in hidden]
    matrix, right = [], []
    for equation in equations:
        row, constant = np.zeros(len(hidden)), 0
        for cell, a in equation:
            if cell in index:
                row[index[cell]] += a
            else:
                constant += a * published[cell]
        if row.any():
            matrix.append(row)
            right.append(-constant)
    found = []
    for sign in (1, -1):
        objective = np.zeros(len(hidden))
        objective[index[target]] = sign
        result = milp(
            objective,
            constraints=[LinearConstraint(np.array(matrix), right, right)],
            integrality=np.ones(len(hidden)),
            bounds=Bounds(low, high),
        )
        assert result.status == 0
        found.append(sign * result.fun)
    return found[0], found[1]


def test_one_staff_members_small_count_cannot_be_worked_out_from_everyones(
    login, ana, busy_quarter
):
    client = login(ana)
    published, equations = {}, []
    slices = ["all", *busy_quarter]
    for name in slices:
        params = {"format": "csv"}
        if name != "all":
            params["staff"] = busy_quarter[name].pk
        table = contacts_table(get(client, **params))
        for label in TYPES:
            published[(name, label)] = table[label]
        equations.append([((name, label), 1) for label in TYPES[:-1]] + [((name, TYPES[-1]), -1)])
    for label in TYPES:
        equations.append([((name, label), 1) for name in slices[1:]] + [(("all", label), -1)])
    assert published[("sam", "Street")] == "<11"
    lowest, highest = attacker_range(published, equations, ("sam", "Street"))
    assert highest - lowest + 1 >= 10


def test_complementary_cells_say_suppressed_alike_on_the_page_and_in_every_file(
    login, ana, busy_quarter
):
    client = login(ana)
    sam = busy_quarter["sam"].pk
    page = get(client, staff=sam)
    on_page = dict(page.context["report"].tables[0].rows)
    assert on_page["Street"] == "<11"
    complements = [label for label, value in on_page.items() if value == "suppressed"]
    assert complements, on_page
    # A complement is never printed as "<11": each of these is 11 or more.
    exact = {"Fixed site": 40, "Street": 4, "All contacts": 44}
    assert all(exact[label] >= 11 for label in complements)
    assert contacts_table(get(client, staff=sam, format="csv")) == on_page
    sheet = load_workbook(io.BytesIO(get(client, staff=sam, format="xlsx").content)).active
    cells = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert all(cells[label] == value for label, value in on_page.items())
    pdf = get(client, staff=sam, format="pdf").content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    lines = [line.strip() for line in text.split("\n")]
    for label in complements:
        assert lines[lines.index(label) + 1] == "suppressed"
    sheet_text = "\n".join(str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0])
    for where in (page.content.decode(), text, sheet_text):
        assert "Small counts suppressed (1–10 hidden; protection width 10)" in where
        assert "it may be any size" in " ".join(where.split())


def test_the_analyst_is_not_offered_exact_figures(login, ana, busy_quarter):
    response = login(ana).get(reverse("reports:report", args=["ssp"]))
    assert 'name="suppress"' not in response.content.decode()
    assert "Small counts are always hidden in your reports." in response.content.decode()


@pytest.mark.parametrize("crafted", [{}, {"suppress": ""}, {"suppress": "off"}])
def test_a_crafted_request_for_exact_figures_still_gets_suppressed_ones(
    login, ana, busy_quarter, crafted
):
    client = login(ana)
    sam = busy_quarter["sam"].pk
    response = get(client, staff=sam, **crafted)
    assert response.context["report"].suppressed
    assert dict(response.context["report"].tables[0].rows)["Street"] == "<11"
    download = get(client, staff=sam, format="csv", **crafted)
    assert contacts_table(download)["Street"] == "<11"
    assert "EXACT FIGURES" not in download.content.decode("utf-8-sig")


def test_a_manager_may_choose_exact_figures_for_internal_use(login, max_manager, busy_quarter):
    client = login(max_manager)
    sam = busy_quarter["sam"].pk
    exact = get(client, staff=sam, format="csv")
    assert contacts_table(exact)["Street"] == 4
    assert "EXACT FIGURES — internal use only" in exact.content.decode("utf-8-sig")
    hidden = get(client, staff=sam, format="csv", suppress="on")
    assert contacts_table(hidden)["Street"] == "<11"


def test_suppressed_reports_take_one_breakdown_at_a_time(login, ana, busy_quarter, downtown):
    # Downtown and Sam together is not in the audited set: it could be
    # differenced against Downtown alone.
    response = get(login(ana), staff=busy_quarter["sam"].pk, site=downtown.pk)
    assert response.status_code == 400
    assert "choose only one of them" in response.content.decode()


def test_a_supervisor_of_several_sites_chooses_one_for_suppressed_figures(
    login, sue, eastside, busy_quarter
):
    sue.sites.add(eastside)
    client = login(sue)
    assert get(client, suppress="on").status_code == 400
    response = get(client, suppress="on", site=eastside.pk)
    assert response.status_code == 200
    assert response.context["report"].suppressed


def test_every_figure_of_a_site_report_is_consistent_with_the_whole(
    login, ana, busy_quarter, downtown, eastside
):
    client = login(ana)
    whole = contacts_table(get(client, format="csv"))
    parts = [contacts_table(get(client, site=s.pk, format="csv")) for s in (downtown, eastside)]
    for label in TYPES:
        values = [whole[label]] + [part[label] for part in parts]
        if all(isinstance(v, int) for v in values):
            assert values[0] == sum(values[1:])


def test_a_breakdown_too_small_to_show_safely_says_so(login, ana, busy_quarter, eastside):
    from conftest import make_user

    tia = make_user("tia", "specialist", [eastside])
    DailyActivity.objects.create(
        day=datetime.date(2026, 2, 2), staff=tia, site=eastside, contact_type="street", encounters=3
    )
    client = login(ana)
    response = get(client, staff=tia.pk)
    assert response.context["report"].too_small
    assert response.context["report"].tables == []
    assert "no figure can be shown safely" in response.content.decode()
    download = get(client, staff=tia.pk, format="csv").content.decode("utf-8-sig")
    assert "no figure can be shown safely" in download
    assert "Street" not in download
    # The whole program's report still shows what it safely can.
    assert get(client).context["report"].tables


def test_a_figure_is_marked_alike_in_every_report_that_shows_it(login, ana, busy_quarter):
    client = login(ana)
    sam = busy_quarter["sam"].pk
    shown = {}
    for slug in ("ssp", "naloxone", "grant"):
        response = client.get(reverse("reports:report", args=[slug]), {**Q1_QUERY, "staff": sam})
        for table in response.context["report"].tables:
            for label, value in table.rows:
                shown.setdefault((table.key, label), set()).add(str(value))
    assert shown[("contacts_by_type", "Street")] == {"<11"}
    assert all(len(values) == 1 for values in shown.values()), shown


def test_the_share_positive_never_gives_away_a_small_count_of_negatives(
    login, ana, busy_quarter, downtown
):
    from haven.overdose.models import Area, DrugCheck, Substance

    area = Area.objects.create(code="85281", name="85281 Downtown", kind=Area.Kind.ZIP)
    for result, n in (("positive", 15), ("negative", 3)):
        DrugCheck.objects.bulk_create(
            DrugCheck(
                checked_on=datetime.date(2026, 2, 3),
                area=area,
                sold_as=Substance.values[0],
                sample_form="powder",
                method="fentanyl_strip",
                result=result,
                site=downtown,
                recorded_by=busy_quarter["sam"],
            )
            for _ in range(n)
        )
    response = login(ana).get(reverse("reports:report", args=["naloxone"]), Q1_QUERY)
    overdose = next(t for t in response.context["report"].tables if t.key == "overdose")
    rows = dict(overdose.rows)
    assert rows["Drug checks negative"] == "<11"
    # 15 positive at 83.3 % would say 3 negative.
    assert dict(overdose.notes)["Share of drug checks positive"] == "suppressed"


@pytest.mark.parametrize("change", ["role", "sites"])
def test_a_former_staff_members_small_count_is_not_the_gap_between_everyone_and_the_rest(
    login, ana, busy_quarter, change
):
    # Sam stops being offered in the staff breakdown: he becomes an analyst, or loses
    # his sites. His 4 street contacts of the quarter are still in everyone's figures.
    sam = busy_quarter["sam"]
    if change == "role":
        sam.role = "analyst"
        sam.save()
    else:
        sam.sites.clear()
    client = login(ana)
    offered = list(
        get(client).context["form"].fields["staff"].queryset.values_list("pk", flat=True)
    )
    assert sam.pk not in offered
    slices = {"all": get(client, format="csv")}
    slices.update({pk: get(client, staff=pk, format="csv") for pk in offered})
    published, equations = {}, []
    for name, response in slices.items():
        table = contacts_table(response)
        published.update({(name, label): table[label] for label in TYPES})
    # What nobody offered holds is unknown to the attacker, and the rest of everyone's.
    published.update({("gap", label): "unknown" for label in TYPES})
    for name in [*slices, "gap"]:
        equations.append([((name, label), 1) for label in TYPES[:-1]] + [((name, TYPES[-1]), -1)])
    for label in TYPES:
        parts = [((name, label), 1) for name in [*offered, "gap"]]
        equations.append([*parts, (("all", label), -1)])
    lowest, highest = attacker_range(published, equations, ("gap", "Street"))
    assert highest - lowest + 1 >= 10, f"Sam's street contacts: {lowest} to {highest}"


def csv_table(response, title):
    """The published rows of one table of a CSV download: {label: value}."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    if [title] not in rows:
        return {}
    table = {}
    for row in rows[rows.index([title]) + 1 :]:
        if not row:
            break
        table[row[0]] = int(row[1]) if row[1].isdigit() else row[1]
    return table


def test_people_trained_anonymously_add_up_by_site_and_are_protected_as_such(
    login, ana, busy_quarter, downtown, eastside
):
    from haven.training.models import TrainingSession

    # Each session is at one site: its headcount is in that site's figures only, so
    # everyone's "others present" is exactly the sites' sum (no session elsewhere).
    for site, trainer, headcount in (
        (downtown, busy_quarter["sue"], 20),
        (eastside, busy_quarter["olga"], 1),
    ):
        session = TrainingSession.objects.create(
            client_uuid=uuid.uuid4(),
            topic="overdose_response",
            held_on=datetime.date(2026, 2, 10),
            site=site,
            audience="family_friends",
            headcount=headcount,
            created_by=trainer,
        )
        session.trainers.set([trainer])
    client = login(ana)
    title, row = "People trained at group sessions", "Others present (headcount)"

    def others(**params):
        response = client.get(
            reverse("reports:report", args=["naloxone"]), {**Q1_QUERY, **params, "format": "csv"}
        )
        return csv_table(response, title).get(row)

    everyone, at_downtown, at_eastside = (
        others(),
        others(site=downtown.pk),
        others(site=eastside.pk),
    )
    # Eastside's one person is hidden: "<11", or the whole table withheld.
    assert not isinstance(at_eastside, int)
    # The attacker subtracts Downtown's from everyone's.
    assert not (isinstance(everyone, int) and isinstance(at_downtown, int)), (
        f"Eastside's: {everyone} - {at_downtown}"
    )


def test_people_trained_at_no_site_are_not_the_gap_between_everyone_and_the_sites(
    login, ana, busy_quarter, downtown, eastside
):
    from haven.training.models import TrainingSession

    # Two people at a session in the library, which is none of the program's sites:
    # in everyone's figures, in no site's.
    sessions = [
        (downtown, "", busy_quarter["sue"], 20),
        (eastside, "", busy_quarter["olga"], 15),
        (None, "Public library", busy_quarter["olga"], 2),
    ]
    for site, place, trainer, headcount in sessions:
        session = TrainingSession.objects.create(
            client_uuid=uuid.uuid4(),
            topic="overdose_response",
            held_on=datetime.date(2026, 2, 10),
            site=site,
            place=place,
            audience="family_friends",
            headcount=headcount,
            created_by=trainer,
        )
        session.trainers.set([trainer])
    client = login(ana)
    title, row = "People trained at group sessions", "Others present (headcount)"

    def others(**params):
        response = client.get(
            reverse("reports:report", args=["naloxone"]), {**Q1_QUERY, **params, "format": "csv"}
        )
        return csv_table(response, title).get(row)

    figures = [others(), others(site=downtown.pk), others(site=eastside.pk)]
    # The attacker subtracts the sites' from everyone's: the library's two people.
    assert not all(isinstance(value, int) for value in figures), (
        "the library's: {} - {} - {}".format(*figures)
    )
