"""Every suppressed report, every slice an analyst can download, attacked at once.

The attacker downloads each standard report (CSV) for the whole program, each
site, each staff member the form offers and each contact type, for one
quarter, and reads the figures as published: a number, "<11" (1 to 10),
"suppressed" (11 or more) or a withheld table (anything). They know what
docs/reports.md says of how the figures relate (a table's rows add up to its
total; a row adds up across sites, staff members or contact types, or
overlaps for people counted once, or is the same for every member; each
demographic table's total is the unique participants served), and that what
no member holds is some unknown count of 0 or more. For every "<11", and for
what no member holds, they solve (scipy's MILP, built here from the downloads
alone) for its smallest and largest whole value: a small one must span the
protection width.
"""

import csv
import datetime
import io
import uuid

import numpy as np
import pytest
from django.urls import reverse
from scipy.optimize import Bounds, LinearConstraint, milp

from haven.reports import standard
from haven.reports.metrics import Scope
from haven.training.models import TrainingSession

Q1_QUERY = {"period": "quarter", "year": "2026", "number": "1", "format": "csv"}
BIG = 10**6
WIDTH = 10
# What the attacker reads in the metric definitions beyond each table's links: names
# and headcounts at trainings count per session, and a session is at one site.
PER_SESSION = {"Named for a certificate", "Others present (headcount)"}


@pytest.fixture
def busy_program(program, busy_day, sam, olga, sue, max_manager, downtown, eastside):
    """The small program of conftest.py, with a busy quarter's contacts and trainings."""
    busy_day(datetime.date(2026, 2, 2))
    sessions = [
        (downtown, "", sue, 20, "family_friends"),
        (eastside, "", olga, 1, "family_friends"),
        (downtown, "", sue, 14, "participants"),
        (None, "Public library", olga, 2, "family_friends"),
    ]
    # Trainings are often held elsewhere: a dozen at the community centre.
    sessions += [(None, "Community centre", olga, 2, "participants")] * 12
    for site, place, trainer, headcount, audience in sessions:
        session = TrainingSession.objects.create(
            client_uuid=uuid.uuid4(),
            topic="overdose_response",
            held_on=datetime.date(2026, 2, 10),
            site=site,
            place=place,
            audience=audience,
            headcount=headcount,
            created_by=trainer,
        )
        session.trainers.set([trainer])


def published_tables(response):
    """{table title: {label: value}} of a CSV download; a withheld table is {}."""
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    tables, current = {}, None
    for row in rows:
        if not row:
            current = None
        elif current is None and len(row) == 1:
            current = tables.setdefault(row[0], {})
        elif current is not None and len(row) == 2 and row[1] != "":
            current[row[0]] = int(row[1]) if row[1].isdigit() else row[1]
    return tables


class Attacker:
    def __init__(self):
        self.bounds = {}  # {cell: (lowest, highest)}; a number is both
        self.equations = []  # [({cell: a}, "=" or "<=")]: sum of a * cell (sense) 0

    def see(self, cell, value):
        marks = {"<11": (1, 10), "suppressed": (11, BIG)}
        self.bounds[cell] = (value, value) if isinstance(value, int) else marks.get(value, (0, BIG))

    def unknown(self, cell):
        self.bounds.setdefault(cell, (0, BIG))

    def relate(self, terms, sense="="):
        self.equations.append((terms, sense))

    def range_of(self, target):
        # A cell of a slice that published no table (too few records) could be anything.
        for terms, _sense in self.equations:
            for cell in terms:
                self.unknown(cell)
        cells = list(self.bounds)
        index = {cell: i for i, cell in enumerate(cells)}
        matrix, low, high = [], [], []
        for terms, sense in self.equations:
            row = np.zeros(len(cells))
            for cell, a in terms.items():
                row[index[cell]] += a
            matrix.append(row)
            low.append(0 if sense == "=" else -np.inf)
            high.append(0)
        found = []
        for sign in (1, -1):
            objective = np.zeros(len(cells))
            objective[index[target]] = sign
            result = milp(
                objective,
                constraints=[LinearConstraint(np.array(matrix), low, high)],
                integrality=np.ones(len(cells)),
                bounds=Bounds(*zip(*(self.bounds[c] for c in cells), strict=True)),
            )
            assert result.status == 0, result.message
            found.append(round(sign * result.fun))
        return found[0], found[1]


