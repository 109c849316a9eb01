"""A report's files print names from data as the text they are: no markup, no formulas."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from haven.core.tests.pdf_pictures import assert_printable
from haven.reports import exports
from haven.reports.metrics import Scope
from haven.reports.standard import Report, Table

Q1_QUERY = {"period": "quarter", "year": "2026", "number": "1"}

# A site name as an attacker would type it: markup that would embed a server
# file in a PDF, an unclosed tag that used to crash it, and a live formula.
HOSTILE_SITE = '=HYPERLINK("http://x.example") <img src="/etc/passwd"/> <b & "q"\x01'
PRINTED_SITE = '=HYPERLINK("http://x.example") <img src="/etc/passwd"/> <b & "q"'


@pytest.fixture
def hostile_eastside(program, eastside):
    eastside.name = HOSTILE_SITE
    eastside.save()
    return eastside


def download(client, slug, wanted, **params):
    response = client.get(
        reverse("reports:report", args=[slug]), {**Q1_QUERY, **params, "format": wanted}
    )
    assert response.status_code == 200
    return response


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("slug", ["ssp", "naloxone", "grant"])
@pytest.mark.parametrize("suppress", ["", "on"])
def test_report_pdf_prints_a_site_name_with_markup_literally(
    login, max_manager, hostile_eastside, slug, suppress
):
    response = download(
        login(max_manager), slug, "pdf", site=hostile_eastside.pk, suppress=suppress
    )
    text = pdf_text(response.content)
    assert '<img src="/etc/passwd"/>' in text
    assert '<b & "q"' in text
    assert b"/Subtype /Image" not in response.content


def test_report_csv_quotes_a_site_name_that_is_a_formula(login, max_manager, hostile_eastside):
    response = download(login(max_manager), "ssp", "csv", site=hostile_eastside.pk)
    cells = [
        cell
        for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        for cell in row
    ]
    assert "'" + PRINTED_SITE in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_report_xlsx_writes_a_site_name_as_text_not_a_formula(login, max_manager, hostile_eastside):
    response = download(login(max_manager), "grant", "xlsx", site=hostile_eastside.pk)
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'" + PRINTED_SITE in [cell.value for cell in cells]
    # Figures are still numbers.
    assert any(isinstance(cell.value, int) for cell in cells)


def hostile_report():
    """A report built by hand, with every kind of text a table can carry."""
    scope = Scope(
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        label="=cmd|' /C calc'!A0 \x00🙂",
    )
    table = Table(
        '<font name="x">Title',
        [("@SUM(A1)", 3), ("-2+3", "<11"), ("<b>Total", 3)],
        total_label="<b>Total",
        notes=[("+note", "=1"), ('<a href="http://evil">link', "<font size=40>x</font>")],
    )
    return Report(slug="ssp", title="<title & more>", scope=scope, tables=[table])


def test_every_text_of_a_report_is_quoted_in_csv_and_xlsx():
    report = hostile_report()
    rows = list(csv.reader(io.StringIO(exports.as_csv(report).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'=cmd|' /C calc'!A0 🙂" in cells
    assert ["'@SUM(A1)", "3"] in rows
    assert ["'-2+3", "<11"] in rows
    assert ["'+note", "'=1"] in rows
    sheet = load_workbook(io.BytesIO(exports.as_xlsx(report))).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert {"'=cmd|' /C calc'!A0 🙂", "'@SUM(A1)", "'-2+3", "'+note", "'=1"} <= set(values)


def test_every_text_of_a_report_prints_literally_in_the_pdf():
    text = pdf_text(exports.as_pdf(hostile_report()))
    for literal in [
        "<title & more>",
        "=cmd|' /C calc'!A0",
        '<font name="x">Title',
        "<b>Total",
        '<a href="http://evil">link',
        "<font size=40>x</font>",
    ]:
        assert literal in text
    pages = PdfReader(io.BytesIO(exports.as_pdf(hostile_report()))).pages
    assert all("/Annots" not in page for page in pages)  # no link was made of a label


def long_report():
    """A table long enough to run onto a second page, with counts in the thousands."""
    scope = Scope(start=datetime.date(2026, 1, 1), end=datetime.date(2026, 3, 31))
    rows = [(f"Row {n}", 1000 + n) for n in range(90)]
    table = Table("Supplies handed out (units)", rows, key="supplies")
    return Report(slug="ssp", title="Syringe services", scope=scope, tables=[table])


def test_the_pdf_is_fit_for_a_funder(settings):
    settings.HAVEN_PROGRAM_NAME = "Desert Harm Reduction Coalition"
    pages = [
        page.extract_text() for page in PdfReader(io.BytesIO(exports.as_pdf(long_report()))).pages
    ]
    first = pages[0]
    assert "Desert Harm Reduction Coalition" in first
    assert "Period: 2026-01-01 to 2026-03-31" in first
    assert "Filters: none (every site, staff member and contact type)" in first
    assert "EXACT FIGURES" in first
    assert "1,000" in first and "1000" not in first  # thousands separators
    total = len(pages)
    assert total >= 3  # two pages of table, then the definitions
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
    # The table's header row is repeated on the page it runs onto, so no row is orphaned.
    assert "Supplies handed out (units)" in pages[1] and "Number" in pages[1]
    assert "Definitions" in pages[-1]
    assert "by the item's reporting group" in pages[-1]


def test_the_pdf_looks_right_as_a_picture(settings):
    settings.HAVEN_PROGRAM_NAME = "Programa de Reducción de Daños del Desierto 💉"
    report = long_report()
    report.tables[0].notes = [("Doses", "8388")]
    pdf = exports.as_pdf(report)
    assert_printable(pdf)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Reducción de Daños del Desierto [syringe]" in text
    assert "8,388" in text  # a count kept as text is grouped too
