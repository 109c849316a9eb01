"""Cells of the CSV and XLSX files that leave Haven: data is always text, never a formula.

Every export writes its rows through `csv_writer()` or `xlsx_row()`, which pass
each value through `safe_cell()`. Names come from people (sites, suppliers,
lots, resources) and a name such as `=HYPERLINK(...)` must reach the reader as
the text it is, not as a live formula (OWASP, "CSV Injection").
"""

import csv
import re

from django.utils.functional import Promise
from openpyxl.cell.cell import Cell

# A spreadsheet treats a cell that starts with one of these as a formula
# (OWASP, "CSV Injection"); tab and carriage return can hide the sign, and
# some spreadsheets read the full-width signs of East Asian keyboards too.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

# Control characters other than tab, line feed and carriage return: openpyxl
# refuses them (IllegalCharacterError) and a NUL ends a string early in many
# readers. They carry nothing a person typed on purpose, so they are dropped.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Text that starts with a formula sign after any quotes and white space
# (spreadsheets that trim cells, LibreOffice among them, read " =1+1" as a
# formula). The quotes a reader would take for ours are doubled up so that
# `unquote_cell()` gives back exactly what was written, even for a name that
# itself starts with a quote.
_QUOTED_FORMULA = re.compile("[\\s'\"]*[" + re.escape("".join(FORMULA_LEADS)) + "]")


def safe_cell(value):
    """`value` as a spreadsheet may show it: text that could start a formula gets a leading quote.

    Numbers, dates and None pass through unchanged, so figures stay figures.
    Control characters are removed from text; letters of any script and emoji stay.
    """
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    if _QUOTED_FORMULA.match(value):
        return "'" + value
    return value


def unquote_cell(text):
    """The text `safe_cell()` was given, from a cell it wrote (for files read back in)."""
    if text.startswith("'") and _QUOTED_FORMULA.match(text[1:]):
        return text[1:]
    return text


def safe_row(values):
    return [safe_cell(value) for value in values]


class _SafeWriter:
    """A csv.writer whose every cell goes through safe_cell()."""

    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **options):
    """csv.writer(out) for a file that leaves Haven: every text cell in double quotes.

    A spreadsheet opens a CSV file with the separator of its language settings:
    a semicolon in much of Europe and Latin America (Excel in Spanish among
    them). A cell written bare, such as `Downtown;=HYPERLINK(...)`, is then cut
    in two there, and the second cell starts with a formula that safe_cell()
    never saw at the start of the text (OWASP, "CSV Injection", on separators).
    Quoted, it stays one cell whatever the separator. Figures are written bare,
    so that they stay numbers.
    """
    return _SafeWriter(csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, **options))


def xlsx_row(sheet, values):
    """Append a row to an openpyxl sheet with every text cell written as a string.

    openpyxl reads a str that starts with "=" as a formula; the cell's type is
    set to string explicitly so that no value from data can become one.
    """
    cells = []
    for value in safe_row(values):
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)
    return cells


def first_nul_line(text):
    """The line number of the first NUL character in an uploaded file's text, or None.

    No field can hold a NUL (PostgreSQL refuses it), so importers refuse the
    file and name the line rather than fail on one database only.
    """
    position = text.find("\x00")
    return None if position < 0 else text.count("\n", 0, position) + 1