@pytest.mark.parametrize("slug", ["ssp", "naloxone", "grant"])
def test_no_small_count_of_any_report_can_be_worked_out_from_every_download(
    login, ana, busy_program, downtown, eastside, slug
):
    client = login(ana)
    url = reverse("reports:report", args=[slug])
    form = client.get(url).context["form"]
    slices = {("all",): {}}
    slices.update({("site", s.pk): {"site": s.pk} for s in (downtown, eastside)})
    slices.update(
        {
            ("staff", pk): {"staff": pk}
            for pk in form.fields["staff"].queryset.values_list("pk", flat=True)
        }
    )
    slices.update(
        {
            ("type", kind): {"contact_type": kind}
            for kind, _name in form.fields["contact_type"].choices
            if kind
        }
    )
    # What the tables are and how they relate, as docs/reports.md documents them.
    layout = {
        table.title: table
        for table in standard.BUILDERS[slug](
            Scope(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
        ).tables
    }
    attacker, small = Attacker(), []
    for slice_, params in slices.items():
        response = client.get(url, {**Q1_QUERY, **params})
        assert response.status_code == 200
        if slice_ == ("all",):
            # Protection by hiding everything would pass too: the whole program's busy
            # quarter must still show its figures.
            shown = [v for rows in published_tables(response).values() for v in rows.values()]
            assert any(isinstance(value, int) and value > 0 for value in shown)
        for title, rows in published_tables(response).items():
            if title not in layout:
                continue
            table = layout[title]
            labels = [label for label, _count in table.rows]
            for label in labels:
                cell = (table.key, slice_, label)
                attacker.see(cell, rows.get(label, "withheld"))
                if rows.get(label) == "<11":
                    small.append(cell)
            if table.total_label:
                attacker.relate(
                    {
                        **{(table.key, slice_, label): 1 for label in labels[:-1]},
                        (table.key, slice_, table.total_label): -1,
                    }
                )
    assert small, "the data must give the attacker something to try"
    for table in layout.values():
        for label, _count in table.rows:
            whole = (table.key, ("all",), label)
            for dimension in ("site", "staff", "type"):
                parts = [(table.key, s, label) for s in slices if s[0] == dimension]
                relation = table.links_of(label)[dimension]
                if table.key == "training_people" and label in PER_SESSION and dimension == "site":
                    relation = standard.SUM
                rest = (table.key, ("none of", dimension), label)
                if relation == standard.SUM:
                    attacker.unknown(rest)
                    attacker.relate({**dict.fromkeys(parts, 1), rest: 1, whole: -1})
                elif relation == standard.OVERLAP:
                    attacker.unknown(rest)
                    for part in parts:
                        attacker.relate({part: 1, whole: -1}, "<=")
                    attacker.relate({**dict.fromkeys(parts, -1), rest: -1, whole: 1}, "<=")
                else:
                    for part in parts:
                        attacker.relate({part: 1, whole: -1})
    served = "Unique participants served"
    for slice_ in slices:
        for key in ("served_by_age", "served_by_gender", "served_by_race", "served_by_zip"):
            total = (key, slice_, "All participants served")
            if total in attacker.bounds:
                attacker.relate({("people_served", slice_, served): 1, total: -1})
    for cell in small:
        lowest, highest = attacker.range_of(cell)
        assert highest - lowest + 1 >= WIDTH, f"{cell}: {lowest} to {highest}"
    # What no member holds is published nowhere, but is the whole less the members:
    # a small one must not be worked out either.
    for cell in [c for c in attacker.bounds if c[1][0] == "none of"]:
        lowest, highest = attacker.range_of(cell)
        if 1 <= lowest and highest <= 10:
            assert highest - lowest + 1 >= WIDTH, f"{cell}: {lowest} to {highest}"
