"""A report as CSV, XLSX (openpyxl) or PDF (reportlab): the same tables in each."""

import io

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas
from reportlab.platypus import Image, PageBreak, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from haven.core.pdf import (
    FONT,
    FONT_BOLD,
    draw_text,
    new_document,
    paragraph,
    plain,
    stylesheet,
    term_paragraph,
)
from haven.core.spreadsheet import csv_writer, xlsx_row

from .definitions import definition_of
from .standard import status_lines


def _heading(report):
    """The rows above the tables: title, period, filters, how figures were protected."""
    scope = report.scope
    rows = [
        [report.title],
        [_("Period: %(start)s to %(end)s") % {"start": scope.start, "end": scope.end}],
        # Two cells, so that a spreadsheet keeps a site's name as its own (quoted) text.
        [_("Filters"), scope.label or _("none (every site, staff member and contact type)")],
    ]
    rows += [[line] for line in status_lines(report)]
    when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    rows.append([_("Made by Haven on %(when)s") % {"when": when}])
    return rows


def _rows(table):
    yield from table.rows
    yield from table.notes


def as_csv(report):
    out = io.StringIO()
    writer = csv_writer(out)
    for row in _heading(report):
        writer.writerow(row)
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        for label, value in _rows(table):
            writer.writerow([label, value])
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(report):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = report.slug
    bold = Font(bold=True)
    for row in _heading(report):
        xlsx_row(sheet, row)
    sheet["A1"].font = Font(bold=True, size=14)
    for table in report.tables:
        xlsx_row(sheet, [])
        xlsx_row(sheet, [table.title])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for label, value in _rows(table):
            xlsx_row(sheet, [label, value])
            if label == table.total_label:
                sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.column_dimensions["A"].width = 55
    sheet.column_dimensions["B"].width = 14
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _figure(value):
    """A count with the reader's thousands separator (1,234 or 1.234); other text as it is."""
    # Notes carry some counts as text (a table's "Doses" line): group those too.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int):
        return formats.number_format(value, force_grouping=True)
    return plain(value)


class _NumberedCanvas(canvas.Canvas):
    """Pages that say "Page 2 of 5" and what they belong to, drawn once the count is known."""

    def __init__(self, *args, footer="", **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.setFillColor(colors.dimgrey)
            width, _height = self._pagesize
            draw_text(self, 0.75 * inch, 0.5 * inch, plain(self._footer), font=FONT, size=8)
            self.drawRightString(
                width - 0.75 * inch,
                0.5 * inch,
                _("Page %(number)s of %(total)s") % {"number": number, "total": total},
            )
            super().showPage()
        super().save()


def as_pdf(report):
    """A report fit to hand to a funder: who made it, what it covers, how figures were
    protected, page numbers, table headers repeated on every page, definitions at the end."""
    out = io.BytesIO()
    styles = stylesheet()
    bold = ParagraphStyle("cell-bold", parent=styles["Normal"], fontName=FONT_BOLD)
    bold_right = ParagraphStyle("cell-bold-right", parent=bold, alignment=TA_RIGHT)
    program = settings.HAVEN_PROGRAM_NAME
    document = new_document(
        out,
        pagesize=letter,
        title=plain(report.title),
        author=plain(program or "Haven"),
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        bottomMargin=0.9 * inch,
    )
    story = []
    if settings.HAVEN_PROGRAM_LOGO:
        story.append(
            Image(
                settings.HAVEN_PROGRAM_LOGO,
                width=1.5 * inch,
                height=0.75 * inch,
                kind="proportional",
            )
        )
    if program:
        story.append(paragraph(program, styles["Heading2"]))
    (heading,), *details = _heading(report)
    story.append(paragraph(heading, styles["Title"]))
    story += [paragraph(": ".join(str(cell) for cell in row), styles["Normal"]) for row in details]
    for table in report.tables:
        rows = list(_rows(table))
        if not rows:
            continue
        story.append(Spacer(1, 0.2 * inch))
        # The title is the table's first row, repeated on every page the table runs onto.
        data = [[paragraph(table.title, bold), paragraph(_("Number"), bold_right)]]
        data += [[paragraph(label, styles["Normal"]), _figure(value)] for label, value in rows]
        # The page's full text width, flush with the heading above.
        pdf_table = PdfTable(data, colWidths=[5.5 * inch, 1.5 * inch], repeatRows=1, hAlign="LEFT")
        style = [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f2f5f8")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if table.total_label:
            total_row = len(table.rows)  # after the header row
            style.append(("FONTNAME", (1, total_row), (1, total_row), FONT_BOLD))
        pdf_table.setStyle(TableStyle(style))
        story.append(pdf_table)
    story += _definitions(report, styles)
    footer = " · ".join(str(part) for part in [program, report.title] if part)
    document.build(
        story, canvasmaker=lambda *args, **kwargs: _NumberedCanvas(*args, footer=footer, **kwargs)
    )
    return out.getvalue()


def _definitions(report, styles):
    """An appendix: what each table counts."""
    entry = ParagraphStyle("definition", parent=styles["Normal"], spaceAfter=6)
    seen, entries = set(), []
    for table in report.tables:
        definition = definition_of(table.key)
        if definition and definition not in seen:
            seen.add(definition)
            entries.append(term_paragraph(f"{table.title}:", definition, entry))
    if not entries:
        return []
    return [PageBreak(), paragraph(_("Definitions"), styles["Heading2"]), *entries]


FORMATS = {
    "csv": ("text/csv; charset=utf-8", as_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", as_xlsx),
    "pdf": ("application/pdf", as_pdf),
}
