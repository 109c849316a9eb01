"""The ledger and stock exports write names from data as text, never as formulas."""

import csv
import io

import pytest
from django.urls import reverse

from haven.supplies import actions
from haven.supplies.models import Item, StockLocation

from .conftest import in_days

# What a supplier or a typo can put in a name, as a spreadsheet would read it.
HOSTILE = {
    "location": "-2+3 shelf",
    "item": '=HYPERLINK("http://x.example","naloxone 🙂")',
    "lot": "+LOT1",
    "supplier": "@SUM(A1:A9) & <b>",
    "unit": "=1+1",
}


@pytest.fixture
def hostile_stock(downtown, max_manager):
    location = StockLocation.objects.create(name=HOSTILE["location"], kind="site", site=downtown)
    item = Item.objects.create(name=HOSTILE["item"], category="naloxone", unit=HOSTILE["unit"])
    actions.do_receive_stock(
        location=location,
        item=item,
        quantity=12,
        lot_number=HOSTILE["lot"],
        expires_on=in_days(30),
        supplier=HOSTILE["supplier"],
        by=max_manager,
    )
    return location


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def assert_no_cell_is_a_formula(rows):
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_ledger_export_quotes_names_that_are_formulas(login, max_manager, hostile_stock):
    response = login(max_manager).get(
        reverse("supplies:export_ledger"), {"location": hostile_stock.pk}
    )
    rows = csv_rows(response)
    assert_no_cell_is_a_formula(rows)
    (row,) = rows[1:]
    assert row[1:4] == ["'" + HOSTILE["location"], "'" + HOSTILE["item"], "'" + HOSTILE["lot"]]
    assert row[6] == "12"
    assert row[7] == "'" + HOSTILE["supplier"]


def test_stock_export_quotes_names_that_are_formulas(login, max_manager, hostile_stock):
    rows = csv_rows(login(max_manager).get(reverse("supplies:export_stock")))
    assert_no_cell_is_a_formula(rows)
    assert rows[1:] == [
        [
            "'" + HOSTILE["location"],
            "'" + HOSTILE["item"],
            "'" + HOSTILE["unit"],
            "'" + HOSTILE["lot"],
            str(in_days(30)),
            "12",
        ]
    ]
